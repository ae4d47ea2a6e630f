//! The detector's settings: Envoy's `OutlierDetection` with its defaults (`source/common/upstream/outlier_detection_impl.cc` `DetectorConfig`, R9), built
//! from the lowered model, plus the version switches of docs/reference/topology.md (Envoy version switches) (V1, V2).

use std::fmt;
use std::time::Duration;

use meshtwin_model::policy::OutlierDetection;
use meshtwin_model::topology::{self, EjectionTimeRule, EnvoySettings};

/// Which max-ejection-percent rule applies (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`, docs/reference/topology.md (Envoy version switches) V1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaxEjectionRule {
    /// Current Envoy: `100·(active+1)/N ≤ max` — the percentage *after* this ejection; the
    /// first host is exempt only with `always_eject_one_host`.
    #[default]
    Current,
    /// Envoy 1.27 only: `active == 0 || 100·(active+1)/N ≤ max` — the percentage after this
    /// ejection, but the first host is always ejectable (envoy PR #27624, before PR #27909
    /// put the first host under the limit too in 1.28).
    FirstHostExempt,
    /// Envoy ≤ 1.26: `100·active/N < max` — the percentage *before* this ejection, so at least
    /// one host is always ejectable when `max > 0` and the limit can be overshot by one host.
    LegacyAtLeastOne,
}

/// How long an ejection lasts (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`, docs/reference/topology.md (Envoy version switches) V2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EjectionDurationRule {
    /// Current Envoy (1.28+): `min(base × backoff, max_ejection_time) + jitter`; the back-off
    /// grows by one per ejection and decays by one per sweep once the host has been back in
    /// service for a whole interval, checked after detection (envoy PR #29711).
    #[default]
    Backoff,
    /// Envoy 1.17–1.27: the same duration, but every sweep first decays the back-off of each
    /// host it finds in service, before detection (`checkHostForUneject`, envoy PR #14235).
    BackoffSweepDecay,
    /// Old Envoy: `base × num_ejections`, never capped and never decaying.
    LegacyLinear,
}

/// The Envoy-era switches the detector honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compat {
    pub max_ejection: MaxEjectionRule,
    pub ejection_duration: EjectionDurationRule,
}

impl Compat {
    /// Current Envoy (the default).
    pub const CURRENT: Compat = Compat {
        max_ejection: MaxEjectionRule::Current,
        ejection_duration: EjectionDurationRule::Backoff,
    };
    /// The Envoy 1.1x–1.2x era both switches describe.
    pub const LEGACY: Compat = Compat {
        max_ejection: MaxEjectionRule::LegacyAtLeastOne,
        ejection_duration: EjectionDurationRule::LegacyLinear,
    };

    /// The switches of the Envoy release a topology names.
    pub fn from_envoy(envoy: &EnvoySettings) -> Self {
        Compat {
            max_ejection: match envoy.max_ejection {
                topology::MaxEjectionRule::Current => MaxEjectionRule::Current,
                topology::MaxEjectionRule::FirstHostExempt => MaxEjectionRule::FirstHostExempt,
                topology::MaxEjectionRule::AtLeastOne => MaxEjectionRule::LegacyAtLeastOne,
            },
            ejection_duration: match envoy.ejection_time {
                EjectionTimeRule::Backoff => EjectionDurationRule::Backoff,
                EjectionTimeRule::BackoffSweepDecay => EjectionDurationRule::BackoffSweepDecay,
                EjectionTimeRule::Linear => EjectionDurationRule::LegacyLinear,
            },
        }
    }
}

/// Envoy's `max_ejection_time` when unset is `max(300 s, base_ejection_time)`.
pub const DEFAULT_MAX_EJECTION_TIME: Duration = Duration::from_secs(300);

