//! Consecutive-error counters and immediate ejection on HTTP statuses (`source/common/upstream/outlier_detection_impl.cc` `DetectorHostMonitorImpl::putHttpResponseCode`).

use super::*;
use crate::outlier::EjectionType;

#[test]
fn five_consecutive_5xx_eject_the_host_at_once() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    assert!(ejected(&fail(&mut d, 0, 500, 4, secs(1), &mut r)).is_empty());
    let events = fail(&mut d, 0, 500, 1, secs(1), &mut r);
    assert_eq!(
        events,
        vec![Event::Ejected {
            host: h(0),
            reason: EjectionType::Consecutive5xx,
            num_ejections: 1,
            duration: secs(30),
        }]
    );
    assert!(d.is_ejected(h(0)));
    let s = d.stats();
    assert_eq!(s.ejections_active.value(), 1);
    assert_eq!(s.detected(EjectionType::Consecutive5xx), 1);
    assert_eq!(s.enforced(EjectionType::Consecutive5xx), 1);
    assert_eq!(
        (
            s.ejections_enforced_total,
            s.ejections_total,
            s.ejections_consecutive_5xx
        ),
        (1, 1, 1)
    );
}

#[test]
fn the_consecutive_5xx_counter_is_kept_per_host() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    for _ in 0..4 {
        fail(&mut d, 0, 503, 1, secs(1), &mut r);
        fail(&mut d, 1, 503, 1, secs(1), &mut r);
    }
    assert_eq!(
        (
            d.host(h(0)).unwrap().consecutive_5xx(),
            d.host(h(1)).unwrap().consecutive_5xx()
        ),
        (4, 4)
    );
    assert_eq!(
        ejected(&fail(&mut d, 1, 503, 1, secs(1), &mut r)),
        vec![h(1)]
    );
    assert!(!d.is_ejected(h(0)));
}

#[test]
fn a_success_or_a_4xx_resets_the_consecutive_counters() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    fail(&mut d, 0, 503, 4, secs(1), &mut r);
    fail(&mut d, 0, 200, 1, secs(1), &mut r);
    assert_eq!(d.host(h(0)).unwrap().consecutive_5xx(), 0);
    fail(&mut d, 0, 503, 4, secs(1), &mut r);
    fail(&mut d, 0, 404, 1, secs(1), &mut r);
    assert!(ejected(&fail(&mut d, 0, 503, 4, secs(1), &mut r)).is_empty());
    assert_eq!(d.host(h(0)).unwrap().consecutive_gateway_failure(), 4);
}

#[test]
fn gateway_errors_are_502_503_504_and_also_count_as_5xx() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    for code in [502, 503, 504] {
        fail(&mut d, 0, code, 1, secs(1), &mut r);
    }
    let m = d.host(h(0)).unwrap();
    assert_eq!(
        (m.consecutive_gateway_failure(), m.consecutive_5xx()),
        (3, 3)
    );
    fail(&mut d, 0, 500, 1, secs(1), &mut r);
    let m = d.host(h(0)).unwrap();
    assert_eq!(
        (m.consecutive_gateway_failure(), m.consecutive_5xx()),
        (0, 4),
        "500 breaks the gateway run only"
    );
}

#[test]
fn gateway_failures_are_detected_but_not_enforced_by_default() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    let events = fail(&mut d, 0, 503, 5, secs(1), &mut r);
    let gw = EjectionType::ConsecutiveGatewayFailure;
    assert_eq!(
        events[0],
        Event::NotEnforced {
            host: h(0),
            reason: gw
        }
    );
    assert_eq!(
        ejected(&events),
        vec![h(0)],
        "the 5xx detector, enforced at 100 %, ejects"
    );
    assert_eq!((d.stats().detected(gw), d.stats().enforced(gw)), (1, 0));
}

#[test]
fn an_enforced_gateway_ejection_leaves_the_5xx_counter_running_until_unejection() {
    let c = Config {
        consecutive_gateway_failure: 3,
        enforcing_consecutive_gateway_failure: 100,
        ..cfg()
    };
    let (mut d, mut r) = (detector(4, c), rng());
    let events = fail(&mut d, 0, 503, 3, secs(1), &mut r);
    assert!(matches!(
        events[..],
        [Event::Ejected {
            reason: EjectionType::ConsecutiveGatewayFailure,
            ..
        }]
    ));
    assert!(
        fail(&mut d, 0, 503, 4, secs(2), &mut r).is_empty(),
        "an ejected host is left alone"
    );
    assert_eq!(
        d.host(h(0)).unwrap().consecutive_5xx(),
        7,
        "not reset while ejected"
    );
    assert_eq!(d.stats().detected(EjectionType::Consecutive5xx), 0);
    sweeps(&mut d, secs(0), secs(40), &mut r);
    assert!(!d.is_ejected(h(0)));
    assert_eq!(
        d.host(h(0)).unwrap().consecutive_5xx(),
        0,
        "reset on unejection"
    );
}

#[test]
fn enforcing_zero_never_ejects_but_counts_detections_and_resets_the_counter() {
    let c = Config {
        enforcing_consecutive_5xx: 0,
        ..cfg()
    };
    let (mut d, mut r) = (detector(4, c), rng());
    let events = fail(&mut d, 0, 500, 10, secs(1), &mut r);
    assert!(ejected(&events).is_empty());
    let s = d.stats();
    assert_eq!(
        s.detected(EjectionType::Consecutive5xx),
        2,
        "5 more errors are needed after each"
    );
    assert_eq!(
        (
            s.enforced(EjectionType::Consecutive5xx),
            s.ejections_enforced_total
        ),
        (0, 0)
    );
    assert_eq!(
        s.ejections_total, 2,
        "the deprecated total counts detections within the percent limit"
    );
    assert_eq!(s.ejections_active.value(), 0);
}

#[test]
fn a_threshold_of_zero_never_fires() {
    let c = Config {
        consecutive_5xx: 0,
        ..cfg()
    };
    let (mut d, mut r) = (detector(4, c), rng());
    assert!(fail(&mut d, 0, 500, 50, secs(1), &mut r).is_empty());
}

#[test]
fn results_for_an_unknown_host_are_ignored() {
    let (mut d, mut r) = (detector(2, cfg()), rng());
    assert!(fail(&mut d, 9, 500, 10, secs(1), &mut r).is_empty());
}
