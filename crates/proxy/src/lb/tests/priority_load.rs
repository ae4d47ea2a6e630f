//! The priority load planner: R7 row by row, the spec's worked examples, degraded hosts.

use super::*;

/// Loads for priorities of 100 hosts each with these healthy percentages (panic off, so only
/// the load math speaks).
fn loads(healthy_pct: &[u64]) -> Vec<u32> {
    let levels: Vec<Level> = healthy_pct
        .iter()
        .map(|h| Level::counts(100, *h, 0))
        .collect();
    plan(&levels, 140, 0).healthy
}

#[test]
fn r7_two_priorities_with_p1_fully_healthy() {
    for (p0, want) in [
        (100, [100, 0]),
        (72, [100, 0]),
        (71, [99, 1]),
        (50, [70, 30]),
        (25, [35, 65]),
        (0, [0, 100]),
    ] {
        assert_eq!(loads(&[p0, 100]), want, "P0 {p0} % healthy");
    }
}

#[test]
fn r7_both_priorities_partly_healthy_are_normalised() {
    // 25 % / 25 %: health 35 + 35 = 70 < 100, normalised to 50 / 50.
    let load = plan(
        &[Level::counts(100, 25, 0), Level::counts(100, 25, 0)],
        140,
        0,
    );
    assert_eq!(
        (load.healthy, load.normalized_total_availability),
        (vec![50, 50], 70)
    );
}

#[test]
fn r7_three_priorities() {
    assert_eq!(loads(&[25, 25, 100]), [35, 35, 30]);
    // Envoy's docs print 36 / 36 / 28. Envoy's code floors each share (3500/98 = 35,
    // 2800/98 = 28) and gives the 2 % remainder to the first available priority: 37 / 35 / 28.
    assert_eq!(loads(&[25, 25, 20]), [37, 35, 28]);
}

#[test]
fn spec_worked_examples_with_ten_hosts_per_priority() {
    for (p0, want) in [
        (10, [100, 0]),
        (8, [100, 0]),
        (7, [98, 2]),
        (5, [70, 30]),
        (1, [14, 86]),
        (0, [0, 100]),
    ] {
        let load = plan(
            &[Level::counts(10, p0, 0), Level::counts(10, 10, 0)],
            140,
            50,
        );
        assert_eq!(load.healthy, want, "P0 {p0}/10 healthy");
        assert!(
            !load.panic.iter().any(|p| *p),
            "P1 keeps total availability at 100"
        );
    }
}

#[test]
fn small_priority_zero_sets_spill_early() {
    let spill = |n, up| plan(&[Level::counts(n, up, 0), Level::counts(n, n, 0)], 140, 50).healthy;
    assert_eq!(spill(3, 2), [93, 7], "one of three ejected");
    assert_eq!(spill(2, 1), [70, 30], "one of two ejected");
}

#[test]
fn degraded_hosts_take_load_after_every_healthy_host() {
    // Envoy's own example: health 10/20/10 and degraded 20/10/0 ⇒ healthy 16/28/14 (2 %
    // rounding remainder to the first healthy priority) and degraded 28/14/0.
    let levels = [
        Level::counts(14, 1, 2),
        Level::counts(14, 2, 1),
        Level::counts(14, 1, 0),
    ];
    let load = plan(&levels, 140, 0);
    assert_eq!(
        (load.health.clone(), load.degraded_availability.clone()),
        (vec![10, 20, 10], vec![20, 10, 0])
    );
    assert_eq!(
        (load.healthy, load.degraded),
        (vec![16, 28, 14], vec![28, 14, 0])
    );
    let only_degraded = plan(&[Level::counts(4, 0, 1), Level::counts(4, 0, 1)], 140, 0);
    assert_eq!(
        (only_degraded.healthy, only_degraded.degraded),
        (vec![0, 0], vec![50, 50])
    );
}

#[test]
fn loads_always_sum_to_100() {
    for threshold in [0, 50] {
        for (n0, n1) in [(1, 1), (2, 3), (5, 4), (7, 7)] {
            for h0 in 0..=n0 {
                for d0 in 0..=(n0 - h0) {
                    for h1 in 0..=n1 {
                        let load = plan(
                            &[Level::counts(n0, h0, d0), Level::counts(n1, h1, 0)],
                            140,
                            threshold,
                        );
                        let sum: u32 = load.healthy.iter().chain(&load.degraded).sum();
                        assert_eq!(sum, 100, "{n0}/{h0}/{d0} {n1}/{h1} threshold {threshold}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_priority_is_chosen_from_a_number_between_1_and_100() {
    let load = plan(
        &[Level::counts(10, 5, 0), Level::counts(10, 10, 0)],
        140,
        50,
    );
    assert_eq!(load.choose(69), (0, Availability::Healthy), "h = 70 ≤ 70");
    assert_eq!(load.choose(70), (1, Availability::Healthy), "h = 71");
    assert_eq!(load.choose(199), (1, Availability::Healthy), "h = 100");
    let degraded = plan(&[Level::counts(4, 0, 1), Level::counts(4, 0, 1)], 140, 0);
    assert_eq!(degraded.choose(0), (0, Availability::Degraded));
    assert_eq!(degraded.choose(50), (1, Availability::Degraded));
}

#[test]
fn weighted_priority_health_counts_weights_instead_of_hosts() {
    let mut hs = hosts(&[(2, 1), (2, 2)]);
    hs[0].weight = 1;
    hs[1].weight = 3; // the unhealthy one carries 3/4 of P0's weight
    let cfg = LbConfig {
        weighted_priority_health: true,
        ..LbConfig::new(LbPolicy::RoundRobin)
    };
    let by_weight = LoadBalancer::new(cfg, hs.clone(), LocalityWeights::new(), &idle, &mut rng(1));
    assert_eq!(by_weight.priority_load().healthy, [35, 65]);
    let by_count = lb(LbPolicy::RoundRobin, 50, hs, 1);
    assert_eq!(by_count.priority_load().healthy, [70, 30]);
}
