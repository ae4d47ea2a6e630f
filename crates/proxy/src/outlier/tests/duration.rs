//! How long ejections last: the back-off multiplier, its cap and decay, the legacy linear rule
//! and jitter (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::onIntervalTimer`, `source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`, docs/reference/topology.md (Envoy version switches) V2).

use super::*;
use crate::outlier::{Compat, EjectionDurationRule};

/// Eject host 0 at `t` (5 consecutive 500s); the ejection's announced duration.
fn eject_at(d: &mut Detector, t: Duration, r: &mut ChaCha8Rng) -> Duration {
    match fail(d, 0, 500, 5, t, r)[..] {
        [Event::Ejected { duration, .. }] => duration,
        ref other => panic!("expected one ejection at {t:?}, got {other:?}"),
    }
}

/// Sweep every interval after `t` until host 0 is back; the sweep time that brought it back.
fn sweep_until_back(d: &mut Detector, mut t: Duration, r: &mut ChaCha8Rng) -> Duration {
    for _ in 0..1000 {
        t += d.interval();
        if d.on_interval(t, r)
            .iter()
            .any(|e| matches!(e, Event::Unejected { .. }))
        {
            return t;
        }
    }
    panic!("host 0 never came back");
}

/// Eject, wait for the sweep that unejects, re-eject at once: the durations seen.
fn back_to_back(d: &mut Detector, times: usize, r: &mut ChaCha8Rng) -> Vec<u64> {
    let mut t = secs(0);
    (0..times)
        .map(|_| {
            let announced = eject_at(d, t, r);
            let back = sweep_until_back(d, t, r);
            assert_eq!(
                back - t,
                announced,
                "sweeps are aligned with the ejection here"
            );
            t = back;
            announced.as_secs()
        })
        .collect()
}

#[test]
fn repeated_ejections_grow_by_base_and_cap_at_max_ejection_time() {
    let (mut d, mut r) = (detector(1, cfg()), rng());
    let durations = back_to_back(&mut d, 13, &mut r);
    assert_eq!(
        durations,
        [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300, 300]
    );
    assert_eq!(
        d.host(h(0)).unwrap().backoff(),
        11,
        "stops one step above the cap: max/base + 1"
    );
}

#[test]
fn the_multiplier_decays_by_one_per_healthy_sweep() {
    let (mut d, mut r) = (detector(1, cfg()), rng());
    back_to_back(&mut d, 2, &mut r); // 30 s then 60 s: backoff 2, back at t = 90 s
    assert_eq!(d.host(h(0)).unwrap().backoff(), 2);
    d.on_interval(secs(100), &mut r);
    assert_eq!(d.host(h(0)).unwrap().backoff(), 1);
    d.on_interval(secs(110), &mut r);
    d.on_interval(secs(120), &mut r);
    assert_eq!(d.host(h(0)).unwrap().backoff(), 0, "never below zero");
    assert_eq!(
        eject_at(&mut d, secs(121), &mut r),
        secs(30),
        "back to the base time"
    );
}

/// Host 0 ejected at 0 s (30 s) and again right after its return (60 s, back at 90 s), then
/// re-ejected by 5 failures at 95 s: the third ejection's duration.
fn third_ejection_after_an_early_sweep(rule: EjectionDurationRule) -> Duration {
    let c = Config {
        compat: Compat {
            ejection_duration: rule,
            ..Compat::CURRENT
        },
        ..cfg()
    };
    let (mut d, mut r) = (detector(1, c), rng());
    back_to_back(&mut d, 2, &mut r);
    // A sweep 5 s after the return (interval 10 s; sweeps are not phase-locked to ejections
    // when a host is ejected between them).
    d.on_interval(secs(95), &mut r);
    eject_at(&mut d, secs(96), &mut r)
}

#[test]
fn before_envoy_1_28_any_sweep_finding_the_host_in_service_decays_the_multiplier() {
    assert_eq!(
        third_ejection_after_an_early_sweep(EjectionDurationRule::BackoffSweepDecay),
        secs(60),
        "Envoy 1.17–1.27: decayed 5 s after the return, so the third ejection is 2 × base"
    );
    assert_eq!(
        third_ejection_after_an_early_sweep(EjectionDurationRule::Backoff),
        secs(90),
        "Envoy 1.28+: not an interval in service yet, so no decay: 3 × base"
    );
}

#[test]
fn at_the_cap_one_extra_decay_step_is_needed_before_durations_shrink() {
    for (healthy_sweeps, want) in [(1, 300), (2, 300), (3, 270)] {
        let (mut d, mut r) = (detector(1, cfg()), rng());
        back_to_back(&mut d, 11, &mut r);
        let mut t = d.host(h(0)).unwrap().last_unejection().unwrap();
        for _ in 0..healthy_sweeps {
            t += d.interval();
            d.on_interval(t, &mut r);
        }
        assert_eq!(
            eject_at(&mut d, t, &mut r),
            secs(want),
            "after {healthy_sweeps} healthy sweeps"
        );
    }
}

#[test]
fn the_legacy_rule_is_base_times_ejections_uncapped_and_never_decays() {
    let c = Config {
        compat: Compat {
            ejection_duration: EjectionDurationRule::LegacyLinear,
            ..Compat::CURRENT
        },
        ..cfg()
    };
    let (mut d, mut r) = (detector(1, c), rng());
    let durations = back_to_back(&mut d, 11, &mut r);
    assert_eq!(
        durations,
        [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330]
    );
    let mut t = d.host(h(0)).unwrap().last_unejection().unwrap();
    for _ in 0..100 {
        t += d.interval();
        d.on_interval(t, &mut r);
    }
    assert_eq!(
        eject_at(&mut d, t, &mut r),
        secs(360),
        "the 12th ejection, however long ago the 11th"
    );
}

#[test]
fn jitter_adds_a_seeded_random_delay_of_at_most_the_configured_jitter() {
    let c = Config {
        max_ejection_time_jitter: secs(5),
        ..cfg()
    };
    let announce = |seed| {
        let mut d = detector(1, c.clone());
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        eject_at(&mut d, secs(0), &mut r)
    };
    let d1 = announce(1);
    assert!(d1 >= secs(30) && d1 <= secs(35), "{d1:?}");
    assert_eq!(announce(1), d1, "the same seed gives the same jitter");
    let spread: Vec<Duration> = (2..10).map(announce).collect();
    assert!(
        spread.iter().any(|d| *d != d1),
        "different seeds jitter differently"
    );
}
