//! `--fail-if` gates over a comparison's deltas: `[LOAD:]METRIC OP VALUE`, e.g.
//! `success_share < -0.001` (the success share fell by more than 0.1 point) or
//! `c3:p99_ms > +20%` (p99 grew by more than 20 % of the baseline's). OP is one of `<`, `<=`,
//! `>`, `>=`. Without a load the gate applies to every load. A gate holds for a load when its
//! metric `changed` (the paired 95 % interval excludes 0 — noise never trips a gate) and the
//! mean delta, absolute or relative to the baseline's mean, satisfies the comparison.

use serde::{Deserialize, Serialize};

use super::LoadComparison;

/// A parsed gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// The expression as written.
    pub expr: String,
    pub load: Option<String>,
    pub metric: String,
    pub op: Op,
    pub value: f64,
    /// `VALUE%`: relative to the baseline's mean.
    pub relative: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

/// A gate evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    pub expr: String,
    /// Whether it held for some load (the comparison fails).
    pub held: bool,
    /// The loads it held for.
    pub loads: Vec<String>,
}

impl Gate {
    /// Parse `expr`, or say what is wrong with it.
    pub fn parse(expr: &str) -> Result<Gate, String> {
        let ops = [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)];
        let (at, sym, op) = ops
            .iter()
            .filter_map(|(s, op)| expr.find(s).map(|i| (i, *s, *op)))
            .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
            .ok_or_else(|| {
                format!("'{expr}': expected `[LOAD:]METRIC OP VALUE` with OP one of <, <=, >, >=")
            })?;
        let (lhs, rhs) = (expr[..at].trim(), expr[at + sym.len()..].trim());
        let (load, metric) = match lhs.split_once(':') {
            Some((l, m)) => (Some(l.trim().to_string()), m.trim()),
            None => (None, lhs),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_,-.".contains(c))
        };
        if !valid(metric) {
            return Err(format!("'{expr}': '{metric}' is not a metric name"));
        }
        if load.as_deref().is_some_and(|l| !valid(l)) {
            return Err(format!(
                "'{expr}': '{}' is not a load name",
                load.unwrap_or_default()
            ));
        }
        let (number, relative) = match rhs.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (rhs, false),
        };
        let value: f64 = number
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("'{expr}': '{rhs}' is not a number (e.g. -0.001, +20%)"))?;
        Ok(Gate {
            expr: expr.to_string(),
            load,
            metric: metric.to_string(),
            op,
            value,
            relative,
        })
    }

    /// Check that the gate names a load and metric the comparison has.
    pub fn check(&self, loads: &[LoadComparison]) -> Result<(), String> {
        let scoped: Vec<&LoadComparison> = match &self.load {
            Some(l) => {
                let found: Vec<_> = loads.iter().filter(|x| &x.name == l).collect();
                if found.is_empty() {
                    let names: Vec<&str> = loads.iter().map(|x| x.name.as_str()).collect();
                    return Err(format!(
                        "'{}': no load named '{l}' (loads: {})",
                        self.expr,
                        names.join(", ")
                    ));
                }
                found
            }
            None => loads.iter().collect(),
        };
        if scoped.iter().any(|l| l.metrics.contains_key(&self.metric)) {
            return Ok(());
        }
        let mut names: Vec<&str> = scoped
            .iter()
            .flat_map(|l| l.metrics.keys().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        Err(format!(
            "'{}': no metric named '{}' (metrics: {})",
            self.expr,
            self.metric,
            names.join(", ")
        ))
    }

    /// Evaluate the gate over every load it applies to.
    pub fn evaluate(&self, loads: &[LoadComparison]) -> GateResult {
        let held: Vec<String> = loads
            .iter()
            .filter(|l| self.load.as_ref().is_none_or(|n| n == &l.name))
            .filter(|l| {
                l.metrics.get(&self.metric).is_some_and(|m| {
                    let x = if self.relative {
                        if m.delta == 0.0 {
                            0.0
                        } else if m.baseline == 0.0 {
                            m.delta.signum() * f64::INFINITY
                        } else {
                            100.0 * m.delta / m.baseline.abs()
                        }
                    } else {
                        m.delta
                    };
                    m.changed
                        && match self.op {
                            Op::Lt => x < self.value,
                            Op::Le => x <= self.value,
                            Op::Gt => x > self.value,
                            Op::Ge => x >= self.value,
                        }
                })
            })
            .map(|l| l.name.clone())
            .collect();
        GateResult {
            expr: self.expr.clone(),
            held: !held.is_empty(),
            loads: held,
        }
    }
}
