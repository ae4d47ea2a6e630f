//! Weighted clusters (`source/common/router/config_impl.cc` `RouteEntryImplBase::pickWeightedCluster`, istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`; reference result R6).

use super::seeded;
use crate::router::config::ClusterSpecifier;
use crate::router::stream_id;
use crate::router::weighted::{ClusterWeight, WeightedClusters};

fn weighted(pairs: &[(&str, u32)]) -> WeightedClusters {
    WeightedClusters::new(
        pairs
            .iter()
            .map(|(n, w)| ClusterWeight::new(n, *w))
            .collect(),
    )
    .unwrap()
}

/// How many of `n` draws from a seeded stream pick each cluster, in list order.
fn counts(w: &WeightedClusters, n: u32, seed: u64) -> Vec<u32> {
    let mut rng = seeded(seed);
    let mut out = vec![0; w.clusters().len()];
    for _ in 0..n {
        let picked = w.pick(stream_id(&mut rng));
        let i = w.clusters().iter().position(|c| c == picked).unwrap();
        out[i] += 1;
    }
    out
}

#[test]
fn selection_walks_the_list_in_order_over_random_mod_total() {
    let w = weighted(&[("v1", 50), ("v3", 30), ("v2", 20)]);
    assert_eq!(w.total_weight(), 100);
    let name = |r: u64| w.pick(r).name.clone();
    assert_eq!(name(0), "v1");
    assert_eq!(name(49), "v1");
    assert_eq!(name(50), "v3");
    assert_eq!(name(79), "v3");
    assert_eq!(name(80), "v2");
    assert_eq!(name(99), "v2");
    assert_eq!(name(100), "v1", "the draw is taken modulo the total");
    assert_eq!(name(u64::MAX), "v1", "u64::MAX % 100 = 15");
}

#[test]
fn a_50_50_split_over_10000_requests_stays_within_two_percent() {
    let w = weighted(&[("reviews-v1", 50), ("reviews-v3", 50)]);
    for seed in [1, 2, 3] {
        let c = counts(&w, 10_000, seed);
        assert_eq!(c[0] + c[1], 10_000);
        assert!(
            (4_800..=5_200).contains(&c[1]),
            "seed {seed}: v3 got {}",
            c[1]
        );
    }
}

#[test]
fn an_80_20_tcp_split_picks_per_connection_within_two_percent() {
    let w = weighted(&[("tcp-echo-v1", 80), ("tcp-echo-v2", 20)]);
    let c = counts(&w, 10_000, 7);
    assert!((7_800..=8_200).contains(&c[0]), "v1 got {}", c[0]);
    assert!((1_800..=2_200).contains(&c[1]), "v2 got {}", c[1]);
}

#[test]
fn unnormalised_weights_split_by_their_ratio() {
    let w = weighted(&[("a", 1), ("b", 3)]);
    let c = counts(&w, 10_000, 11);
    assert!((2_300..=2_700).contains(&c[0]), "a got {}", c[0]);
}

#[test]
fn a_zero_weight_cluster_is_never_picked() {
    let w = weighted(&[("a", 0), ("b", 1), ("c", 0)]);
    assert_eq!(counts(&w, 1_000, 5), vec![0, 1_000, 0]);
}

#[test]
fn weights_adding_up_to_zero_are_rejected() {
    assert!(WeightedClusters::new(vec![ClusterWeight::new("a", 0)]).is_none());
    assert!(WeightedClusters::new(vec![]).is_none());
}

#[test]
fn the_same_seed_picks_the_same_clusters() {
    let w = weighted(&[("v1", 50), ("v3", 50)]);
    assert_eq!(counts(&w, 1_000, 42), counts(&w, 1_000, 42));
    let spec = ClusterSpecifier::Weighted(w);
    assert_eq!(spec.pick(3), "v1");
    assert_eq!(spec.pick(77), "v3");
    assert_eq!(ClusterSpecifier::Cluster("x".into()).pick(77), "x");
}
