//! `summary.json`: the run's results in one stable, documented document.

use std::collections::BTreeMap;

use meshtwin_report::fortio::{load_json, LoadResult};
use meshtwin_sim::RunResult;
use serde_json::{json, Map, Value};

use crate::expect::Verdict;
use crate::run::Inputs;

fn ms(d: std::time::Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// Per-load results in fortio's terms.
pub fn load_results(r: &RunResult) -> Vec<LoadResult> {
    r.loads
        .iter()
        .map(|(spec, src, o)| {
            let mut codes: BTreeMap<u16, u64> = BTreeMap::new();
            for c in &o.calls {
                *codes.entry(c.status).or_default() += 1;
            }
            LoadResult {
                name: spec.name.clone(),
                src_pod: src.clone(),
                url: spec.url.clone(),
                connections: spec.connections,
                qps_target: spec.qps,
                calls: o.calls.len() as u64,
                codes,
                latencies_ms: o.calls.iter().map(|c| ms(c.latency)).collect(),
                sockets_used: o.sockets_used,
                start_ms: o.first_start.map(ms).unwrap_or(ms(spec.start)),
                end_ms: o.last_end.map(ms).unwrap_or(ms(spec.start)),
            }
        })
        .collect()
}

/// Response flags of a load's calls, counted (`UO` → 21).
fn flag_counts(r: &RunResult, load: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (spec, _, o) in &r.loads {
        if spec.name == load {
            for c in &o.calls {
                *out.entry(c.flags.clone()).or_default() += 1;
            }
        }
    }
    out
}

/// Which pods answered a load's calls.
fn upstream_counts(r: &RunResult, load: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (spec, _, o) in &r.loads {
        if spec.name == load {
            for c in &o.calls {
                let k = c.upstream_pod.clone().unwrap_or_else(|| "-".into());
                *out.entry(k).or_default() += 1;
            }
        }
    }
    out
}

/// The whole summary.
pub fn build(inputs: &Inputs, r: &RunResult, loads: &[LoadResult], verdicts: &[Verdict]) -> Value {
    let sc = &inputs.scenario;
    let loads_json: Vec<Value> = loads
        .iter()
        .map(|l| {
            let mut v = load_json(l);
            if let Value::Object(m) = &mut v {
                m.insert("src_pod".into(), json!(l.src_pod));
                m.insert("url".into(), json!(l.url));
                m.insert("connections".into(), json!(l.connections));
                m.insert("flags".into(), json!(flag_counts(r, &l.name)));
                m.insert("upstream_pods".into(), json!(upstream_counts(r, &l.name)));
            }
            v
        })
        .collect();
    let mut proxies = Map::new();
    for (pod, s) in &r.proxies {
        proxies.insert(
            pod.clone(),
            json!({"counters": s.counters, "gauges": s.gauges, "gauges_max": s.gauges_max}),
        );
    }
    json!({
        "meshtwin": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "description": sc.description,
        "seed": sc.seed,
        "duration_ms": ms(sc.duration),
        // Pods no load can reach exchange no packet and are not simulated (sim::reach).
        "topology": {
            "name": inputs.topology.name,
            "pods": inputs.topology.pods().len(),
            "simulated_pods": r.engine.hosts,
        },
        "policies": sc.policies,
        "loads": loads_json,
        "proxies": proxies,
        "expectations": verdicts,
        "passed": verdicts.iter().all(|v| v.pass),
        "trace": {"events": r.events.len(), "dropped": r.dropped_events},
    })
}
