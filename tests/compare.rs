//! `meshtwin compare`: two variants of a scenario on the same seeds, paired deltas with their
//! intervals, the configuration difference beside the effect, and `--fail-if` gates.

mod common;

use common::{meshtwin, read, TempDir};
use serde_json::Value;

const SCENARIO: &str = "scenarios/istio-circuit-breaking.yaml";
const PENDING_100: &str = "policies/istio/httpbin-circuit-breaking-pending-100.yaml";

fn compare(out: &std::path::Path, extra: &[&str]) -> (common::Outcome, Value) {
    let out_s = out.display().to_string();
    let mut args = vec!["compare", SCENARIO, "--seeds", "6", "--out", &out_s];
    args.extend_from_slice(extra);
    let r = meshtwin(&args);
    let json = std::fs::read_to_string(out.join("compare.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (r, json)
}

#[test]
fn raising_the_pending_limit_removes_the_overflow_503s_and_names_the_limit_as_the_cause() {
    let tmp = TempDir::new("compare", "pending");
    let (r, json) = compare(&tmp.join("out"), &["--candidate", "pending-100"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let c3 = &json["loads"][1];
    assert_eq!(c3["name"], "c3");
    let share = &c3["metrics"]["code_503_share"];
    assert!(share["baseline"].as_f64().unwrap() > 0.3, "{share}");
    assert_eq!(share["candidate"], 0.0);
    assert_eq!(share["changed"], true);
    assert!(share["ci95"][1].as_f64().unwrap() < 0.0, "{share}");
    assert_eq!(c3["metrics"]["code_503_UO_share"]["changed"], true);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("  code_503_share") && l.ends_with("changed")),
        "{}",
        r.stdout
    );
    // The cause beside the effect: the client's cluster pending limit, 1 → 100.
    assert!(
        r.stdout.contains(
            "clusters[outbound|8000||httpbin.default.svc.cluster.local].pool.thresholds.max_pending_requests: 1 → 100"
        ),
        "{}",
        r.stdout
    );
    let change = &json["config_changes"][0];
    assert_eq!(change["proxies"][0], "fortio-0");
    assert_eq!(json["candidate"]["name"], "pending-100");
    assert_eq!(json["seeds"].as_array().unwrap().len(), 6);
}

#[test]
fn a_candidate_identical_to_the_baseline_differs_by_exactly_zero_everywhere() {
    let tmp = TempDir::new("compare", "identical");
    let (r, json) = compare(
        &tmp.join("out"),
        &[
            "--candidate",
            "policies/istio/httpbin-circuit-breaking.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(
        r.stdout.contains("proxy configuration: identical"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(" changed\n"), "{}", r.stdout);
    for load in json["loads"].as_array().unwrap() {
        for (name, m) in load["metrics"].as_object().unwrap() {
            assert_eq!(m["delta"], 0.0, "{name}");
            assert_eq!(m["ci95"], serde_json::json!([0.0, 0.0]), "{name}");
            assert_eq!(m["changed"], false, "{name}");
            assert_eq!(m["baseline"], m["candidate"], "{name}");
        }
    }
}

#[test]
fn a_gate_turns_a_regression_into_exit_1_and_bad_gates_exit_2() {
    let tmp = TempDir::new("compare", "gates");
    // The baseline is the what-if here, so going back to pending 1 is the regression.
    let (r, json) = compare(
        &tmp.join("a"),
        &[
            "--baseline",
            "pending-100",
            "--candidate",
            "policies/istio/httpbin-circuit-breaking.yaml",
            "--fail-if",
            "success_share < -0.001",
            "--fail-if",
            "c2:p99_ms > +500%",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(
        r.stdout
            .contains("FAIL --fail-if success_share < -0.001: held for c2, c3"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("ok   --fail-if c2:p99_ms > +500%"),
        "{}",
        r.stdout
    );
    assert_eq!(json["gates"][0]["held"], true);
    for (gate, says) in [
        ("success_share <", "is not a number"),
        ("success_share", "expected `[LOAD:]METRIC OP VALUE`"),
        ("p42_ms > 1", "no metric named 'p42_ms'"),
        ("c9:requests > 1", "no load named 'c9'"),
    ] {
        let (r, _) = compare(
            &tmp.join("bad"),
            &["--candidate", PENDING_100, "--fail-if", gate],
        );
        assert_eq!(r.code, 2, "{gate}: {}", r.transcript());
        assert!(r.stderr.contains(says), "{gate}: {}", r.stderr);
    }
    let (r, _) = compare(&tmp.join("bad"), &["--candidate", "no-such-variant"]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.contains("variants: pending-100"), "{}", r.stderr);
}

#[test]
fn the_comparison_does_not_depend_on_the_worker_count() {
    let tmp = TempDir::new("compare", "jobs");
    let (a, _) = compare(&tmp.join("j1"), &["--jobs", "1"]);
    let (b, _) = compare(&tmp.join("j2"), &["--jobs", "2"]);
    assert_eq!(a.code, 0, "{}", a.transcript());
    assert_eq!(b.code, 0, "{}", b.transcript());
    assert_eq!(
        read(&tmp.join("j1").join("compare.json")),
        read(&tmp.join("j2").join("compare.json"))
    );
}

#[test]
fn a_variant_naming_an_unknown_workload_is_located_invalid_input() {
    let tmp = TempDir::new("compare", "unknown-workload");
    let out = tmp.join("out").display().to_string();
    let r = meshtwin([
        "compare",
        "tests/fixtures/compare/unknown-workload.yaml",
        "--seeds",
        "2",
        "--out",
        &out,
    ]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        r.stderr.contains(
            "tests/fixtures/compare/unknown-workload.yaml:8: variant broken: workloads[0].workload: no workload named 'httpbinn'"
        ),
        "{}",
        r.stderr
    );
    assert!(!tmp.join("out").exists(), "nothing written");
}

#[test]
fn an_istio_upgrade_rehearsal_names_the_default_retry_policy_as_the_difference() {
    let tmp = TempDir::new("compare", "upgrade");
    let out = tmp.join("out").display().to_string();
    let r = meshtwin([
        "compare",
        "scenarios/istio-upgrade-default-retry.yaml",
        "--istio",
        "1.23",
        "--candidate-istio",
        "1.24",
        "--seeds",
        "3",
        "--out",
        &out,
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let json: Value = serde_json::from_slice(&read(&tmp.join("out").join("compare.json"))).unwrap();
    let share = &json["loads"][0]["metrics"]["code_503_share"];
    // 1.23 retries upstream 503s twice: 0.3³ ≈ 2.7 %; 1.24 does not: ≈ 30 % (±4σ bands
    // over 3 × 2000 calls).
    let (b, c) = (
        share["baseline"].as_f64().unwrap(),
        share["candidate"].as_f64().unwrap(),
    );
    assert!((0.018..0.036).contains(&b), "{share}");
    assert!((0.276..0.324).contains(&c), "{share}");
    assert_eq!(share["changed"], true);
    assert_eq!(json["candidate"]["name"], "istio-1.24");
    assert!(
        r.stdout
            .contains("retry_policy[0].retriable_status_codes: [503] → []"),
        "{}",
        r.stdout
    );
    let bad = meshtwin([
        "compare",
        "scenarios/istio-upgrade-default-retry.yaml",
        "--candidate-istio",
        "2.0",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.transcript());
    assert!(
        bad.stderr
            .contains("--candidate-istio: Istio 2.0 is not modelled"),
        "{}",
        bad.stderr
    );
}
