//! `summary.json`: the run's results in one stable, documented document.

use std::collections::BTreeMap;

use meshtwin_report::fortio::{load_json, CutShort, LoadResult};
use meshtwin_sim::RunResult;
use serde_json::{json, Map, Value};

use crate::expect::{reached_workloads, Reach, Verdict};
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
                requested_duration_ms: spec.duration.map(ms),
                cut_short: o
                    .cut_short
                    .iter()
                    .map(|s| CutShort {
                        thread: s.connection,
                        done: s.done,
                        planned: s.planned,
                    })
                    .collect(),
                hit_call_limit: o.hit_call_limit,
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

/// Which workloads a load's calls reached, with each share and its 95 % confidence interval
/// (normal approximation) — the sampled split of a traffic shift, not the configured weight.
fn reached_shares(r: &RunResult, reach: &Reach, load: &str) -> Value {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut n = 0u64;
    for (spec, _, o) in &r.loads {
        if spec.name != load {
            continue;
        }
        for c in &o.calls {
            n += 1;
            for w in reach.get(&c.request_id).into_iter().flatten() {
                *counts.entry(w.clone()).or_default() += 1;
            }
        }
    }
    let mut out = Map::new();
    for (w, k) in counts {
        let p = k as f64 / n.max(1) as f64;
        let half = 1.96 * (p * (1.0 - p) / n.max(1) as f64).sqrt();
        out.insert(
            w,
            json!({"calls": k, "share": p, "ci95": [(p - half).max(0.0), (p + half).min(1.0)]}),
        );
    }
    Value::Object(out)
}

/// The whole summary.
pub fn build(inputs: &Inputs, r: &RunResult, loads: &[LoadResult], verdicts: &[Verdict]) -> Value {
    let sc = &inputs.scenario;
    let reach = reached_workloads(r);
    let places = crate::failover::pod_places(&inputs.topology);
    let failover = crate::failover::failover_json(&r.events, &places);
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
                m.insert(
                    "reached_workloads".into(),
                    reached_shares(r, &reach, &l.name),
                );
                let f = failover.get(&l.name).cloned().unwrap_or(Value::Null);
                m.insert("failover".into(), f);
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
        "ejections": crate::failover::ejections_json(&r.events),
        "expectations": verdicts,
        "passed": verdicts.iter().all(|v| v.pass),
        "trace": {"events": r.events.len(), "dropped": r.dropped_events},
    })
}
