//! Outlier detection in the twin (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl`): upstream 5xx from one endpoint eject it, and the
//! cluster's traffic moves to the healthy one; local overflows are never counted.

mod common;

use std::time::Duration;

use common::*;
use meshtwin_model::event::{EventKind, OutlierAction, OutlierReason};
use meshtwin_model::policy::OutlierDetection;
use meshtwin_model::topology::{AppBehaviour, LatencyDist};

fn app(error_rate: f64) -> AppBehaviour {
    AppBehaviour {
        port: 80,
        latency: LatencyDist::Fixed {
            value: Duration::from_millis(2),
        },
        error_rate,
        error_status: 503,
        ..AppBehaviour::default()
    }
}

#[test]
fn consecutive_503s_eject_the_failing_endpoint_and_traffic_moves_to_the_healthy_one() {
    let mut topo = httpbin_topology();
    // Two httpbin workloads behind the one service: one always fails with 503.
    topo.workloads[0] = workload("httpbin-good", Some(app(0.0)), &[("app", "httpbin")]);
    topo.workloads.insert(
        1,
        workload("httpbin-bad", Some(app(1.0)), &[("app", "httpbin")]),
    );
    let mut policies = circuit_breaker_policy();
    let tp = &mut policies.destination_rules[0].traffic_policy;
    tp.pool = meshtwin_model::policy::PoolSettings::istio_default();
    tp.outlier_detection = Some(OutlierDetection {
        consecutive_5xx: Some(3),
        consecutive_gateway_failure: None,
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: Duration::from_secs(1),
        base_ejection_time: Duration::from_secs(30),
        max_ejection_time: None,
        max_ejection_percent: 100,
        enforcing_consecutive_5xx: 100,
        enforcing_consecutive_gateway_failure: 0,
        enforcing_success_rate: 0,
        healthy_panic_threshold: Some(0),
    });
    let mut load = fortio("steady", 1000, 1, 200);
    load.qps = 50.0;
    let sc = scenario(1, vec![load]);
    let r = meshtwin_sim::run(&topo, &policies, &sc).expect("valid scenario");
    let ejection = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Outlier {
            host,
            action,
            reason,
            ..
        } if *action == OutlierAction::Ejected => Some((e.t_ms, host.clone(), *reason)),
        _ => None,
    });
    let (t, host, reason) = ejection.expect("the failing endpoint is ejected");
    assert_eq!(host, "httpbin-bad-0");
    assert_eq!(reason, OutlierReason::Consecutive5xx);
    let calls = r.traced_calls(&r.loads[0].0.name);
    let failed_before = calls.iter().filter(|c| c.status == 503).count();
    assert_eq!(
        failed_before, 3,
        "exactly the three consecutive 503s that trip the detector"
    );
    let after: Vec<_> = calls
        .iter()
        .filter(|c| c.end.as_micros() as f64 / 1000.0 > t)
        .collect();
    assert!(after.len() > 150);
    assert!(after
        .iter()
        .all(|c| c.status == 200 && c.upstream_pod.as_deref() == Some("httpbin-good-0")));
    let stats = &r.proxies["fortio-0"].counters;
    let p = "cluster.outbound|8000||httpbin.default.svc.cluster.local.outlier_detection.";
    assert_eq!(stats[&format!("{p}ejections_enforced_total")], 1);
    assert_eq!(stats[&format!("{p}ejections_enforced_consecutive_5xx")], 1);
}

#[test]
fn local_overflows_are_never_reported_to_outlier_detection() {
    let mut policies = circuit_breaker_policy();
    let tp = &mut policies.destination_rules[0].traffic_policy;
    tp.outlier_detection = Some(OutlierDetection {
        consecutive_5xx: Some(1),
        consecutive_gateway_failure: None,
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: Duration::from_secs(1),
        base_ejection_time: Duration::from_secs(180),
        max_ejection_time: None,
        max_ejection_percent: 100,
        enforcing_consecutive_5xx: 100,
        enforcing_consecutive_gateway_failure: 0,
        enforcing_success_rate: 0,
        healthy_panic_threshold: Some(0),
    });
    let sc = scenario(1, vec![fortio("c3", 1000, 3, 30)]);
    let r = meshtwin_sim::run(&httpbin_topology(), &policies, &sc).expect("valid scenario");
    let n503 = r.loads[0].2.calls.with_status(503);
    assert!(n503 > 5, "the pending queue overflows");
    let stats = &r.proxies["fortio-0"].counters;
    let p = "cluster.outbound|8000||httpbin.default.svc.cluster.local.outlier_detection.";
    assert_eq!(stats[&format!("{p}ejections_detected_consecutive_5xx")], 0);
    assert_eq!(stats[&format!("{p}ejections_enforced_total")], 0);
}
