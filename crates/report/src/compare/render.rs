//! The comparison as a terminal shows it: what differs in the configuration, then per load a
//! table of baseline, candidate, delta, the delta's 95 % interval and a verdict per metric.

use std::fmt::Write as _;

use super::{metric_order, Comparison, MetricRow};

/// A value in a table: integers as integers, shares and times to four decimals.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return if v > 0.0 {
            "+inf".into()
        } else {
            "-inf".into()
        };
    }
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

fn signed(v: f64) -> String {
    let s = num(v);
    if v >= 0.0 && !s.starts_with('+') {
        format!("+{s}")
    } else {
        s
    }
}

fn interval(r: &MetricRow) -> String {
    format!("[{}, {}]", signed(r.ci95[0]), signed(r.ci95[1]))
}

/// What differs between the two sides' configurations, as indented lines.
pub fn config_text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "baseline: {}{}",
        c.baseline.name,
        describe(&c.baseline.changes)
    );
    let _ = writeln!(
        out,
        "candidate: {}{}",
        c.candidate.name,
        describe(&c.candidate.changes)
    );
    if c.config_changes.is_empty() {
        let _ = writeln!(out, "proxy configuration: identical");
        return out;
    }
    let _ = writeln!(out, "proxy configuration (baseline → candidate):");
    for g in &c.config_changes {
        let who = if g.proxies.len() > 3 {
            format!(
                "{} and {} more proxies",
                g.proxies[..3].join(", "),
                g.proxies.len() - 3
            )
        } else {
            g.proxies.join(", ")
        };
        let _ = writeln!(out, "  {who}:");
        for ch in &g.changes {
            let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
            let _ = writeln!(
                out,
                "    {}: {} → {}",
                ch.path,
                side(&ch.baseline),
                side(&ch.candidate)
            );
        }
    }
    out
}

fn describe(changes: &[String]) -> String {
    if changes.is_empty() {
        " (the scenario as written)".into()
    } else {
        format!(" ({})", changes.join("; "))
    }
}

/// Every load's table.
pub fn tables_text(c: &Comparison) -> String {
    let mut out = String::new();
    for l in &c.loads {
        let _ = writeln!(out, "\nload {} · {} seed(s)", l.name, c.seeds.len());
        let mut rows: Vec<(&String, &MetricRow)> = l.metrics.iter().collect();
        rows.sort_by_key(|(name, _)| metric_order(name));
        let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(6).max(6);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>12}  {:>12}  {:>12}  {:<28}  verdict",
            "metric", "baseline", "candidate", "delta", "95 % CI of delta"
        );
        for (name, r) in rows {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>12}  {:>12}  {:>12}  {:<28}  {}",
                name,
                num(r.baseline),
                num(r.candidate),
                signed(r.delta),
                interval(r),
                if r.changed {
                    "changed"
                } else {
                    "no significant change"
                }
            );
        }
    }
    out
}

/// The gates' outcomes.
pub fn gates_text(c: &Comparison) -> String {
    let mut out = String::new();
    for g in &c.gates {
        if g.held {
            let _ = writeln!(
                out,
                "FAIL --fail-if {}: held for {}",
                g.expr,
                g.loads.join(", ")
            );
        } else {
            let _ = writeln!(out, "ok   --fail-if {}: did not hold", g.expr);
        }
    }
    out
}
