//! Stats under Envoy's names, seeded enforcement, and the configuration from the model
//! (`source/common/upstream/outlier_detection_impl.cc` `DetectorConfig`, `source/common/upstream/outlier_detection_impl.h` `ALL_OUTLIER_DETECTION_STATS`, istiod `pilot/pkg/networking/core/cluster_traffic_policy.go` `applyOutlierDetection`, R9).

use super::*;
use crate::outlier::{Compat, EjectionType, OutlierStats};
use crate::stats::StatsWriter;

#[test]
fn stats_render_under_envoys_names() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    fail(&mut d, 0, 503, 5, secs(1), &mut r);
    let mut out = StatsWriter::default();
    d.stats().write("outbound|8000||httpbin", &mut out);
    let out = out.finish();
    let p = "cluster.outbound|8000||httpbin.outlier_detection.";
    let names: Vec<String> = out
        .counters
        .keys()
        .map(|k| k.strip_prefix(p).unwrap().to_string())
        .collect();
    let mut want: Vec<String> = [
        "ejections_enforced_total",
        "ejections_overflow",
        "ejections_total",
        "ejections_consecutive_5xx",
        "ejections_success_rate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for t in EjectionType::ALL {
        want.push(format!("ejections_detected_{}", t.stat_suffix()));
        want.push(format!("ejections_enforced_{}", t.stat_suffix()));
    }
    want.sort();
    assert_eq!(names, want);
    assert_eq!(
        out.counters[&format!("{p}ejections_enforced_consecutive_5xx")],
        1
    );
    assert_eq!(
        out.counters[&format!("{p}ejections_detected_consecutive_gateway_failure")],
        1
    );
    assert_eq!(
        out.counters[&format!("{p}ejections_enforced_consecutive_gateway_failure")],
        0
    );
    assert_eq!(out.gauges[&format!("{p}ejections_active")], 1);
    let rendered = d.stats().render();
    assert!(rendered.contains(&("outlier_detection.ejections_active".to_string(), 1)));
    assert_eq!(rendered.len(), 20);
    assert_eq!(
        OutlierStats::default()
            .render()
            .iter()
            .map(|(_, v)| v)
            .sum::<u64>(),
        0
    );
}

/// Hosts 0..8 each fail 5 times in a row, with 50 % enforcement: which were ejected.
fn half_enforced(seed: u64) -> Vec<Event> {
    let c = Config {
        enforcing_consecutive_5xx: 50,
        ..cfg()
    };
    let mut d = detector(8, c);
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..8)
        .flat_map(|i| fail(&mut d, i, 500, 5, secs(1), &mut r))
        .collect()
}

#[test]
fn enforcement_rolls_come_from_the_seed() {
    assert_eq!(half_enforced(42), half_enforced(42));
    let runs: Vec<usize> = (0..20).map(|s| ejected(&half_enforced(s)).len()).collect();
    assert!(
        runs.iter().any(|n| *n != runs[0]),
        "different seeds roll differently: {runs:?}"
    );
    let total: usize = runs.iter().sum();
    assert!(
        (50..=110).contains(&total),
        "about half of 160 attempts enforced: {total}"
    );
}

#[test]
fn from_model_keeps_istios_mapping_and_envoys_defaults() {
    use meshtwin_model::policy::OutlierDetection;
    let od = OutlierDetection {
        consecutive_5xx: Some(1),
        consecutive_gateway_failure: Some(5),
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: secs(1),
        base_ejection_time: secs(180),
        max_ejection_time: None,
        max_ejection_percent: 100,
        enforcing_consecutive_5xx: 100,
        enforcing_consecutive_gateway_failure: 0,
        enforcing_success_rate: 0,
        healthy_panic_threshold: Some(0),
    };
    let c = Config::from_model(&od, Compat::CURRENT).unwrap();
    assert_eq!(
        (c.consecutive_5xx, c.interval, c.max_ejection_time),
        (1, secs(1), secs(300))
    );
    assert_eq!(
        (
            c.enforcing_success_rate,
            c.enforcing_local_origin_success_rate
        ),
        (0, 0)
    );
    assert_eq!(
        (
            c.success_rate_minimum_hosts,
            c.success_rate_request_volume,
            c.success_rate_stdev_factor
        ),
        (5, 100, 1900)
    );
    let long = OutlierDetection {
        base_ejection_time: secs(400),
        ..od.clone()
    };
    assert_eq!(
        Config::from_model(&long, Compat::CURRENT)
            .unwrap()
            .max_ejection_time,
        secs(400)
    );
    let bad = OutlierDetection {
        max_ejection_time: Some(secs(10)),
        ..od
    };
    let err = Config::from_model(&bad, Compat::CURRENT).unwrap_err();
    assert!(err
        .to_string()
        .contains("max_ejection_time cannot be smaller than base_ejection_time"));
}

#[test]
fn envoys_defaults_show_through() {
    // R9: consecutive_5xx 5, interval 10 s, base 30 s, max 300 s, max 10 %, success rate on.
    let c = Config::default();
    assert_eq!(
        (
            c.consecutive_5xx,
            c.interval,
            c.base_ejection_time,
            c.max_ejection_time
        ),
        (5, secs(10), secs(30), secs(300))
    );
    assert_eq!(
        (c.max_ejection_percent, c.enforcing_success_rate),
        (10, 100)
    );
    assert_eq!(
        (
            c.success_rate_minimum_hosts,
            c.success_rate_request_volume,
            c.success_rate_stdev_factor
        ),
        (5, 100, 1900)
    );
}
