//! What `meshtwin test` reads from a scenario: `seeds:` and `digest:`.
//!
//! ```yaml
//! seeds: [1, 2, 3]            # optional: run each seed against its own digest
//! digest:                     # optional
//!   tolerance:                # how far a figure may move from the golden digest
//!     p99_ms: 5%              #   a share of the golden value
//!     codes: 2                #   or an amount in the figure's unit (calls, counts, ms)
//! ```
//!
//! Tolerance keys are [`DigestFigure::ALL`]'s names; `latency_ms` covers every latency
//! figure, and a named one (`p99_ms`) overrides it for itself.

use std::collections::BTreeMap;

use meshtwin_model::scenario::{DigestFigure, DigestOptions, Tolerance};

use crate::decode::{Result, Val};
use crate::source::Value;

pub const DIGEST_FIELDS: &[&str] = &["tolerance"];
/// A limit on everything: at most this many seeds per scenario.
pub const MAX_SEEDS: usize = 1000;

/// `seeds:` — distinct non-negative integers, at least one (absent: none).
pub fn seeds(v: Option<Val<'_>>) -> Result<Vec<u64>> {
    let Some(list) = v else {
        return Ok(Vec::new());
    };
    let items = list.seq()?;
    if items.is_empty() {
        return Err(
            list.error("expected at least one seed (leave `seeds` out to run `seed` alone)")
        );
    }
    if items.len() > MAX_SEEDS {
        return Err(items[MAX_SEEDS].error(format!("at most {MAX_SEEDS} seeds")));
    }
    let mut out: Vec<u64> = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let seed = v.int_in(0, i64::MAX)?.unsigned_abs();
        if let Some(first) = out.iter().position(|s| *s == seed) {
            return Err(v.error(format!(
                "seed {seed} is listed twice (also seeds[{first}]); seeds[{i}] would repeat its run"
            )));
        }
        out.push(seed);
    }
    Ok(out)
}

/// `digest:` (absent: every figure must match exactly).
pub fn digest(v: Option<Val<'_>>) -> Result<DigestOptions> {
    let Some(v) = v else {
        return Ok(DigestOptions::default());
    };
    let o = v.map(DIGEST_FIELDS)?;
    let mut tolerance = BTreeMap::new();
    if let Some(t) = o.get("tolerance") {
        for (key, val) in t.entries()? {
            let Some(figure) = DigestFigure::from_name(key) else {
                let names: Vec<&str> = DigestFigure::ALL.iter().map(|(_, n)| *n).collect();
                return Err(val.error(format!(
                    "unknown figure (expected one of: {})",
                    names.join(", ")
                )));
            };
            tolerance.insert(figure, amount(&val)?);
        }
    }
    Ok(DigestOptions { tolerance })
}

/// `5%` or a non-negative number.
fn amount(v: &Val<'_>) -> Result<Tolerance> {
    let expected = "expected a share like 5% or an amount like 2 (calls, counts or ms)";
    let t = match &v.node.value {
        Value::Str(s) => {
            let number = s.trim().strip_suffix('%').map(str::trim);
            match number.and_then(|n| n.parse::<f64>().ok()) {
                Some(p) => Tolerance::Percent(p),
                None => return Err(v.error(format!("{expected}, found {s:?}"))),
            }
        }
        Value::Int(_) | Value::Float(_) => Tolerance::Absolute(v.number()?),
        other => return Err(v.error(format!("{expected}, found {}", other.describe()))),
    };
    let (Tolerance::Percent(n) | Tolerance::Absolute(n)) = t;
    if !n.is_finite() || n < 0.0 {
        return Err(v.error(format!("{expected}: must be >= 0")));
    }
    Ok(t)
}
