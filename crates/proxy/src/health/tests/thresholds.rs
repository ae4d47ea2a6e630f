//! Spec `source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`: new hosts start failed, the first pass clears them, thresholds count consecutive
//! results, and an unexpected HTTP status fails a healthy host at once.

use super::*;
use crate::health::Transition;

#[test]
fn new_hosts_start_failed_and_the_first_pass_makes_them_healthy_whatever_the_threshold() {
    let mut c = checker(2, cfg());
    assert!(c.failed(h(0)) && c.failed(h(1)));
    assert_eq!(c.stats().healthy.value(), 0);
    let done = check(&mut c, 0, CheckResult::Passed);
    assert_eq!(done.transition, Transition::Changed);
    assert!(!done.failed_active_hc);
    assert_eq!(done.event.unwrap().reason, "first check");
    assert_eq!(c.stats().healthy.value(), 1);
    assert!(c.failed(h(1)));
}

#[test]
fn a_failed_first_check_keeps_the_host_failed_and_is_logged() {
    let mut c = checker(1, cfg());
    let done = check(&mut c, 0, CheckResult::Status(503));
    assert_eq!(done.transition, Transition::Unchanged);
    let e = done.event.expect("Envoy logs a failed first check");
    assert!(!e.healthy);
    assert_eq!(e.reason, "first check: status 503");
    // After a failed first check the healthy threshold applies.
    let t = check(&mut c, 0, CheckResult::Passed);
    assert_eq!(t.transition, Transition::ChangePending);
    assert!(t.failed_active_hc);
    let t = check(&mut c, 0, CheckResult::Passed);
    assert_eq!(t.transition, Transition::Changed);
    assert_eq!(t.event.unwrap().reason, "2 consecutive successes");
}

#[test]
fn network_failures_and_timeouts_need_the_unhealthy_threshold() {
    let mut c = checker(1, cfg());
    check(&mut c, 0, CheckResult::Passed);
    let t = check(&mut c, 0, refused());
    assert_eq!(t.transition, Transition::ChangePending);
    assert!(!t.failed_active_hc, "one network failure of two");
    let t = check(&mut c, 0, CheckResult::Timeout);
    assert_eq!(t.transition, Transition::Changed);
    assert!(t.failed_active_hc);
    assert_eq!(t.event.unwrap().reason, "timeout");
    assert!(c.session(h(0)).unwrap().timed_out, "ACTIVE_HC_TIMEOUT");
    let s = c.stats();
    assert_eq!(
        (s.attempt, s.success, s.failure, s.network_failure),
        (3, 1, 2, 2)
    );
    assert_eq!(s.healthy.value(), 0);
}

#[test]
fn a_pass_between_network_failures_resets_the_count() {
    let mut c = checker(1, cfg());
    check(&mut c, 0, CheckResult::Passed);
    check(&mut c, 0, refused());
    check(&mut c, 0, CheckResult::Passed);
    assert!(!check(&mut c, 0, refused()).failed_active_hc);
}

#[test]
fn an_unexpected_status_fails_a_healthy_host_at_once() {
    let mut c = checker(1, cfg());
    check(&mut c, 0, CheckResult::Passed);
    let t = check(&mut c, 0, CheckResult::Status(500));
    assert_eq!(t.transition, Transition::Changed);
    assert!(t.failed_active_hc);
    assert_eq!(t.event.unwrap().reason, "status 500");
    assert_eq!(
        c.stats().network_failure,
        0,
        "an HTTP status is not a network failure"
    );
}

#[test]
fn only_200_is_expected_by_default() {
    let c = cfg();
    assert!(c.expected(200));
    assert!(!c.expected(204) && !c.expected(301) && !c.expected(503));
}

#[test]
fn a_failed_host_needs_healthy_threshold_consecutive_passes() {
    let mut c = checker(1, cfg());
    check(&mut c, 0, CheckResult::Passed);
    check(&mut c, 0, CheckResult::Status(503));
    assert!(check(&mut c, 0, CheckResult::Passed).failed_active_hc);
    check(&mut c, 0, CheckResult::Timeout);
    assert!(check(&mut c, 0, CheckResult::Passed).failed_active_hc);
    let t = check(&mut c, 0, CheckResult::Passed);
    assert!(!t.failed_active_hc);
    assert!(!c.session(h(0)).unwrap().timed_out);
    assert_eq!(c.stats().healthy.value(), 1);
}

#[test]
fn removing_hosts_keeps_the_healthy_gauge_right() {
    let mut c = checker(2, cfg());
    check(&mut c, 0, CheckResult::Passed);
    c.remove_host(h(0));
    c.remove_host(h(1));
    assert_eq!(c.stats().healthy.value(), 0);
    assert!(c
        .on_result(h(0), &CheckResult::Passed, true, &mut rng())
        .is_none());
    c.add_host(h(2));
    assert!(c.failed(h(2)));
}
