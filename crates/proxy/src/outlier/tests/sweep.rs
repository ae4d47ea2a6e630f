//! The interval sweep, active health checks and host removal (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::onIntervalTimer`, `source/common/upstream/outlier_detection_impl.cc` `successful_active_health_check_uneject_host`).

use super::*;
use crate::outlier::{EjectionDurationRule, UnejectReason};

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

/// What anyone can observe of a detector of `hosts` hosts: every host's state, the stats,
/// the success-rate figures and the ejected hosts.
fn state(d: &Detector, hosts: u32) -> String {
    let monitors: Vec<_> = (0..hosts).map(|i| d.host(h(i)).cloned()).collect();
    format!(
        "{monitors:?} {:?} {:?} {:?} {:?}",
        d.stats(),
        d.success_rate_nums(false),
        d.success_rate_nums(true),
        d.ejected_hosts()
    )
}

/// Sweep `d` at `t`, and a copy that lists every host first (Envoy's walk over every host
/// monitor): both must give the same events, states and random draws.
fn sweep_both(d: &mut Detector, hosts: u32, t: Duration, r: &mut ChaCha8Rng) {
    let (mut full, mut full_rng) = (d.clone(), r.clone());
    for i in 0..hosts {
        full.hosts.touch(h(i));
    }
    let events = d.on_interval(t, r);
    assert_eq!(
        events,
        full.on_interval(t, &mut full_rng),
        "events at {t:?}"
    );
    assert_eq!(state(d, hosts), state(&full, hosts), "state at {t:?}");
    assert_eq!(format!("{r:?}"), format!("{full_rng:?}"), "draws at {t:?}");
    let busy: Vec<HostId> = (0..hosts)
        .map(h)
        .filter(|&i| d.host(i).is_some_and(|m| m.sweep_has_work()))
        .collect();
    assert_eq!(
        d.hosts.listed(),
        busy,
        "listed exactly the hosts with work at {t:?}"
    );
}

#[test]
fn a_sweep_over_the_listed_hosts_leaves_exactly_what_a_sweep_over_every_host_would() {
    for rule in [
        EjectionDurationRule::Backoff,
        EjectionDurationRule::BackoffSweepDecay,
        EjectionDurationRule::LegacyLinear,
    ] {
        // Success-rate and failure-percentage detection on, so sweeps eject and draw too.
        let mut c = Config {
            success_rate_minimum_hosts: 2,
            success_rate_request_volume: 2,
            failure_percentage_minimum_hosts: 2,
            failure_percentage_request_volume: 4,
            enforcing_failure_percentage: 100,
            max_ejection_time_jitter: Duration::from_millis(500),
            ..cfg()
        };
        c.compat.ejection_duration = rule;
        let (mut d, mut r) = (detector(6, c), rng());
        let mut t = secs(0);
        for step in 0..60u32 {
            // Traffic for a while, a pause long enough to come back and decay, then more.
            if step < 12 || (30..36).contains(&step) {
                let when = t + secs(1);
                fail(&mut d, 0, 503, 6, when, &mut r);
                fail(&mut d, 1, 200, 4, when, &mut r);
                fail(
                    &mut d,
                    2,
                    if step % 2 == 0 { 500 } else { 200 },
                    3,
                    when,
                    &mut r,
                );
                fail(&mut d, 4 + step % 2, 200, 2, when, &mut r);
            }
            if step == 40 {
                d.remove_host(h(4));
                d.add_host(h(9));
            }
            t += d.interval();
            sweep_both(&mut d, 10, t, &mut r);
        }
        assert!(d.hosts.listed().is_empty(), "idle again under {rule:?}");
        assert!(
            d.host(h(0)).unwrap().num_ejections() > 1,
            "ejected more than once"
        );
    }
}
