//! `meshtwin compare`: two variants of a scenario run on the same seeds, every load's metrics
//! set side by side with the paired difference's 95 % confidence interval (Student's t over
//! seeds), and a verdict per metric — `changed` when the interval excludes 0.
//!
//! - [`metrics`]: the figures per load of one run.
//! - [`gate`]: `--fail-if` expressions over the deltas.
//! - [`render`]: the terminal tables.
//!
//! Paired seeds are truly paired: the same seed gives both variants the same arrivals and the
//! same random draws wherever the change does not reach, so a candidate identical to the
//! baseline differs by exactly 0 on every seed.

pub mod gate;
pub mod metrics;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::confidence::Estimate;
use crate::config_diff::ProxyChanges;
use metrics::{absent_is_zero, LoadMetrics};

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub name: String,
    /// What the side changes from the scenario as written, one phrase each.
    pub changes: Vec<String>,
}

/// One metric of one load, compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Mean over the seeds with a value on both sides.
    pub baseline: f64,
    pub candidate: f64,
    /// Mean paired difference (candidate − baseline).
    pub delta: f64,
    /// 95 % confidence interval of the mean difference (null ends: unbounded, one seed).
    #[serde(with = "crate::confidence::interval_serde")]
    pub ci95: [f64; 2],
    /// Whether the interval excludes 0.
    pub changed: bool,
    /// Seeds with a value on both sides.
    pub seeds: usize,
}

/// One load's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadComparison {
    pub name: String,
    /// Metric name → row, in [`metric_order`].
    pub metrics: BTreeMap<String, MetricRow>,
}

/// The whole comparison, as `compare.json` has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub scenario: String,
    pub seeds: Vec<u64>,
    pub baseline: Side,
    pub candidate: Side,
    /// What differs in the proxies' configuration, grouped by proxies with the same changes.
    pub config_changes: Vec<ProxyChanges>,
    pub loads: Vec<LoadComparison>,
    /// The `--fail-if` gates and whether each held.
    pub gates: Vec<gate::GateResult>,
}

/// Where a metric sorts in tables: volume, success, status shares, latency, then mechanisms.
pub fn metric_order(name: &str) -> (u8, String) {
    let rank = match name {
        "requests" => 0,
        "success_share" => 1,
        n if n.starts_with("code_") && n.matches('_').count() == 2 => 2,
        n if n.starts_with("code_") => 3,
        "p50_ms" => 4,
        "p90_ms" => 5,
        "p99_ms" => 6,
        "max_ms" => 7,
        "overflows" => 8,
        "retries" => 9,
        "ejections" => 10,
        "failover_ms" => 11,
        _ => 12,
    };
    (rank, name.to_string())
}

/// Pair `baseline[i]` with `candidate[i]` (the same seed) for every load and metric.
pub fn compare_loads(
    baseline: &[BTreeMap<String, LoadMetrics>],
    candidate: &[BTreeMap<String, LoadMetrics>],
) -> Vec<LoadComparison> {
    let loads: Vec<&String> = baseline
        .first()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    loads
        .into_iter()
        .map(|load| {
            let per_seed = |runs: &[BTreeMap<String, LoadMetrics>]| -> Vec<LoadMetrics> {
                runs.iter()
                    .map(|r| r.get(load).cloned().unwrap_or_default())
                    .collect()
            };
            let (b, c) = (per_seed(baseline), per_seed(candidate));
            let names: BTreeSet<&String> = b.iter().chain(&c).flat_map(|m| m.keys()).collect();
            let metrics = names
                .into_iter()
                .filter_map(|name| Some((name.clone(), row(name, &b, &c)?)))
                .collect();
            LoadComparison {
                name: load.clone(),
                metrics,
            }
        })
        .collect()
}

fn row(name: &str, b: &[LoadMetrics], c: &[LoadMetrics]) -> Option<MetricRow> {
    let value = |m: &LoadMetrics| match m.get(name) {
        Some(v) => Some(*v),
        None if absent_is_zero(name) => Some(0.0),
        None => None,
    };
    let pairs: Vec<(f64, f64)> = b
        .iter()
        .zip(c)
        .filter_map(|(x, y)| Some((value(x)?, value(y)?)))
        .collect();
    let deltas: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
    let est = Estimate::of(&deltas)?;
    let n = pairs.len() as f64;
    Some(MetricRow {
        baseline: pairs.iter().map(|p| p.0).sum::<f64>() / n,
        candidate: pairs.iter().map(|p| p.1).sum::<f64>() / n,
        delta: est.mean,
        ci95: est.ci95,
        changed: est.excludes(0.0),
        seeds: pairs.len(),
    })
}

impl Comparison {
    /// Whether any gate held.
    pub fn gate_failed(&self) -> bool {
        self.gates.iter().any(|g| g.held)
    }

    /// `compare.json`: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a comparison serializes");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests;
