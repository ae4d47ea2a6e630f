//! Round robin, least request, random, locality-weighted picks, retry host predicates and
//! determinism (`source/common/upstream/load_balancer_impl.cc` `RoundRobinLoadBalancer`).

use super::*;
use crate::lb::host::Entry;
use crate::lb::locality_wrr::effective_weight;

fn picks(b: &mut LoadBalancer, n: usize, active: ActiveRequests<'_>, seed: u64) -> Vec<u32> {
    let mut r = rng(seed);
    (0..n)
        .map(|_| {
            b.choose_host(&PickContext::default(), active, &mut r)
                .unwrap()
                .host
                .0
        })
        .collect()
}

#[test]
fn round_robin_walks_the_healthy_hosts_in_order_from_the_workers_phase() {
    let mut hs = hosts(&[(5, 5)]);
    hs[2].health = Health::Unhealthy;
    let mut b = lb(LbPolicy::RoundRobin, 50, hs, 1);
    let seq = picks(&mut b, 8, &idle, 2);
    let ring = [0, 1, 3, 4];
    let start = ring.iter().position(|h| *h == seq[0]).unwrap();
    let want: Vec<u32> = (0..8).map(|i| ring[(start + i) % 4]).collect();
    assert_eq!(seq, want, "host 2 is skipped");
}

#[test]
fn workers_with_different_seeds_start_at_different_phases() {
    let first = |seed| {
        picks(
            &mut lb(LbPolicy::RoundRobin, 50, hosts(&[(7, 7)]), seed),
            1,
            &idle,
            0,
        )[0]
    };
    let phases: std::collections::BTreeSet<u32> = (0..10).map(first).collect();
    assert!(phases.len() > 1, "{phases:?}");
}

#[test]
fn weighted_round_robin_follows_the_weights() {
    let mut hs = hosts(&[(3, 3)]);
    for (h, w) in hs.iter_mut().zip([1, 2, 3]) {
        h.weight = w;
    }
    let mut b = lb(LbPolicy::RoundRobin, 50, hs, 5);
    let t = tally(&mut b, 600, &idle, 6);
    for (host, want) in [(0, 100), (1, 200), (2, 300)] {
        assert!(t[&host].abs_diff(want) <= 1, "{t:?}");
    }
}

#[test]
fn least_request_prefers_the_less_loaded_host() {
    let mut b = lb(LbPolicy::LeastRequest, 50, hosts(&[(4, 4)]), 1);
    let active = |h: HostId| if h.0 == 1 { 0 } else { 10 };
    let t = tally(&mut b, 4000, &active, 2);
    // Two samples with replacement: host 1 wins whenever drawn, 1 − (3/4)² = 7/16 of picks.
    assert!(t[&1].abs_diff(1750) < 150, "{t:?}");
    for other in [0, 2, 3] {
        assert!(t[&other] * 2 < t[&1], "{t:?}");
    }
}

#[test]
fn least_request_keeps_the_first_sample_on_a_tie_and_with_one_choice_is_random() {
    let cfg = LbConfig {
        least_request: LeastRequestConfig {
            choice_count: 1,
            active_request_bias: None,
        },
        ..LbConfig::new(LbPolicy::LeastRequest)
    };
    let mut b = LoadBalancer::new(
        cfg,
        hosts(&[(4, 4)]),
        LocalityWeights::new(),
        &idle,
        &mut rng(1),
    );
    let active = |h: HostId| u64::from(h.0 == 1) * 100;
    let t = tally(&mut b, 4000, &active, 2);
    assert!(t[&1].abs_diff(1000) < 150, "one choice ignores load: {t:?}");
}

#[test]
fn weighted_least_request_divides_weight_by_active_requests_plus_one() {
    let mut hs = hosts(&[(2, 2)]);
    hs[1].weight = 3;
    let mut b = lb(LbPolicy::LeastRequest, 50, hs.clone(), 1);
    let t = tally(&mut b, 400, &idle, 2);
    assert!(
        t[&0].abs_diff(100) <= 1 && t[&1].abs_diff(300) <= 1,
        "idle: 1 : 3 ({t:?})"
    );
    let busy = |h: HostId| if h.0 == 1 { 5 } else { 0 };
    let mut b = LoadBalancer::new(
        LbConfig::new(LbPolicy::LeastRequest),
        hs,
        LocalityWeights::new(),
        &busy,
        &mut rng(1),
    );
    let t = tally(&mut b, 300, &busy, 2);
    assert!(
        t[&0].abs_diff(200) <= 1 && t[&1].abs_diff(100) <= 1,
        "3/(5+1) = 0.5 vs 1 ({t:?})"
    );
}

#[test]
fn random_spreads_evenly() {
    let mut b = lb(LbPolicy::Random, 50, hosts(&[(4, 4)]), 1);
    let t = tally(&mut b, 4000, &idle, 9);
    assert!(t.values().all(|n| n.abs_diff(1000) < 120), "{t:?}");
}

