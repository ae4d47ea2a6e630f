//! Weights from `distribute`, and failover as the load balancer carries it out.

use std::collections::BTreeMap;

use super::*;

#[test]
fn distribute_sets_locality_weights_and_drops_unlisted_localities() {
    let eps = [
        ep("us-east/z1/s1", &[]),
        ep("us-east/z1/s1", &[]),
        ep("us-east/z2/s1", &[]),
        ep("us-east/z3/s1", &[]),
    ];
    let to = BTreeMap::from([
        ("us-east/z1/*".to_string(), 80),
        ("us-east/z2/*".to_string(), 20),
    ]);
    let s = LocalityLbSetting {
        distribute: vec![Distribute {
            from: "us-east/z1/*".into(),
            to,
        }],
        ..Default::default()
    };
    let a = assign(
        client(&loc(PROXY), &BTreeMap::new()).proxy(),
        &eps,
        Some(&s),
        false,
    );
    let w: Vec<(String, u32, usize)> = a
        .groups
        .iter()
        .map(|g| (g.locality.zone.clone(), g.weight, g.endpoints.len()))
        .collect();
    assert_eq!(
        w,
        [
            ("z1".to_string(), 80, 2),
            ("z2".to_string(), 20, 1),
            ("z3".to_string(), 1, 0)
        ]
    );
    assert!(a.locality_weighted);
    let (hs, weights) = a.hosts(&eps);
    assert_eq!(
        hs.iter().map(|h| h.id.0).collect::<Vec<_>>(),
        [0, 1, 2],
        "z3 receives nothing"
    );
    assert_eq!(weights[&(0, loc("us-east/z2/s1"))], 20);
}

#[test]
fn a_wildcard_distribute_entry_splits_its_weight_by_original_weights_rounding_up() {
    let eps = [
        ep("us-east/z1/s1", &[]),
        ep("us-east/z1/s1", &[]),
        ep("us-east/z2/s1", &[]),
    ];
    let to = BTreeMap::from([("us-east/*".to_string(), 100)]);
    let s = LocalityLbSetting {
        distribute: vec![Distribute {
            from: "*".into(),
            to,
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
        a.groups.iter().map(|g| g.weight).collect::<Vec<_>>(),
        [67, 34],
        "ceil(200/3), ceil(100/3)"
    );
}

#[test]
fn traffic_stays_in_the_clients_zone_until_it_is_less_than_71_percent_healthy() {
    let eps = [
        ep(PROXY, &[]),
        ep(PROXY, &[]),
        ep(PROXY, &[]),
        ep("us-east/z2/s1", &[]),
        ep("us-east/z2/s1", &[]),
    ];
    let a = assign(
        client(&loc(PROXY), &BTreeMap::new()).proxy(),
        &eps,
        Some(&LocalityLbSetting::default()),
        true,
    );
    let (mut hs, weights) = a.hosts(&eps);
    let mut b = LoadBalancer::new(
        LbConfig::from_model(LbPolicy::LeastRequest, None),
        hs.clone(),
        weights.clone(),
        &idle,
        &mut rng(1),
    );
    assert_eq!(b.priority_load().healthy, [100, 0]);
    hs[0].health = Health::Unhealthy; // one of three local hosts ejected
    b.update_hosts(hs, weights, &idle, &mut rng(2));
    assert_eq!(b.priority_load().healthy, [93, 7]);
    let t = tally(&mut b, 2000, &idle, 3);
    assert_eq!(t.get(&0), None, "the ejected host gets nothing");
    assert!(
        (t[&3] + t[&4]).abs_diff(140) < 60,
        "about 7 % fail over: {t:?}"
    );
}
