//! Fully jittered back-off between retries (`source/common/router/retry_state_impl.cc` `RetryStateImpl`), in whole milliseconds as Envoy
//! computes it. Base `B` = `retry_back_off.base_interval` (default 25 ms), max `M` =
//! `max_interval` (default 10·B).
//!
//! - [`BackOffAlgorithm::Exponential`] (current Envoy, `JitteredExponentialBackOffStrategy`):
//!   intervals `I1 = B`, `I(k+1) = I(k) < M/2 ? 2·I(k) : M`; retry k waits `random % I(k)`.
//!   Defaults: 0–24, 0–49, 0–99, 0–199, then 0–249 ms.
//! - [`BackOffAlgorithm::LegacyMultiplier`] (Envoy's older `JitteredBackOffStrategy`, the
//!   formula Envoy's docs still quote): retry k waits `min(random % ((2^k − 1)·B), M)`, k
//!   stops growing once `(2^k − 1)·B > M`. Defaults: 0–24, 0–74, 0–174, then ≤ 250 ms.

use std::time::Duration;

/// Envoy's default base interval (`upstream.base_retry_backoff_ms`).
pub const DEFAULT_BASE_INTERVAL: Duration = Duration::from_millis(25);

/// Base and max interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackOffConfig {
    pub base: Duration,
    pub max: Duration,
}

impl BackOffConfig {
    /// Defaults filled in: base 25 ms, max 10 × base. A max below the base (which Envoy
    /// rejects in config) is raised to the base.
    pub fn new(base: Option<Duration>, max: Option<Duration>) -> Self {
        let base = base.unwrap_or(DEFAULT_BASE_INTERVAL);
        let max = max.unwrap_or(base * 10).max(base);
        Self { base, max }
    }
}

/// Which back-off formula (an Envoy version switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BackOffAlgorithm {
    #[default]
    Exponential,
    LegacyMultiplier,
}

/// The back-off of one request's retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackOff {
    base_ms: u64,
    max_ms: u64,
    algorithm: BackOffAlgorithm,
    /// Exponential: the next interval.
    next_interval_ms: u64,
    /// Legacy: the next multiplier exponent (starts at 1).
    legacy_retry: u32,
}

impl BackOff {
    pub fn new(cfg: BackOffConfig, algorithm: BackOffAlgorithm) -> Self {
        // Envoy requires a base of at least 1 ms.
        let base_ms = (cfg.base.as_millis() as u64).max(1);
        let max_ms = (cfg.max.as_millis() as u64).max(base_ms);
        Self {
            base_ms,
            max_ms,
            algorithm,
            next_interval_ms: base_ms,
            legacy_retry: 1,
        }
    }

    /// The upper bound (exclusive) of the next back-off, before drawing it.
    pub fn next_bound_ms(&self) -> u64 {
        match self.algorithm {
            BackOffAlgorithm::Exponential => self.next_interval_ms,
            BackOffAlgorithm::LegacyMultiplier => self.legacy_base_ms(),
        }
    }

    fn legacy_base_ms(&self) -> u64 {
        let multiplier = (1u64 << self.legacy_retry.min(62)) - 1;
        multiplier.saturating_mul(self.base_ms)
    }

    /// Draw the next back-off.
    pub fn next(&mut self, rng: &mut impl rand::RngCore) -> Duration {
        let ms = match self.algorithm {
            BackOffAlgorithm::Exponential => {
                let interval = self.next_interval_ms;
                self.next_interval_ms = if interval < self.max_ms / 2 {
                    interval * 2
                } else {
                    self.max_ms
                };
                rng.next_u64() % interval
            }
            BackOffAlgorithm::LegacyMultiplier => {
                let bound = self.legacy_base_ms();
                if bound <= self.max_ms {
                    self.legacy_retry += 1;
                }
                (rng.next_u64() % bound).min(self.max_ms)
            }
        };
        Duration::from_millis(ms)
    }
}
