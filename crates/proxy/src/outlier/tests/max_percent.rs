//! The max-ejection-percent rule and its version switch (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`, docs/reference/topology.md (Envoy version switches) V1).

use super::*;
use crate::outlier::ejection::within_max_ejection_percent;
use crate::outlier::{Compat, EjectionType, MaxEjectionRule};

/// Every host of an `n`-host cluster fails 5 times in a row; how many end up ejected.
fn ejectable(n: u32, max_pct: u32, rule: MaxEjectionRule, always_one: bool) -> usize {
    let c = Config {
        max_ejection_percent: max_pct,
        always_eject_one_host: always_one,
        compat: Compat {
            max_ejection: rule,
            ..Compat::CURRENT
        },
        ..Config::default()
    };
    let (mut d, mut r) = (detector(n, c), rng());
    (0..n)
        .map(|i| ejected(&fail(&mut d, i, 500, 5, secs(1), &mut r)).len())
        .sum()
}

#[test]
fn small_clusters_under_the_current_rule_count_the_host_being_ejected() {
    use MaxEjectionRule::Current;
    // (hosts, max %, ejected): 100·(active+1)/N must stay ≤ max.
    for (n, max, want) in [
        (1, 10, 0),
        (1, 50, 0),
        (1, 100, 1),
        (2, 10, 0),
        (2, 50, 1),
        (2, 100, 2),
        (3, 10, 0),
        (3, 50, 1),
        (3, 100, 3),
        (9, 10, 0),
        (10, 10, 1),
    ] {
        assert_eq!(
            ejectable(n, max, Current, false),
            want,
            "{n} hosts, max {max} %"
        );
    }
}

#[test]
fn always_eject_one_host_exempts_the_first_ejection() {
    for (n, max, want) in [
        (1, 10, 1),
        (1, 50, 1),
        (2, 10, 1),
        (2, 50, 1),
        (3, 10, 1),
        (3, 50, 1),
        (3, 100, 3),
        (3, 0, 1),
    ] {
        assert_eq!(
            ejectable(n, max, MaxEjectionRule::Current, true),
            want,
            "{n} hosts, max {max} %"
        );
    }
}

#[test]
fn the_legacy_rule_always_ejects_one_and_may_overshoot_by_one() {
    use MaxEjectionRule::LegacyAtLeastOne as Legacy;
    // (hosts, max %, ejected): 100·active/N must stay < max.
    for (n, max, want) in [
        (1, 10, 1),
        (1, 50, 1),
        (1, 100, 1),
        (2, 10, 1),
        (2, 50, 1),
        (2, 100, 2),
        (3, 10, 1),
        (3, 50, 2), // 66 % ejected although the limit is 50 %
        (3, 100, 3),
        (3, 0, 0),
    ] {
        assert_eq!(
            ejectable(n, max, Legacy, false),
            want,
            "{n} hosts, max {max} %"
        );
    }
}

#[test]
fn envoy_1_27_counts_the_host_being_ejected_but_always_ejects_the_first() {
    use MaxEjectionRule::FirstHostExempt as Envoy127;
    // (hosts, max %, ejected): active == 0, or 100·(active+1)/N ≤ max.
    for (n, max, want) in [
        (1, 10, 1),
        (2, 10, 1),
        (3, 10, 1),
        (3, 50, 1), // the legacy rule ejects 2 here, the current one 1
        (3, 100, 3),
        (9, 10, 1), // the current rule ejects none here
        (20, 10, 2),
        (3, 0, 1),
    ] {
        assert_eq!(
            ejectable(n, max, Envoy127, false),
            want,
            "{n} hosts, max {max} %"
        );
    }
}

#[test]
fn istio_default_of_ten_percent_ejects_nothing_below_ten_hosts() {
    let (mut d, mut r) = (detector(9, Config::default()), rng());
    let events = fail(&mut d, 0, 503, 5, secs(1), &mut r);
    assert!(events.contains(&Event::Overflow {
        host: h(0),
        reason: EjectionType::Consecutive5xx
    }));
    let s = d.stats();
    // Both the gateway and the 5xx detection hit the limit (it is checked before enforcement).
    assert_eq!(
        (
            s.ejections_overflow,
            s.detected(EjectionType::Consecutive5xx)
        ),
        (2, 1)
    );
    assert_eq!((s.ejections_active.value(), s.ejections_total), (0, 0));
    assert_eq!(
        d.host(h(0)).unwrap().consecutive_5xx(),
        0,
        "reset even though nothing was ejected"
    );
}

#[test]
fn an_ejected_host_keeps_its_slot_until_it_is_unejected() {
    let c = Config {
        max_ejection_percent: 50,
        ..Config::default()
    };
    let (mut d, mut r) = (detector(2, c), rng());
    assert_eq!(
        ejected(&fail(&mut d, 0, 500, 5, secs(1), &mut r)),
        vec![h(0)]
    );
    assert!(
        ejected(&fail(&mut d, 1, 500, 5, secs(2), &mut r)).is_empty(),
        "50 % already ejected"
    );
    sweeps(&mut d, secs(0), secs(40), &mut r);
    assert!(!d.is_ejected(h(0)));
    assert_eq!(
        ejected(&fail(&mut d, 1, 500, 5, secs(41), &mut r)),
        vec![h(1)]
    );
}

#[test]
fn the_percent_check_is_exact_at_the_boundary() {
    let c = |max| Config {
        max_ejection_percent: max,
        ..Config::default()
    };
    assert!(within_max_ejection_percent(0, 3, &c(34)));
    assert!(!within_max_ejection_percent(0, 3, &c(33)), "33.3 % > 33 %");
    assert!(within_max_ejection_percent(1, 4, &c(50)), "exactly 50 %");
    assert!(within_max_ejection_percent(4, 5, &c(250)), "capped at 100");
}
