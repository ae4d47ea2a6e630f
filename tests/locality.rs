//! Istio's locality load balancing through the twin, end to end (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`, `source/common/router/config_impl.cc` `WeightedClusterEntry`): each
//! fixture under tests/fixtures/locality/ is a scenario whose expectations encode the
//! behaviour — no failover priorities without outlier detection, the client's zone first
//! with it and failover to the same region before another, `distribute` weights, and weighted
//! routes that never fail over (503 UH), and new priorities that reach the balancer when only
//! they change. A run exits 0 only if every expectation holds.

mod common;

use common::{run_scenario, summary, TempDir};

fn holds(name: &str) -> serde_json::Value {
    let tmp = TempDir::new("locality", name);
    let out = tmp.join("out");
    let run = run_scenario(&format!("tests/fixtures/locality/{name}.yaml"), &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    summary(&out)
}

#[test]
fn without_outlier_detection_every_locality_shares_the_traffic() {
    holds("plain");
}

#[test]
fn with_outlier_detection_the_clients_zone_comes_first_and_fails_over_within_the_region() {
    let s = holds("outlier");
    let ej = s["ejections"].as_array().expect("ejections");
    assert_eq!(ej.len(), 1);
    assert_eq!(ej[0]["host"], "web-a-0");
}

#[test]
fn distribute_splits_by_the_configured_weights() {
    holds("distribute");
}

#[test]
fn weighted_routes_over_subsets_never_fail_over() {
    holds("weighted");
}

#[test]
fn priorities_changed_by_a_reapplied_rule_reach_the_balancer() {
    // Same hosts in the same order, other priorities: an endpoint update, not a new cluster.
    holds("reprioritized");
}
