//! The interval sweep, active health checks and host removal (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::onIntervalTimer`, `source/common/upstream/outlier_detection_impl.cc` `successful_active_health_check_uneject_host`).

use super::*;
use crate::outlier::UnejectReason;

#[test]
fn a_host_comes_back_on_the_first_sweep_after_its_ejection_time() {
    // Spec `source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::onIntervalTimer`: interval 10 s, base 30 s, ejected at t = 12 s ⇒ back in service at t = 50 s.
    let (mut d, mut r) = (detector(4, cfg()), rng());
    sweeps(&mut d, secs(0), secs(10), &mut r);
    fail(&mut d, 0, 500, 5, secs(12), &mut r);
    let events = sweeps(&mut d, secs(10), secs(60), &mut r);
    assert_eq!(
        events,
        vec![(
            secs(50),
            Event::Unejected {
                host: h(0),
                reason: UnejectReason::Timer
            }
        )]
    );
}

#[test]
fn unejection_resets_every_consecutive_counter() {
    let c = Config {
        split_external_local_origin_errors: true,
        ..cfg()
    };
    let (mut d, mut r) = (detector(4, c), rng());
    fail(&mut d, 0, 500, 5, secs(1), &mut r);
    fail(&mut d, 0, 502, 3, secs(2), &mut r);
    assert_eq!(d.host(h(0)).unwrap().consecutive_5xx(), 3);
    sweeps(&mut d, secs(0), secs(40), &mut r);
    let m = d.host(h(0)).unwrap();
    assert_eq!(
        (
            m.consecutive_5xx(),
            m.consecutive_gateway_failure(),
            m.is_ejected()
        ),
        (0, 0, false)
    );
    assert_eq!(m.last_unejection(), Some(secs(40)));
}

#[test]
fn a_passing_active_health_check_unejects_at_once_unless_the_host_failed_health_checking() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    fail(&mut d, 0, 500, 5, secs(1), &mut r);
    assert_eq!(
        d.on_health_check(h(0), false, false, secs(2)),
        None,
        "a failed check does not"
    );
    assert_eq!(
        d.on_health_check(h(0), true, true, secs(2)),
        None,
        "FAILED_ACTIVE_HC keeps it out"
    );
    let e = d.on_health_check(h(0), true, false, secs(3));
    assert_eq!(
        e,
        Some(Event::Unejected {
            host: h(0),
            reason: UnejectReason::ActiveHealthCheck
        })
    );
    assert_eq!(d.stats().ejections_active.value(), 0);
    let off = Config {
        successful_active_health_check_uneject_host: false,
        ..cfg()
    };
    let mut d = detector(4, off);
    fail(&mut d, 0, 500, 5, secs(1), &mut r);
    assert_eq!(d.on_health_check(h(0), true, false, secs(3)), None);
}

#[test]
fn removing_an_ejected_host_frees_its_slot() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    fail(&mut d, 0, 500, 5, secs(1), &mut r);
    fail(&mut d, 1, 500, 5, secs(1), &mut r);
    d.remove_host(h(0));
    assert_eq!(d.stats().ejections_active.value(), 1);
    assert_eq!(d.stats().ejections_active.max(), 2);
    assert_eq!(d.ejected_hosts(), vec![h(1)]);
    d.add_host(h(7));
    assert_eq!(
        ejected(&fail(&mut d, 7, 500, 5, secs(2), &mut r)),
        vec![h(7)]
    );
}

/// The detector's whole state, as a sweep that skips would have to leave it.
fn state(d: &Detector) -> String {
    let mut d = d.clone();
    d.quiet = false;
    format!("{d:?}")
}

#[test]
fn a_sweep_skipped_on_a_quiet_detector_leaves_exactly_what_a_full_sweep_would() {
    // Success-rate detection on (2 hosts, volume 1) so a sweep has figures to compute.
    let c = Config {
        success_rate_minimum_hosts: 2,
        success_rate_request_volume: 1,
        ..cfg()
    };
    let (mut d, mut r) = (detector(2, c), rng());
    fail(&mut d, 0, 500, 5, secs(1), &mut r);
    fail(&mut d, 1, 200, 5, secs(1), &mut r);
    // Ejected at 1 s for 30 s; traffic stops. Sweep until the detector turns quiet.
    let mut t = secs(0);
    while !d.quiet {
        t += d.interval();
        assert!(t < secs(600), "the detector never turned quiet");
        d.on_interval(t, &mut r);
    }
    assert!(!d.is_ejected(h(0)), "quiet only with every host back");
    for _ in 0..3 {
        t += d.interval();
        let mut full = d.clone();
        full.quiet = false;
        let mut full_rng = r.clone();
        assert_eq!(full.on_interval(t, &mut full_rng), vec![]);
        assert_eq!(d.on_interval(t, &mut r), vec![]);
        assert_eq!(state(&d), state(&full));
        assert_eq!(format!("{r:?}"), format!("{full_rng:?}"), "no random draw");
    }
    // A result wakes it: the next sweep runs and sees the new sample.
    d.report(h(1), Outcome::Http(200), t, &mut r);
    assert!(!d.quiet);
}