#[test]
fn the_same_seed_gives_the_same_picks() {
    for policy in [
        LbPolicy::RoundRobin,
        LbPolicy::LeastRequest,
        LbPolicy::Random,
    ] {
        let run = |seed| {
            picks(
                &mut lb(policy, 50, hosts(&[(4, 3), (4, 4)]), seed),
                200,
                &|h: HostId| u64::from(h.0 % 3),
                seed,
            )
        };
        assert_eq!(run(11), run(11), "{policy:?}");
        assert!(
            (12..18).any(|s| run(s) != run(11)),
            "{policy:?}: other seeds differ"
        );
    }
}

#[test]
fn a_retry_avoids_previous_hosts_but_takes_the_last_pick_when_all_were_tried() {
    let mut b = lb(LbPolicy::RoundRobin, 50, hosts(&[(3, 3)]), 1);
    let mut r = rng(2);
    let tried = [HostId(0), HostId(1)];
    let retry = PickContext {
        previous_hosts: &tried,
        host_selection_retries: 5,
        ..PickContext::default()
    };
    for _ in 0..5 {
        assert_eq!(
            b.choose_host(&retry, &idle, &mut r).unwrap().host,
            HostId(2)
        );
    }
    let all = [HostId(0), HostId(1), HostId(2)];
    let hopeless = PickContext {
        previous_hosts: &all,
        host_selection_retries: 2,
        ..PickContext::default()
    };
    assert!(b.choose_host(&hopeless, &idle, &mut r).is_some());
    let first_attempt = PickContext {
        previous_hosts: &tried,
        host_selection_retries: 0,
        ..PickContext::default()
    };
    let hits: usize = (0..30)
        .filter(|_| tried.contains(&b.choose_host(&first_attempt, &idle, &mut r).unwrap().host))
        .count();
    assert_eq!(
        hits, 20,
        "with no selection retries the predicate cannot help"
    );
}

#[test]
fn locality_weighted_lb_picks_localities_by_weight_times_availability() {
    let mut hs = hosts(&[(4, 4)]);
    for (i, h) in hs.iter_mut().enumerate() {
        h.locality.zone = if i < 2 { "a".into() } else { "b".into() };
    }
    let loc = |z: &str| meshtwin_model::topology::Locality {
        region: String::new(),
        zone: z.into(),
        subzone: String::new(),
    };
    let weights = LocalityWeights::from([((0, loc("a")), 1), ((0, loc("b")), 3)]);
    let cfg = LbConfig {
        locality_weighted: true,
        ..LbConfig::new(LbPolicy::RoundRobin)
    };
    let mut b = LoadBalancer::new(cfg.clone(), hs.clone(), weights.clone(), &idle, &mut rng(1));
    let t = tally(&mut b, 400, &idle, 2);
    assert!((t[&0] + t[&1]).abs_diff(100) <= 1, "zone a: 1/4 ({t:?})");
    // Half of zone b down: availability min(1, 1.4 × 1/2) = 0.7 ⇒ weights 1 : 2.1.
    hs[3].health = Health::Unhealthy;
    let mut b = LoadBalancer::new(cfg, hs, weights, &idle, &mut rng(1));
    let t = tally(&mut b, 310, &idle, 2);
    assert!(
        (t[&0] + t[&1]).abs_diff(100) <= 1 && t[&2].abs_diff(210) <= 1,
        "{t:?}"
    );
    let l = crate::lb::host::LocalityHosts {
        locality: loc("b"),
        weight: 3,
        hosts: vec![
            Entry {
                id: HostId(2),
                weight: 1,
            },
            Entry {
                id: HostId(3),
                weight: 1,
            },
        ],
        healthy: vec![],
        degraded: vec![],
    };
    assert!((effective_weight(&l, 1, 140) - 2.1).abs() < 1e-9);
    assert_eq!(effective_weight(&l, 0, 140), 0.0);
}

#[test]
fn health_changes_move_traffic_and_keep_round_robin_cursors() {
    let mut b = lb(LbPolicy::RoundRobin, 0, hosts(&[(2, 2), (2, 2)]), 1);
    let mut r = rng(3);
    assert!(b.set_health(HostId(0), Health::Unhealthy, &idle, &mut r));
    assert!(
        !b.set_health(HostId(0), Health::Unhealthy, &idle, &mut r),
        "no change"
    );
    assert_eq!(b.priority_load().healthy, [70, 30]);
    b.set_health(HostId(1), Health::Unhealthy, &idle, &mut r);
    assert_eq!(b.priority_load().healthy, [0, 100]);
    let t = tally(&mut b, 100, &idle, 4);
    assert_eq!((t[&2], t[&3]), (50, 50));
}