/// Every setting of one cluster's detector. Percentages are whole percent (`enforcing_*` above
/// 100 behave as 100); `success_rate_stdev_factor` is in thousandths (1900 = 1.9).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub consecutive_5xx: u32,
    pub enforcing_consecutive_5xx: u32,
    pub consecutive_gateway_failure: u32,
    pub enforcing_consecutive_gateway_failure: u32,
    pub split_external_local_origin_errors: bool,
    pub consecutive_local_origin_failure: u32,
    pub enforcing_consecutive_local_origin_failure: u32,
    pub interval: Duration,
    pub base_ejection_time: Duration,
    pub max_ejection_time: Duration,
    /// Jitter drawn per ejection as `random() % (jitter_ms + 1)` milliseconds.
    pub max_ejection_time_jitter: Duration,
    pub max_ejection_percent: u32,
    pub always_eject_one_host: bool,
    pub success_rate_minimum_hosts: u32,
    pub success_rate_request_volume: u32,
    pub success_rate_stdev_factor: u32,
    pub enforcing_success_rate: u32,
    pub enforcing_local_origin_success_rate: u32,
    pub failure_percentage_threshold: u32,
    pub failure_percentage_minimum_hosts: u32,
    pub failure_percentage_request_volume: u32,
    pub enforcing_failure_percentage: u32,
    pub enforcing_failure_percentage_local_origin: u32,
    pub successful_active_health_check_uneject_host: bool,
    pub compat: Compat,
}

impl Default for Config {
    /// Envoy's defaults for an `outlier_detection: {}` block (`source/common/upstream/outlier_detection_impl.cc` `DetectorConfig`).
    fn default() -> Self {
        Self {
            consecutive_5xx: 5,
            enforcing_consecutive_5xx: 100,
            consecutive_gateway_failure: 5,
            enforcing_consecutive_gateway_failure: 0,
            split_external_local_origin_errors: false,
            consecutive_local_origin_failure: 5,
            enforcing_consecutive_local_origin_failure: 100,
            interval: Duration::from_secs(10),
            base_ejection_time: Duration::from_secs(30),
            max_ejection_time: DEFAULT_MAX_EJECTION_TIME,
            max_ejection_time_jitter: Duration::ZERO,
            max_ejection_percent: 10,
            always_eject_one_host: false,
            success_rate_minimum_hosts: 5,
            success_rate_request_volume: 100,
            success_rate_stdev_factor: 1900,
            enforcing_success_rate: 100,
            enforcing_local_origin_success_rate: 100,
            failure_percentage_threshold: 85,
            failure_percentage_minimum_hosts: 5,
            failure_percentage_request_volume: 50,
            enforcing_failure_percentage: 0,
            enforcing_failure_percentage_local_origin: 0,
            successful_active_health_check_uneject_host: true,
            compat: Compat::CURRENT,
        }
    }
}

/// A configuration Envoy refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub &'static str);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The detector the mesh's lowered policy describes. Fields the model does not carry keep
    /// Envoy's defaults; local-origin success-rate enforcement follows `enforcing_success_rate`
    /// (Istio sets both to 0, App Mesh leaves both at 100).
    pub fn from_model(od: &OutlierDetection, compat: Compat) -> Result<Self, ConfigError> {
        let d = Config::default();
        let cfg = Config {
            consecutive_5xx: od.consecutive_5xx.unwrap_or(d.consecutive_5xx),
            enforcing_consecutive_5xx: od.enforcing_consecutive_5xx,
            consecutive_gateway_failure: od
                .consecutive_gateway_failure
                .unwrap_or(d.consecutive_gateway_failure),
            enforcing_consecutive_gateway_failure: od.enforcing_consecutive_gateway_failure,
            split_external_local_origin_errors: od.split_external_local_origin_errors,
            consecutive_local_origin_failure: od
                .consecutive_local_origin_failure
                .unwrap_or(d.consecutive_local_origin_failure),
            interval: od.interval,
            base_ejection_time: od.base_ejection_time,
            max_ejection_time: od
                .max_ejection_time
                .unwrap_or(DEFAULT_MAX_EJECTION_TIME.max(od.base_ejection_time)),
            max_ejection_percent: od.max_ejection_percent,
            enforcing_success_rate: od.enforcing_success_rate,
            enforcing_local_origin_success_rate: od.enforcing_success_rate,
            compat,
            ..d
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Envoy's own check when it builds the detector.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_ejection_time < self.base_ejection_time {
            return Err(ConfigError(
                "outlier detector's max_ejection_time cannot be smaller than base_ejection_time",
            ));
        }
        Ok(())
    }

    /// `max_ejection_percent` capped at 100.
    pub fn max_ejection_percent(&self) -> u64 {
        u64::from(self.max_ejection_percent.min(100))
    }
}
