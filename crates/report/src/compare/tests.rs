use std::collections::BTreeMap;

use super::gate::{Gate, Op};
use super::*;

fn runs(values: &[f64], metric: &str) -> Vec<BTreeMap<String, LoadMetrics>> {
    values
        .iter()
        .map(|v| {
            BTreeMap::from([(
                "c3".to_string(),
                BTreeMap::from([(metric.to_string(), *v), ("requests".to_string(), 30.0)]),
            )])
        })
        .collect()
}

#[test]
fn identical_runs_differ_by_exactly_zero_and_nothing_changed() {
    let base = runs(&[0.5, 0.6, 0.4, 0.55], "code_503_share");
    let loads = compare_loads(&base, &base);
    let row = &loads[0].metrics["code_503_share"];
    assert_eq!((row.delta, row.ci95, row.changed), (0.0, [0.0, 0.0], false));
    assert!(loads[0].metrics.values().all(|m| !m.changed));
}

#[test]
fn a_consistent_drop_is_changed_with_a_paired_interval() {
    let base = runs(&[0.5, 0.6, 0.4, 0.55], "code_503_share");
    let cand = runs(&[0.0, 0.0, 0.0, 0.0], "code_503_share");
    let row = &compare_loads(&base, &cand)[0].metrics["code_503_share"];
    assert!(row.changed);
    assert!((row.delta + 0.5125).abs() < 1e-12);
    assert!(row.ci95[1] < 0.0);
}

#[test]
fn a_share_one_side_lacks_is_zero_there_but_a_latency_is_unknown() {
    let base = runs(&[0.2, 0.3], "code_503_share");
    let cand: Vec<_> = runs(&[0.0, 0.0], "p99_ms");
    let loads = compare_loads(&base, &cand);
    assert_eq!(loads[0].metrics["code_503_share"].candidate, 0.0);
    assert!(!loads[0].metrics.contains_key("p99_ms"));
}

#[test]
fn gates_parse_and_trip_only_on_significant_changes() {
    let g = Gate::parse("c3:code_503_share < -0.1").unwrap();
    assert_eq!(
        (g.load.as_deref(), g.op, g.value, g.relative),
        (Some("c3"), Op::Lt, -0.1, false)
    );
    let p = Gate::parse("p99_ms > +20%").unwrap();
    assert!(p.relative && p.value == 20.0 && p.op == Op::Gt);
    assert!(Gate::parse("p99_ms").is_err());
    assert!(Gate::parse("p99 ms > 3").is_err());
    assert!(Gate::parse("p99_ms > lots").is_err());

    let base = runs(&[0.5, 0.6, 0.4, 0.55], "code_503_share");
    let cand = runs(&[0.0, 0.0, 0.0, 0.0], "code_503_share");
    let loads = compare_loads(&base, &cand);
    assert!(g.evaluate(&loads).held);
    assert!(
        !Gate::parse("code_503_share > 0")
            .unwrap()
            .evaluate(&loads)
            .held
    );
    // Noise: deltas around 0 never trip a gate, however low its threshold.
    let noisy = runs(&[0.52, 0.58, 0.41, 0.55], "code_503_share");
    let loads = compare_loads(&base, &noisy);
    assert!(
        !Gate::parse("code_503_share > 0")
            .unwrap()
            .evaluate(&loads)
            .held
    );
    assert!(Gate::parse("nope:requests > 0")
        .unwrap()
        .check(&loads)
        .is_err());
    assert!(Gate::parse("p42_ms > 0").unwrap().check(&loads).is_err());
}
