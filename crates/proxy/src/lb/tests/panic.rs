//! The panic threshold: R8 row by row, and what panic means for picks.

use super::*;

fn two(p0: (u64, u64), p1: (u64, u64), threshold: u32) -> PriorityLoad {
    plan(
        &[Level::counts(p0.0, p0.1, 0), Level::counts(p1.0, p1.1, 0)],
        140,
        threshold,
    )
}

#[test]
fn r8_half_healthy_p0_with_a_healthy_p1_spills_without_panic() {
    let load = two((100, 50), (100, 100), 50);
    assert_eq!(
        (load.healthy, load.panic),
        (vec![70, 30], vec![false, false])
    );
}

#[test]
fn r8_both_quarter_healthy_are_both_in_panic() {
    let load = two((100, 25), (100, 25), 50);
    assert_eq!(load.normalized_total_availability, 70);
    assert_eq!((load.panic, load.total_panic), (vec![true, true], true));
    assert_eq!(load.healthy, [50, 50], "total panic: by host counts");
}

#[test]
fn r8_five_and_sixty_five_percent_put_only_p0_in_panic() {
    let load = two((100, 5), (100, 65), 50);
    assert_eq!(load.normalized_total_availability, 98);
    assert_eq!((load.panic, load.total_panic), (vec![true, false], false));
    // Envoy's docs print 7 / 93. Envoy's code floors 700/98 = 7 and 9100/98 = 92, then gives
    // the 1 % remainder to the first available priority: 8 / 92.
    assert_eq!(load.healthy, [8, 92]);
}

#[test]
fn r8_a_threshold_of_zero_disables_panic() {
    let load = two((100, 25), (100, 25), 0);
    assert_eq!(
        (load.healthy, load.panic),
        (vec![50, 50], vec![false, false])
    );
}

#[test]
fn r8_with_panic_disabled_and_every_host_down_there_is_no_healthy_upstream() {
    let mut b = lb(LbPolicy::LeastRequest, 0, hosts(&[(3, 0), (2, 0)]), 1);
    assert_eq!(b.priority_load().healthy, [100, 0]);
    assert_eq!(
        tally(&mut b, 50, &idle, 2).into_iter().collect::<Vec<_>>(),
        vec![(u32::MAX, 50)]
    );
}

#[test]
fn with_every_host_down_and_panic_enabled_all_hosts_are_used() {
    let mut b = lb(LbPolicy::RoundRobin, 50, hosts(&[(3, 0), (1, 0)]), 1);
    assert!(b.priority_load().total_panic);
    assert_eq!(b.priority_load().healthy, [75, 25], "by host counts");
    let t = tally(&mut b, 400, &idle, 2);
    assert_eq!(t.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    assert_eq!(b.lb_healthy_panic(), 400);
}

#[test]
fn panic_is_per_priority_and_a_panicking_priority_uses_all_its_hosts() {
    // P0: 1 of 20 healthy (5 %, in panic); P1: 13 of 20 (65 %, not in panic).
    let mut b = lb(LbPolicy::Random, 50, hosts(&[(20, 1), (20, 13)]), 3);
    let mut r = rng(4);
    let (mut p0, mut p0_unhealthy, mut p1) = (0, 0, 0);
    for _ in 0..5000 {
        let pick = b
            .choose_host(&PickContext::default(), &idle, &mut r)
            .unwrap();
        if pick.priority == 0 {
            assert!(pick.panic);
            p0 += 1;
            p0_unhealthy += usize::from(pick.host.0 != 0);
        } else {
            assert!(
                !pick.panic && pick.host.0 < 33,
                "P1 picks only its 13 healthy hosts"
            );
            p1 += 1;
        }
    }
    assert!((300..=500).contains(&p0), "about 8 % of 5000 to P0: {p0}");
    assert!(
        p0_unhealthy > p0 / 2,
        "in panic, unhealthy P0 hosts are picked too"
    );
    assert_eq!(p0 + p1, 5000);
    assert_eq!(b.lb_healthy_panic(), p0 as u64);
}

#[test]
fn istio_takes_the_threshold_from_min_health_percent_and_app_mesh_keeps_50() {
    use meshtwin_model::policy::OutlierDetection;
    let od = OutlierDetection {
        consecutive_5xx: Some(5),
        consecutive_gateway_failure: Some(5),
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: std::time::Duration::from_secs(10),
        base_ejection_time: std::time::Duration::from_secs(30),
        max_ejection_time: None,
        max_ejection_percent: 10,
        enforcing_consecutive_5xx: 100,
        enforcing_consecutive_gateway_failure: 0,
        enforcing_success_rate: 0,
        healthy_panic_threshold: Some(0),
    };
    assert_eq!(
        LbConfig::from_model(LbPolicy::LeastRequest, Some(&od)).healthy_panic_threshold,
        0
    );
    let appmesh = OutlierDetection {
        healthy_panic_threshold: None,
        ..od
    };
    assert_eq!(
        LbConfig::from_model(LbPolicy::RoundRobin, Some(&appmesh)).healthy_panic_threshold,
        50
    );
    assert_eq!(
        LbConfig::from_model(LbPolicy::RoundRobin, None).healthy_panic_threshold,
        50
    );
}
