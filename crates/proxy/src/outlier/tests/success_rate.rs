//! Success-rate and failure-percentage ejection at the sweep (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::processSuccessRateEjections`).

use super::*;
use crate::outlier::success_rate::ejection_threshold;
use crate::outlier::EjectionType;

/// `total` requests on `host` at `now`, the first `failures` of them 500s.
fn traffic(
    d: &mut Detector,
    host: u32,
    total: u64,
    failures: u64,
    now: Duration,
    r: &mut ChaCha8Rng,
) {
    for i in 0..total {
        let code = if i < failures { 500 } else { 200 };
        d.report(h(host), Outcome::Http(code), now, r);
    }
}

/// Five hosts with 100 requests each in the interval; host 0 answers half of them with 500.
fn population(c: Config) -> (Detector, ChaCha8Rng) {
    let (mut d, mut r) = (detector(5, c), rng());
    for host in 0..5 {
        let failures = if host == 0 { 50 } else { 0 };
        for i in 0..100 {
            let code = if i % 2 == 0 && i / 2 < failures {
                500
            } else {
                200
            };
            d.report(h(host), Outcome::Http(code), secs(5), &mut r);
        }
    }
    (d, r)
}

#[test]
fn the_documented_example_gives_mean_90_and_threshold_52() {
    let nums = ejection_threshold(&[50.0, 100.0, 100.0, 100.0, 100.0], 1.9);
    assert_eq!((nums.average, nums.ejection_threshold), (90.0, 52.0));
}

#[test]
fn a_host_below_mean_minus_stdev_factor_times_stdev_is_ejected_at_the_next_sweep() {
    let (mut d, mut r) = population(cfg());
    assert!(!d.is_ejected(h(0)), "success rate is judged on sweeps only");
    let events = d.on_interval(secs(10), &mut r);
    assert_eq!(ejected(&events), vec![h(0)]);
    assert!(matches!(
        events[0],
        Event::Ejected {
            reason: EjectionType::SuccessRate,
            ..
        }
    ));
    let nums = d.success_rate_nums(false).unwrap();
    assert_eq!((nums.average, nums.ejection_threshold), (90.0, 52.0));
    let s = d.stats();
    assert_eq!(
        (
            s.detected(EjectionType::SuccessRate),
            s.enforced(EjectionType::SuccessRate)
        ),
        (1, 1)
    );
    assert_eq!((s.ejections_success_rate, s.ejections_total), (1, 1));
    assert!(
        d.on_interval(secs(20), &mut r).is_empty(),
        "the next interval had no traffic"
    );
}

#[test]
fn istio_never_enforces_success_rate_but_still_detects() {
    let (mut d, mut r) = population(Config {
        enforcing_success_rate: 0,
        ..cfg()
    });
    let events = d.on_interval(secs(10), &mut r);
    assert_eq!(
        events,
        vec![Event::NotEnforced {
            host: h(0),
            reason: EjectionType::SuccessRate
        }]
    );
    assert_eq!(d.stats().detected(EjectionType::SuccessRate), 1);
}

#[test]
fn success_rate_needs_minimum_hosts_with_the_request_volume() {
    let (mut d, mut r) = population(Config {
        success_rate_minimum_hosts: 6,
        ..cfg()
    });
    assert!(d.on_interval(secs(10), &mut r).is_empty());
    assert_eq!(d.success_rate_nums(false), None);
    let (mut d, mut r) = population(Config {
        success_rate_request_volume: 101,
        ..cfg()
    });
    assert!(
        d.on_interval(secs(10), &mut r).is_empty(),
        "100 requests are below the volume"
    );
}

#[test]
fn failure_percentage_ejects_hosts_at_or_above_the_threshold_when_enforced() {
    let c = Config {
        enforcing_success_rate: 0,
        enforcing_failure_percentage: 100,
        consecutive_5xx: 0,
        consecutive_gateway_failure: 0,
        ..cfg()
    };
    let (mut d, mut r) = (detector(6, c), rng());
    traffic(&mut d, 0, 60, 51, secs(5), &mut r); // 85 % failures
    for host in 1..5 {
        traffic(&mut d, host, 60, 6, secs(5), &mut r);
    }
    traffic(&mut d, 5, 40, 40, secs(5), &mut r); // below the volume of 50
    let events = d.on_interval(secs(10), &mut r);
    assert_eq!(ejected(&events), vec![h(0)]);
    assert!(events.contains(&Event::Ejected {
        host: h(0),
        reason: EjectionType::FailurePercentage,
        num_ejections: 1,
        duration: secs(30),
    }));
}

#[test]
fn an_ejected_host_is_left_out_of_the_success_rate_population() {
    let (mut d, mut r) = population(cfg());
    fail(&mut d, 1, 500, 5, secs(6), &mut r);
    assert!(d.is_ejected(h(1)));
    assert!(
        d.on_interval(secs(10), &mut r).is_empty(),
        "four hosts are too few"
    );
    assert_eq!(d.success_rate_nums(false), None);
}
