//! Spec `source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`: the next check's delay — `no_traffic_interval` until the cluster has carried
//! traffic, edge intervals while a transition is pending, and jitter.

use std::time::Duration;

use super::*;
use crate::health::Transition;

#[test]
fn a_cluster_that_never_had_traffic_checks_every_60_s() {
    let mut c = checker(1, cfg());
    c.on_attempt();
    let done = c
        .on_result(h(0), &CheckResult::Passed, false, &mut rng())
        .unwrap();
    assert_eq!(done.next_in, Duration::from_secs(60));
    let done = c.on_result(h(0), &refused(), false, &mut rng()).unwrap();
    assert_eq!(done.next_in, Duration::from_secs(60));
}

#[test]
fn with_traffic_the_interval_applies_to_passes_and_failures() {
    let mut c = checker(1, cfg());
    assert_eq!(
        check(&mut c, 0, CheckResult::Passed).next_in,
        Duration::from_secs(5)
    );
    assert_eq!(check(&mut c, 0, refused()).next_in, Duration::from_secs(5));
}

#[test]
fn edge_intervals_apply_while_a_transition_is_pending() {
    let mut cfg = cfg();
    cfg.unhealthy_edge_interval = Duration::from_secs(1);
    cfg.healthy_edge_interval = Duration::from_secs(2);
    cfg.unhealthy_interval = Duration::from_secs(3);
    let mut c = checker(1, cfg);
    check(&mut c, 0, CheckResult::Passed);
    let t = check(&mut c, 0, refused());
    assert_eq!(
        (t.transition, t.next_in),
        (Transition::ChangePending, Duration::from_secs(1))
    );
    let t = check(&mut c, 0, refused());
    assert_eq!(
        (t.transition, t.next_in),
        (Transition::Changed, Duration::from_secs(3))
    );
    let t = check(&mut c, 0, CheckResult::Passed);
    assert_eq!(
        (t.transition, t.next_in),
        (Transition::ChangePending, Duration::from_secs(2))
    );
}

#[test]
fn jitter_adds_a_seeded_draw_below_its_bound() {
    let mut cfg = cfg();
    cfg.interval_jitter = Duration::from_millis(100);
    cfg.interval_jitter_percent = 10;
    let mut r = rng();
    let delays: Vec<Duration> = (0..50)
        .map(|_| cfg.next_delay(true, Transition::Unchanged, true, &mut r))
        .collect();
    let lo = Duration::from_secs(5);
    let hi = lo + Duration::from_millis(500 + 100);
    assert!(delays.iter().all(|d| *d >= lo && *d < hi));
    assert!(delays.iter().any(|d| *d != delays[0]), "jitter varies");
    let mut again = rng();
    let first = cfg.next_delay(true, Transition::Unchanged, true, &mut again);
    assert_eq!(first, delays[0], "same seed, same delays");
}

#[test]
fn the_first_check_runs_at_once_unless_initial_jitter_is_set() {
    let mut cfg = cfg();
    assert_eq!(cfg.initial_delay(&mut rng()), Duration::ZERO);
    cfg.initial_jitter = Duration::from_millis(300);
    let d = cfg.initial_delay(&mut rng());
    assert!(d >= Duration::from_millis(1) && d < Duration::from_millis(300));
}
