//! Priorities: proximity, `failover` regions and `failoverPriority` labels.

use std::collections::BTreeMap;

use super::*;
use crate::locality::assign::{lb_priority, locality_match};

#[test]
fn by_default_priority_follows_proximity_and_is_compacted() {
    let eps = [
        ep("us-east/z1/s1", &[]),
        ep("us-east/z1/s2", &[]),
        ep("us-east/z2/s1", &[]),
        ep("eu-west/z1/s1", &[]),
    ];
    let p = client(&loc(PROXY), &BTreeMap::new());
    let a = assign(p.proxy(), &eps, Some(&LocalityLbSetting::default()), true);
    assert_eq!(priorities(&a, 4), [0, 1, 2, 3]);
    assert!(
        !a.locality_weighted,
        "no explicit failover: no locality_weighted_lb_config"
    );
    let gaps = assign(
        p.proxy(),
        &eps[..1]
            .iter()
            .chain(&eps[3..])
            .cloned()
            .collect::<Vec<_>>(),
        Some(&LocalityLbSetting::default()),
        true,
    );
    assert_eq!(priorities(&gaps, 2), [0, 1], "0 and 3 compacted to 0 and 1");
}

#[test]
fn without_outlier_detection_or_with_locality_lb_off_everything_is_priority_zero() {
    let eps = [ep("us-east/z1/s1", &[]), ep("eu-west/z1/s1", &[])];
    let p = client(&loc(PROXY), &BTreeMap::new());
    assert_eq!(
        priorities(
            &assign(p.proxy(), &eps, Some(&LocalityLbSetting::default()), false),
            2
        ),
        [0, 0]
    );
    assert_eq!(priorities(&assign(p.proxy(), &eps, None, true), 2), [0, 0]);
}

#[test]
fn failover_puts_the_named_region_before_every_other_region() {
    let eps = [
        ep("us-east/z1/s1", &[]),
        ep("eu-west/z1/s1", &[]),
        ep("us-west/z1/s1", &[]),
    ];
    let s = LocalityLbSetting {
        failover: vec![Failover {
            from: "us-east".into(),
            to: "us-west".into(),
        }],
        ..Default::default()
    };
    let a = assign(
        client(&loc(PROXY), &BTreeMap::new()).proxy(),
        &eps,
        Some(&s),
        true,
    );
    assert_eq!(
        priorities(&a, 3),
        [0, 2, 1],
        "us-west 3, eu-west 4, compacted"
    );
    assert!(a.locality_weighted);
}

#[test]
fn failover_priority_ranks_by_the_first_label_that_differs() {
    let zone = "topology.kubernetes.io/zone";
    let eps = [
        ep(PROXY, &[("version", "v1"), (zone, "z1")]),
        ep(PROXY, &[("version", "v1"), (zone, "z2")]),
        ep(PROXY, &[("version", "v2"), (zone, "z1")]),
    ];
    let s = LocalityLbSetting {
        failover_priority: vec!["version".into(), zone.into()],
        ..Default::default()
    };
    let p = client(&loc(PROXY), &labels(&[("version", "v1"), (zone, "z1")]));
    assert_eq!(
        priorities(&assign(p.proxy(), &eps, Some(&s), true), 3),
        [0, 1, 2]
    );
    let pinned = LocalityLbSetting {
        failover_priority: vec!["version=v2".into()],
        ..Default::default()
    };
    assert_eq!(
        priorities(&assign(p.proxy(), &eps, Some(&pinned), true), 3),
        [1, 1, 0],
        "label=value overrides the proxy"
    );
    let unlabelled = client(&loc(PROXY), &BTreeMap::new());
    assert_eq!(
        priorities(&assign(unlabelled.proxy(), &eps, Some(&s), true), 3),
        [0, 0, 0],
        "a proxy without labels"
    );
}

#[test]
fn a_leading_network_mismatch_adds_n_and_keeps_ranking() {
    let (net, zone) = ("topology.istio.io/network", "topology.kubernetes.io/zone");
    let eps = [
        ep(PROXY, &[(net, "n1"), (zone, "z1")]),
        ep(PROXY, &[(net, "n1"), (zone, "z2")]),
        ep(PROXY, &[(net, "n2"), (zone, "z1")]),
        ep(PROXY, &[(net, "n2"), (zone, "z2")]),
    ];
    let s = LocalityLbSetting {
        failover_priority: vec![net.into(), zone.into()],
        ..Default::default()
    };
    let p = client(&loc(PROXY), &labels(&[(net, "n1"), (zone, "z1")]));
    assert_eq!(
        priorities(&assign(p.proxy(), &eps, Some(&s), true), 4),
        [0, 1, 2, 3]
    );
}

#[test]
fn failover_priority_combined_with_failover_multiplies_by_five() {
    let eps = [
        ep("us-east/z1/s1", &[("v", "b")]),
        ep("us-west/z1/s1", &[("v", "a")]),
        ep("us-east/z2/s1", &[("v", "a")]),
    ];
    let s = LocalityLbSetting {
        failover: vec![Failover {
            from: "us-east".into(),
            to: "us-west".into(),
        }],
        failover_priority: vec!["v".into()],
        ..Default::default()
    };
    let a = assign(
        client(&loc(PROXY), &labels(&[("v", "a")])).proxy(),
        &eps,
        Some(&s),
        true,
    );
    // label ranks 1, 0, 0 ⇒ ×5 + proximity: 5 + 0, 0 + 3, 0 + 2 ⇒ compacted 2, 1, 0.
    assert_eq!(priorities(&a, 3), [2, 1, 0]);
}

#[test]
fn locality_rules_match_by_prefix_with_wildcards() {
    let l = loc("us-east/z1/s1");
    for (rule, want) in [
        ("us-east", true),
        ("us-east/z1", true),
        ("us-east/*/s1", true),
        ("*", true),
        ("us-east/z2", false),
        ("us-west/*", false),
    ] {
        assert_eq!(locality_match(&l, rule), want, "{rule}");
    }
    assert_eq!(lb_priority(&l, &loc("us-east/z1/s1")), 0);
    assert_eq!(lb_priority(&l, &loc("us-west/z1/s1")), 3);
}
