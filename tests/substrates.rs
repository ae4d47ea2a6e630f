//! The differential test of the two socket layers: every bundled scenario meets the same
//! expectations on turmoil-net as on the twin's own fabric (the default), with the same
//! requests made. Sub-millisecond orderings may differ between the two (see the fabric's
//! module docs), so the summaries are not compared byte for byte.

mod common;

use common::{bundled_scenarios, run_scenario, summary, TempDir};
use serde_json::Value;

/// Each expectation's name and verdict.
type Verdicts = Vec<(String, bool)>;
/// Each load's name and request count.
type Requests = Vec<(String, u64)>;

/// What a run's summary says of its expectations and loads.
fn outcome(summary: &Value) -> (Verdicts, Requests) {
    let verdicts = summary["expectations"]
        .as_array()
        .expect("expectations is a list")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("a verdict's name").to_string(),
                v["pass"].as_bool().expect("a verdict's pass"),
            )
        })
        .collect();
    let loads = summary["loads"]
        .as_array()
        .expect("loads is a list")
        .iter()
        .map(|l| {
            (
                l["name"].as_str().expect("a load's name").to_string(),
                l["requests"].as_u64().expect("a load's requests"),
            )
        })
        .collect();
    (verdicts, loads)
}

#[test]
fn every_bundled_scenario_meets_the_same_expectations_on_turmoil_net_as_on_the_fabric() {
    let mut failures = Vec::new();
    for sc in bundled_scenarios() {
        let tmp = TempDir::new("substrates", &sc.name);
        let (fabric, turmoil) = (tmp.join("fabric"), tmp.join("turmoil"));
        let a = run_scenario(&sc.path, &fabric, &[]);
        let b = run_scenario(&sc.path, &turmoil, &["--substrate", "turmoil-net"]);
        if a.code != 0 || b.code != 0 {
            failures.push(format!(
                "{}:\n--- fabric ---\n{}\n--- turmoil-net ---\n{}",
                sc.path,
                a.transcript(),
                b.transcript()
            ));
            continue;
        }
        let (va, la) = outcome(&summary(&fabric));
        let (vb, lb) = outcome(&summary(&turmoil));
        assert!(!va.is_empty(), "{}: no expectation judged", sc.name);
        assert_eq!(va, vb, "{}: verdicts differ between substrates", sc.name);
        assert_eq!(la, lb, "{}: requests differ between substrates", sc.name);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
