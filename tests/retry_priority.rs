//! `retryRemoteLocalities: true` (Envoy's `previous_priorities` retry priority, update
//! frequency 2 as Istio configures it) moves a request's retries to another locality with no
//! host ejected (tests/fixtures/retry-priority): fortio's zone-a httpbin pod (priority 0)
//! always answers 503, the zone-b one (priority 1) 200.

mod common;

use std::path::Path;

use common::{run_scenario, summary, TempDir};
use serde_json::Value;

/// The inbound access logs of every request, in order: (request id, pod that answered).
fn attempts(out: &Path) -> Vec<(String, String)> {
    let trace = String::from_utf8(common::read(&out.join("trace.jsonl"))).expect("UTF-8");
    trace
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON trace line"))
        .filter(|e| e["kind"] == "access_log" && e["listener"] == "virtualInbound")
        .map(|e| {
            let id = e["request_id"].as_str().expect("request_id").to_string();
            (id, e["proxy"].as_str().expect("proxy").to_string())
        })
        .collect()
}

fn run(scenario: &str, label: &str) -> (Value, Vec<(String, String)>) {
    let tmp = TempDir::new("retry_priority", label);
    let out = tmp.join("run");
    let r = run_scenario(scenario, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    (summary(&out), attempts(&out))
}

#[test]
fn the_second_retry_leaves_the_attempted_locality_without_an_ejection() {
    let (s, tries) = run("tests/fixtures/retry-priority/scenario.yaml", "remote");
    let load = &s["loads"][0];
    let calls = load["requests"].as_u64().expect("requests");
    assert!(calls > 0);
    assert_eq!(load["codes"]["200"].as_u64(), Some(calls), "{load}");
    assert_eq!(s["ejections"].as_array().map(Vec::len), Some(0));
    // Each request: two attempts in priority 0 (the first retry keeps the load: 1 attempt <
    // update frequency 2), then priority 1.
    let first = &tries[0].0;
    let one: Vec<&str> = tries
        .iter()
        .filter(|(id, _)| id == first)
        .map(|(_, pod)| pod.as_str())
        .collect();
    assert_eq!(one, ["httpbin-bad-0", "httpbin-bad-0", "httpbin-good-0"]);
    let good = tries.iter().filter(|(_, p)| p == "httpbin-good-0").count();
    assert_eq!(good as u64, calls);
}

#[test]
fn without_remote_localities_every_retry_stays_in_the_local_priority() {
    let (s, tries) = run("tests/fixtures/retry-priority/scenario-local.yaml", "local");
    let load = &s["loads"][0];
    let calls = load["requests"].as_u64().expect("requests");
    assert_eq!(load["codes"]["503"].as_u64(), Some(calls), "{load}");
    assert_eq!(load["flags"]["URX"].as_u64(), Some(calls), "{load}");
    assert!(tries.iter().all(|(_, p)| p == "httpbin-bad-0"));
    assert_eq!(tries.len() as u64, 3 * calls);
}
