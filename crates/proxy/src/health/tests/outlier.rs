//! Spec `envoy/upstream/upstream.h` `Host::HealthFlag`: the two detectors set separate flags, the host is unhealthy while either is
//! set, and a passing check unejects an outlier-ejected host that is not `FAILED_ACTIVE_HC`.

use std::time::Duration;

use super::*;
use crate::health::flags::{HealthFlag, HealthFlags};
use crate::lb::Health;
use crate::outlier::{self, Detector, Event, Outcome, UnejectReason};

fn detector() -> Detector {
    let cfg = outlier::Config {
        max_ejection_percent: 100,
        consecutive_5xx: 2,
        ..outlier::Config::default()
    };
    Detector::new(cfg, [h(0), h(1)])
}

fn eject(d: &mut Detector, host: u32) {
    let mut r = rng();
    for _ in 0..2 {
        d.report(h(host), Outcome::Http(503), Duration::from_secs(1), &mut r);
    }
    assert!(d.is_ejected(h(host)));
}

#[test]
fn a_host_is_unhealthy_while_either_flag_is_set() {
    let mut f = HealthFlags::new_host(true);
    assert_eq!(f.health(), Health::Unhealthy);
    f.set(HealthFlag::FailedActiveHc, false);
    assert_eq!(f.health(), Health::Healthy);
    f.set(HealthFlag::FailedOutlierCheck, true);
    assert_eq!(f.health(), Health::Unhealthy);
    f.set(HealthFlag::FailedActiveHc, true);
    f.set(HealthFlag::FailedOutlierCheck, false);
    assert_eq!(f.health(), Health::Unhealthy, "still failed by active HC");
    assert_eq!(HealthFlags::new_host(false).health(), Health::Healthy);
}

#[test]
fn a_passing_check_unejects_an_outlier_ejected_host_long_before_base_ejection_time() {
    let mut c = checker(2, cfg());
    let mut d = detector();
    check(&mut c, 0, CheckResult::Passed);
    eject(&mut d, 0);
    // The next check, one interval later, passes: the host is back at once (not after 30 s).
    let done = check(&mut c, 0, CheckResult::Passed);
    let e = d.on_health_check(
        h(0),
        done.passed,
        done.failed_active_hc,
        Duration::from_secs(6),
    );
    assert_eq!(
        e,
        Some(Event::Unejected {
            host: h(0),
            reason: UnejectReason::ActiveHealthCheck
        })
    );
    assert!(!d.is_ejected(h(0)));
    assert_eq!(d.stats().ejections_active.value(), 0);
}

#[test]
fn a_failing_check_below_the_threshold_does_not_uneject() {
    let mut c = checker(2, cfg());
    let mut d = detector();
    check(&mut c, 0, CheckResult::Passed);
    eject(&mut d, 0);
    let done = check(&mut c, 0, refused());
    assert!(!done.failed_active_hc, "one network failure of two");
    assert!(d
        .on_health_check(
            h(0),
            done.passed,
            done.failed_active_hc,
            Duration::from_secs(6)
        )
        .is_none());
    assert!(d.is_ejected(h(0)));
}

#[test]
fn an_hc_failed_host_needs_the_healthy_threshold_before_it_is_unejected() {
    let mut c = checker(2, cfg());
    let mut d = detector();
    check(&mut c, 0, CheckResult::Passed);
    eject(&mut d, 0);
    check(&mut c, 0, CheckResult::Status(503));
    let done = check(&mut c, 0, CheckResult::Passed);
    assert!(done.failed_active_hc);
    assert!(d
        .on_health_check(
            h(0),
            done.passed,
            done.failed_active_hc,
            Duration::from_secs(11)
        )
        .is_none());
    let done = check(&mut c, 0, CheckResult::Passed);
    assert!(!done.failed_active_hc);
    assert!(d
        .on_health_check(
            h(0),
            done.passed,
            done.failed_active_hc,
            Duration::from_secs(16)
        )
        .is_some());
}

#[test]
fn with_the_setting_off_a_passing_check_leaves_the_ejection_alone() {
    let mut c = checker(2, cfg());
    let mut d = Detector::new(
        outlier::Config {
            max_ejection_percent: 100,
            consecutive_5xx: 2,
            successful_active_health_check_uneject_host: false,
            ..outlier::Config::default()
        },
        [h(0), h(1)],
    );
    check(&mut c, 0, CheckResult::Passed);
    eject(&mut d, 0);
    let done = check(&mut c, 0, CheckResult::Passed);
    assert!(d
        .on_health_check(
            h(0),
            done.passed,
            done.failed_active_hc,
            Duration::from_secs(6)
        )
        .is_none());
}
