//! A DestinationRule re-applied mid-run with other settings makes the client's Envoy replace
//! the cluster (tests/fixtures/reapply): the replacement continues the old cluster's stats
//! scope, the old cluster's outlier sweep stops, and summary.json lists every ejection of
//! both clusters once.

mod common;

use common::{run_scenario, summary, TempDir};
use serde_json::Value;

const SCENARIO: &str = "tests/fixtures/reapply/scenario.yaml";
const CLUSTER: &str = "outbound|8000||httpbin.default.svc.cluster.local";
/// The re-apply at 4.5 s plus istiod's 100 ms debounce.
const PUSH_MS: f64 = 4600.0;
/// The DestinationRule's outlier `interval`.
const INTERVAL_MS: f64 = 1000.0;

/// fortio-0's outlier events on httpbin's cluster: (t_ms, action, reason).
fn outlier_events(trace: &str) -> Vec<(f64, String, String)> {
    trace
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON trace line"))
        .filter(|e| e["kind"] == "outlier" && e["proxy"] == "fortio-0" && e["cluster"] == CLUSTER)
        .map(|e| {
            (
                e["t_ms"].as_f64().expect("t_ms"),
                e["action"].as_str().expect("action").to_string(),
                e["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect()
}

fn counter(s: &Value, name: &str) -> u64 {
    s["proxies"]["fortio-0"]["counters"][format!("cluster.{CLUSTER}.{name}")]
        .as_u64()
        .unwrap_or_else(|| panic!("fortio-0 has counter {name}"))
}

#[test]
fn a_replaced_cluster_stops_its_sweep_and_its_replacement_continues_its_counters() {
    let tmp = TempDir::new("cluster_replacement", "reapply");
    let out = tmp.join("run");
    let run = run_scenario(SCENARIO, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let trace = String::from_utf8(common::read(&out.join("trace.jsonl"))).expect("UTF-8");
    let events = outlier_events(&trace);
    let ejected: Vec<f64> = events
        .iter()
        .filter(|e| e.1 == "ejected")
        .map(|e| e.0)
        .collect();
    assert!(
        ejected.iter().any(|t| *t < PUSH_MS) && ejected.iter().any(|t| *t > PUSH_MS),
        "ejections before and after the push: {events:?}"
    );

    // The old cluster's ejected host is traced back in rotation at the push...
    assert!(
        events
            .iter()
            .any(|e| e.0 == PUSH_MS && e.1 == "unejected" && e.2 == "ClusterReplaced"),
        "{events:?}"
    );
    // ...and after it, every sweep that unejects is the new cluster's: its sweeps run every
    // interval from its creation at the push, the old cluster's from 0 ms.
    for (t, action, reason) in events.iter().filter(|e| e.0 > PUSH_MS) {
        if action == "unejected" {
            assert_eq!(reason, "Timer");
            let phase = (t - PUSH_MS) % INTERVAL_MS;
            assert!(
                phase.abs() < 1e-6,
                "an old cluster's sweep at {t} ms: {events:?}"
            );
        }
    }

    // Counters continue across the replacement: every ejection of both clusters, every call.
    let s = summary(&out);
    assert_eq!(
        counter(&s, "outlier_detection.ejections_enforced_total"),
        ejected.len() as u64
    );
    let calls = s["loads"][0]["requests"].as_u64().expect("requests");
    assert_eq!(counter(&s, "upstream_rq_completed"), calls);
    assert_eq!(counter(&s, "upstream_rq_total"), calls);

    // summary.json lists every ejection once, each closed by the next event.
    let listed: Vec<f64> = s["ejections"]
        .as_array()
        .expect("an ejections list")
        .iter()
        .filter(|e| e["proxy"] == "fortio-0")
        .map(|e| e["ejected_at_ms"].as_f64().expect("ejected_at_ms"))
        .collect();
    assert_eq!(listed, ejected);
}
