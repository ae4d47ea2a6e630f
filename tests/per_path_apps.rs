//! Per-path app behaviour end to end (`routes:` inside `app:`): in the bundled what-if on the
//! App Mesh walkthrough howto-k8s-outlier-detection, the replica that fails only `/get` is
//! ejected by outlier detection while the health check on `/ping` keeps it healthy — read
//! from the trace — and the same replica failing every path fails the health check too.

mod common;

use std::path::Path;

use common::{copy_tree, run_scenario, workspace_root, TempDir};
use serde_json::Value;

const SCENARIO: &str = "scenarios/appmesh-outlier-detection-health-check.yaml";
const FAULTY: &str = "colorapp-faulty-0";

/// The trace's events of `kind` about host `FAULTY` seen by front's Envoy.
fn events(dir: &Path, kind: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("trace.jsonl")).expect("a trace");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .filter(|e| e["kind"] == kind && e["proxy"] == "front-0" && e["host"] == FAULTY)
        .collect()
}

fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The statuses of the requests front's Envoy sent to `FAULTY`, from its access log.
fn statuses_from_faulty(dir: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(dir.join("trace.jsonl")).expect("a trace");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .filter(|e| {
            e["kind"] == "access_log" && e["proxy"] == "front-0" && e["upstream_host"] == FAULTY
        })
        .map(|e| e["status"].as_u64().expect("a status"))
        .collect()
}

#[test]
fn a_replica_failing_only_get_is_ejected_by_outlier_detection_and_kept_by_the_health_check() {
    let tmp = TempDir::new("app_routes", "bundled");
    let out = tmp.join("out");
    let got = run_scenario(SCENARIO, &out, &[]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    // Every /get it served failed with the route's 500: ten of them, five before each
    // ejection.
    let statuses = statuses_from_faulty(&out);
    assert_eq!(statuses, vec![500; 10]);
    assert_eq!(
        actions(&events(&out, "outlier")),
        ["ejected", "unejected", "ejected", "unejected"],
        "ejected at the 5th consecutive 500, back at the sweep after 10 s, ejected again (for \
         20 s), back again"
    );
    // The health checker saw it healthy at its first check and never changed its mind.
    assert_eq!(actions(&events(&out, "health_check")), ["healthy"]);
}

#[test]
fn the_same_replica_failing_every_path_fails_its_health_check_too() {
    let tmp = TempDir::new("app_routes", "control");
    let root = workspace_root();
    for dir in ["scenarios", "topologies", "policies"] {
        copy_tree(&root.join(dir), &tmp.join(dir));
    }
    let topology = tmp.join("topologies/appmesh-outlier-detection.yaml");
    let text = std::fs::read_to_string(&topology).expect("the topology");
    let route = "                  routes:\n                    - {path: /get, errorRate: 1, errorStatus: 500}\n";
    assert!(
        text.contains(route),
        "the faulty replica's route is where the test expects it"
    );
    std::fs::write(
        &topology,
        text.replace(
            route,
            "                  errorRate: 1\n                  errorStatus: 500\n",
        ),
    )
    .expect("write the topology");
    let out = tmp.join("out");
    let got = common::meshtwin([
        "run",
        tmp.join(SCENARIO).to_str().expect("UTF-8"),
        "--out",
        out.to_str().expect("UTF-8"),
        "-q",
    ]);
    assert_eq!(
        got.code,
        1,
        "expectations about the health check fail\n{}",
        got.transcript()
    );
    assert!(
        got.stdout.contains(
            "FAIL the health check never fails: /ping answers 200 on the faulty replica too"
        ),
        "{}",
        got.transcript()
    );
    // Now /ping fails too: the health checker marks the replica unhealthy.
    assert!(
        actions(&events(&out, "health_check")).contains(&"unhealthy".to_string()),
        "{:?}",
        events(&out, "health_check")
    );
}
