//! Fault injection: independent delay and abort draws on Envoy's fraction scale (`source/extensions/filters/http/fault/fault_filter.cc` `FaultFilter`;
//! reference result R4).

use std::time::Duration;

use meshtwin_model::traffic::FractionalPercent;

use super::{seeded, Fixed};
use crate::router::fault::{FaultAbort, FaultConfig, FaultDelay};

fn fault(delay: Option<FractionalPercent>, abort: Option<FractionalPercent>) -> FaultConfig {
    FaultConfig {
        delay: delay.map(|percentage| FaultDelay {
            duration: Duration::from_secs(7),
            percentage,
        }),
        abort: abort.map(|percentage| FaultAbort {
            status: 500,
            percentage,
        }),
        max_active_faults: None,
    }
}

/// (delayed, aborted, both) over `n` requests drawn from one seeded stream.
fn sample(f: &FaultConfig, n: u32, seed: u64) -> (u32, u32, u32) {
    let mut rng = seeded(seed);
    let (mut d, mut a, mut both) = (0, 0, 0);
    for _ in 0..n {
        let delayed = f.sample_delay(&mut rng).is_some();
        let aborted = f.sample_abort(&mut rng).is_some();
        d += u32::from(delayed);
        a += u32::from(aborted);
        both += u32::from(delayed && aborted);
    }
    (d, a, both)
}

#[test]
fn zero_percent_never_injects_and_one_hundred_percent_always_does() {
    let never = fault(
        Some(FractionalPercent::million(0)),
        Some(FractionalPercent::hundred(0)),
    );
    assert_eq!(sample(&never, 10_000, 1), (0, 0, 0));
    let always = fault(
        Some(FractionalPercent::from_istio_percentage(100.0)),
        Some(FractionalPercent::hundred(100)),
    );
    assert_eq!(sample(&always, 10_000, 1), (10_000, 10_000, 10_000));
}

#[test]
fn delay_and_abort_are_drawn_independently() {
    let f = fault(
        Some(FractionalPercent::from_istio_percentage(50.0)),
        Some(FractionalPercent::from_istio_percentage(20.0)),
    );
    let (d, a, both) = sample(&f, 10_000, 9);
    assert!((4_800..=5_200).contains(&d), "delayed {d}");
    assert!((1_850..=2_150).contains(&a), "aborted {a}");
    assert!(
        (880..=1_120).contains(&both),
        "both {both}: p_delay · p_abort = 10 %"
    );
}

#[test]
fn the_fraction_is_random_mod_denominator_below_numerator() {
    let f = fault(None, Some(FractionalPercent::million(1)));
    assert_eq!(f.sample_abort(&mut Fixed::new(&[0])), Some(500));
    assert_eq!(f.sample_abort(&mut Fixed::new(&[1])), None);
    assert_eq!(f.sample_abort(&mut Fixed::new(&[2_000_000])), Some(500));
    let hundred = fault(None, Some(FractionalPercent::hundred(30)));
    assert_eq!(hundred.sample_abort(&mut Fixed::new(&[129])), Some(500));
    assert_eq!(hundred.sample_abort(&mut Fixed::new(&[130])), None);
}

#[test]
fn a_part_that_is_not_configured_draws_nothing() {
    let abort_only = fault(None, Some(FractionalPercent::hundred(100)));
    let mut rng = Fixed::new(&[0]);
    assert_eq!(abort_only.sample_delay(&mut rng), None);
    assert_eq!(rng.draws, 0);
    assert_eq!(abort_only.sample_abort(&mut rng), Some(500));
    assert_eq!(rng.draws, 1);
}

#[test]
fn a_zero_delay_is_never_injected_even_when_drawn() {
    let mut f = fault(Some(FractionalPercent::hundred(100)), None);
    f.delay.as_mut().unwrap().duration = Duration::ZERO;
    let mut rng = Fixed::new(&[0]);
    assert_eq!(f.sample_delay(&mut rng), None);
    assert_eq!(rng.draws, 1);
}

#[test]
fn max_active_faults_limits_concurrent_faults_only_when_set() {
    let mut f = fault(Some(FractionalPercent::hundred(100)), None);
    assert!(f.admits(1_000_000));
    f.max_active_faults = Some(2);
    assert!(f.admits(1) && !f.admits(2));
}

#[test]
fn istio_percentages_truncate_onto_the_per_million_scale() {
    assert_eq!(
        FractionalPercent::from_istio_percentage(100.0),
        FractionalPercent::million(1_000_000)
    );
    assert_eq!(
        FractionalPercent::from_istio_percentage(0.1),
        FractionalPercent::million(1_000)
    );
    assert_eq!(
        FractionalPercent::from_istio_percentage(0.00015),
        FractionalPercent::million(1)
    );
    assert_eq!(
        FractionalPercent::from_istio_percentage(0.00005),
        FractionalPercent::million(0)
    );
}
