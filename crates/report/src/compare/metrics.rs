//! The figures `meshtwin compare` sets side by side, per load of one run: what its clients saw
//! (requests, success share, the share of each status and of each status with its response
//! flags, latency percentiles, overflows, failover time) and what the proxies its requests
//! passed through did (retries, ejections).

use std::collections::{BTreeMap, BTreeSet};

use meshtwin_model::calls::CallStats;
use meshtwin_model::event::{EventKind, ResponseFlag};
use meshtwin_model::run::RunResult;

use crate::summary::Summary;

/// Metric name → value, for one load of one run.
pub type LoadMetrics = BTreeMap<String, f64>;

/// Whether a metric that a run lacks is 0 there (counts and shares) rather than unknown
/// (latencies and failover times: a run without calls, or without a failover, has none).
pub fn absent_is_zero(metric: &str) -> bool {
    !metric.ends_with("_ms")
}

/// A status in metric names: fortio's `-1` (no response) is `none`.
fn code_name(code: i32) -> String {
    if code < 0 {
        "none".into()
    } else {
        code.to_string()
    }
}

/// Every load's metrics in run `r` summarised as `s`.
pub fn run_metrics(s: &Summary, r: &RunResult) -> BTreeMap<String, LoadMetrics> {
    s.loads
        .iter()
        .map(|l| {
            let mut m = LoadMetrics::new();
            let n = l.requests as f64;
            m.insert("requests".into(), n);
            if l.requests > 0 {
                let ok: u64 = l
                    .codes
                    .iter()
                    .filter(|(c, _)| (200..300).contains(*c))
                    .map(|(_, n)| n)
                    .sum();
                m.insert("success_share".into(), ok as f64 / n);
                for (code, k) in &l.codes {
                    m.insert(format!("code_{}_share", code_name(*code)), *k as f64 / n);
                }
            }
            let empty = CallStats::default();
            let calls = r.load(&l.name).map_or(&empty, |o| &o.calls);
            let mut by_flags: BTreeMap<String, u64> = BTreeMap::new();
            let mut overflows = 0u64;
            for ((status, flags), k) in &calls.by_status_flags {
                if flags.contains(ResponseFlag::UO) {
                    overflows += k;
                }
                if *status < 400 && *status != 0 {
                    continue;
                }
                let code = if *status == 0 {
                    "none".to_string()
                } else {
                    status.to_string()
                };
                // `-` (no flag) reads `noflags` in a metric name.
                let flags = if flags.is_empty() {
                    "noflags".to_string()
                } else {
                    flags.to_string()
                };
                *by_flags
                    .entry(format!("code_{code}_{flags}_share"))
                    .or_default() += k;
            }
            for (k, count) in by_flags {
                m.insert(k, count as f64 / n.max(1.0));
            }
            let lat = &l.latency_ms;
            for (name, v) in [
                ("p50_ms", lat.p50),
                ("p90_ms", lat.p90),
                ("p99_ms", lat.p99),
                ("max_ms", lat.max),
            ] {
                if let Some(v) = v {
                    m.insert(name.into(), v);
                }
            }
            m.insert("overflows".into(), overflows as f64);
            if let Some(f) = &l.failover {
                m.insert("failover_ms".into(), f.at_ms);
            }
            let (retries, ejections) = path_figures(s, r, &l.name);
            m.insert("retries".into(), retries as f64);
            m.insert("ejections".into(), ejections as f64);
            (l.name.clone(), m)
        })
        .collect()
}

/// Retries charged and outlier ejections made by the proxies the load's requests passed
/// through (a proxy several loads share counts for each of them).
fn path_figures(s: &Summary, r: &RunResult, load: &str) -> (u64, u64) {
    let empty = CallStats::default();
    let calls = r.load(load).map_or(&empty, |o| &o.calls);
    let proxies: BTreeSet<String> = r
        .trace()
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::AccessLog {
                proxy, request_id, ..
            } if calls.ended(load, request_id) => Some(proxy.to_string()),
            _ => None,
        })
        .collect();
    let retries = proxies
        .iter()
        .filter_map(|p| s.proxies.get(p))
        .flat_map(|st| st.counters.iter())
        .filter(|(name, _)| name.ends_with(".upstream_rq_retry"))
        .map(|(_, v)| v)
        .sum();
    let ejections = s
        .ejections
        .iter()
        .filter(|e| proxies.contains(e.proxy.as_str()))
        .count() as u64;
    (retries, ejections)
}
