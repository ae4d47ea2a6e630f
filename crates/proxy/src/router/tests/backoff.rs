//! Retry back-off: bounds, jitter range, defaults, the legacy formula (`source/common/router/retry_state_impl.cc` `RetryStateImpl`).

use std::time::Duration;

use super::{seeded, Fixed};
use crate::router::retry::{BackOff, BackOffAlgorithm, BackOffConfig};

/// The largest back-off each of the first `n` retries can get (a draw of `u64::MAX` is
/// `bound - 1` only when the bound divides 2^64; draw `bound - 1` exactly instead).
fn bounds(cfg: BackOffConfig, alg: BackOffAlgorithm, n: usize) -> Vec<u64> {
    let mut b = BackOff::new(cfg, alg);
    (0..n)
        .map(|_| {
            let bound = b.next_bound_ms();
            let got = b.next(&mut Fixed::new(&[bound - 1])).as_millis() as u64;
            assert!(got < bound.max(1) || got == cfg.max.as_millis() as u64);
            bound
        })
        .collect()
}

#[test]
fn the_default_back_off_doubles_from_25_ms_up_to_250_ms() {
    let cfg = BackOffConfig::new(None, None);
    assert_eq!(cfg.base, Duration::from_millis(25));
    assert_eq!(cfg.max, Duration::from_millis(250));
    assert_eq!(
        bounds(cfg, BackOffAlgorithm::Exponential, 7),
        vec![25, 50, 100, 200, 250, 250, 250]
    );
}

#[test]
fn each_back_off_is_a_full_jitter_draw_below_its_interval() {
    let mut b = BackOff::new(
        BackOffConfig::new(None, None),
        BackOffAlgorithm::Exponential,
    );
    assert_eq!(b.next(&mut Fixed::new(&[24])), Duration::from_millis(24));
    assert_eq!(b.next(&mut Fixed::new(&[50])), Duration::ZERO, "50 % 50");
    assert_eq!(b.next(&mut Fixed::new(&[1_234])), Duration::from_millis(34));
}

#[test]
fn jitter_covers_the_whole_range_from_zero_to_the_interval() {
    let mut rng = seeded(3);
    let (mut lo, mut hi, mut sum) = (u128::MAX, 0, 0);
    for _ in 0..10_000 {
        let mut b = BackOff::new(
            BackOffConfig::new(None, None),
            BackOffAlgorithm::Exponential,
        );
        b.next(&mut rng);
        let ms = b.next(&mut rng).as_millis();
        (lo, hi, sum) = (lo.min(ms), hi.max(ms), sum + ms);
    }
    assert_eq!((lo, hi), (0, 49), "second retry: uniform on 0..=49");
    let mean = sum as f64 / 10_000.0;
    assert!((23.5..=25.5).contains(&mean), "mean {mean}");
}

#[test]
fn a_custom_base_interval_caps_at_ten_times_itself() {
    let cfg = BackOffConfig::new(Some(Duration::from_millis(100)), None);
    assert_eq!(
        bounds(cfg, BackOffAlgorithm::Exponential, 6),
        vec![100, 200, 400, 800, 1_000, 1_000]
    );
    let low = BackOffConfig::new(
        Some(Duration::from_millis(100)),
        Some(Duration::from_millis(50)),
    );
    assert_eq!(low.max, low.base, "a max below the base is raised to it");
}

#[test]
fn the_legacy_formula_grows_by_two_to_the_n_minus_one_and_clamps_at_the_max() {
    let cfg = BackOffConfig::new(None, None);
    assert_eq!(
        bounds(cfg, BackOffAlgorithm::LegacyMultiplier, 6),
        vec![25, 75, 175, 375, 375, 375]
    );
    let mut b = BackOff::new(cfg, BackOffAlgorithm::LegacyMultiplier);
    for _ in 0..3 {
        b.next(&mut Fixed::new(&[0]));
    }
    assert_eq!(b.next(&mut Fixed::new(&[374])), Duration::from_millis(250));
    assert_eq!(b.next(&mut Fixed::new(&[100])), Duration::from_millis(100));
}

#[test]
fn a_sub_millisecond_base_counts_as_one_millisecond() {
    let cfg = BackOffConfig::new(Some(Duration::from_micros(200)), None);
    let mut b = BackOff::new(cfg, BackOffAlgorithm::Exponential);
    assert_eq!(b.next_bound_ms(), 1);
    assert_eq!(b.next(&mut Fixed::new(&[99])), Duration::ZERO);
}
