//! Ejection rules (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`): the ejection types, the max-ejection-percent check, the
//! enforcement roll and how long an ejection lasts.

use std::time::Duration;

use meshtwin_model::event::OutlierReason;
use rand::RngCore;

use super::config::{Config, EjectionDurationRule, MaxEjectionRule};

/// Why a host was (or would have been) ejected — Envoy's `OutlierEjectionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EjectionType {
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    ConsecutiveLocalOriginFailure,
    SuccessRate,
    SuccessRateLocalOrigin,
    FailurePercentage,
    FailurePercentageLocalOrigin,
}

impl EjectionType {
    /// Every type, in the order their stats are rendered.
    pub const ALL: [EjectionType; 7] = [
        EjectionType::Consecutive5xx,
        EjectionType::ConsecutiveGatewayFailure,
        EjectionType::ConsecutiveLocalOriginFailure,
        EjectionType::SuccessRate,
        EjectionType::SuccessRateLocalOrigin,
        EjectionType::FailurePercentage,
        EjectionType::FailurePercentageLocalOrigin,
    ];

    /// The suffix of its `ejections_detected_*` / `ejections_enforced_*` stats.
    pub fn stat_suffix(self) -> &'static str {
        match self {
            EjectionType::Consecutive5xx => "consecutive_5xx",
            EjectionType::ConsecutiveGatewayFailure => "consecutive_gateway_failure",
            EjectionType::ConsecutiveLocalOriginFailure => "consecutive_local_origin_failure",
            EjectionType::SuccessRate => "success_rate",
            EjectionType::SuccessRateLocalOrigin => "local_origin_success_rate",
            EjectionType::FailurePercentage => "failure_percentage",
            EjectionType::FailurePercentageLocalOrigin => "local_origin_failure_percentage",
        }
    }

    /// Envoy's enum name, as its outlier event log writes it (`CONSECUTIVE_5XX`).
    pub fn envoy_name(self) -> &'static str {
        match self {
            EjectionType::Consecutive5xx => "CONSECUTIVE_5XX",
            EjectionType::ConsecutiveGatewayFailure => "CONSECUTIVE_GATEWAY_FAILURE",
            EjectionType::ConsecutiveLocalOriginFailure => "CONSECUTIVE_LOCAL_ORIGIN_FAILURE",
            EjectionType::SuccessRate => "SUCCESS_RATE",
            EjectionType::SuccessRateLocalOrigin => "SUCCESS_RATE_LOCAL_ORIGIN",
            EjectionType::FailurePercentage => "FAILURE_PERCENTAGE",
            EjectionType::FailurePercentageLocalOrigin => "FAILURE_PERCENTAGE_LOCAL_ORIGIN",
        }
    }

    /// Index into per-type stat arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The `enforcing_*` percentage that governs this type.
    pub fn enforcing(self, cfg: &Config) -> u32 {
        match self {
            EjectionType::Consecutive5xx => cfg.enforcing_consecutive_5xx,
            EjectionType::ConsecutiveGatewayFailure => cfg.enforcing_consecutive_gateway_failure,
            EjectionType::ConsecutiveLocalOriginFailure => {
                cfg.enforcing_consecutive_local_origin_failure
            }
            EjectionType::SuccessRate => cfg.enforcing_success_rate,
            EjectionType::SuccessRateLocalOrigin => cfg.enforcing_local_origin_success_rate,
            EjectionType::FailurePercentage => cfg.enforcing_failure_percentage,
            EjectionType::FailurePercentageLocalOrigin => {
                cfg.enforcing_failure_percentage_local_origin
            }
        }
    }
}

/// Whether one more host may be ejected when `active` of the cluster's `hosts` already are
/// (all priorities together).
pub fn within_max_ejection_percent(active: u64, hosts: u64, cfg: &Config) -> bool {
    let max = cfg.max_ejection_percent();
    // Integer forms of Envoy's double comparisons; exact, since both sides are rationals.
    match cfg.compat.max_ejection {
        MaxEjectionRule::Current => {
            let fits = 100 * (active + 1) <= max * hosts;
            fits || (cfg.always_eject_one_host && active == 0)
        }
        MaxEjectionRule::FirstHostExempt => active == 0 || 100 * (active + 1) <= max * hosts,
        MaxEjectionRule::LegacyAtLeastOne => 100 * active < max * hosts,
    }
}

/// Runtime `featureEnabled(pct)`: `random() % 100 < pct`; 0 and ≥ 100 draw nothing.
pub fn roll_percent<R: RngCore + ?Sized>(percent: u32, rng: &mut R) -> bool {
    match percent.min(100) {
        0 => false,
        100 => true,
        p => rng.next_u64() % 100 < u64::from(p),
    }
}

/// The jitter of one ejection: `random() % (jitter_ms + 1)` ms (drawn even when it is 0).
pub fn draw_jitter<R: RngCore + ?Sized>(cfg: &Config, rng: &mut R) -> Duration {
    let max_ms = u64::try_from(cfg.max_ejection_time_jitter.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.next_u64() % max_ms.saturating_add(1))
}

/// How long an ejection lasts once `backoff` has been bumped for it (current rule) or once it
/// is the host's `num_ejections`-th (legacy rule).
pub fn ejection_duration(
    cfg: &Config,
    backoff: u32,
    num_ejections: u32,
    jitter: Duration,
) -> Duration {
    match cfg.compat.ejection_duration {
        EjectionDurationRule::Backoff | EjectionDurationRule::BackoffSweepDecay => {
            cfg.base_ejection_time
                .saturating_mul(backoff)
                .min(cfg.max_ejection_time)
                + jitter
        }
        EjectionDurationRule::LegacyLinear => cfg.base_ejection_time.saturating_mul(num_ejections),
    }
}

/// Whether the back-off may still grow: `backoff × base < max + base`.
pub fn backoff_may_grow(cfg: &Config, backoff: u32) -> bool {
    cfg.base_ejection_time.saturating_mul(backoff) < cfg.max_ejection_time + cfg.base_ejection_time
}

impl From<EjectionType> for OutlierReason {
    /// The trace's reason for an ejection of this type (its stat suffix).
    fn from(t: EjectionType) -> Self {
        match t {
            EjectionType::Consecutive5xx => OutlierReason::Consecutive5xx,
            EjectionType::ConsecutiveGatewayFailure => OutlierReason::ConsecutiveGatewayFailure,
            EjectionType::ConsecutiveLocalOriginFailure => {
                OutlierReason::ConsecutiveLocalOriginFailure
            }
            EjectionType::SuccessRate => OutlierReason::SuccessRate,
            EjectionType::SuccessRateLocalOrigin => OutlierReason::SuccessRateLocalOrigin,
            EjectionType::FailurePercentage => OutlierReason::FailurePercentage,
            EjectionType::FailurePercentageLocalOrigin => {
                OutlierReason::FailurePercentageLocalOrigin
            }
        }
    }
}

#[cfg(test)]
mod trace_reason_tests {
    use super::*;

    #[test]
    fn the_traced_reason_of_an_ejection_is_its_stat_suffix() {
        for t in EjectionType::ALL {
            assert_eq!(OutlierReason::from(t).as_str(), t.stat_suffix());
        }
    }
}
