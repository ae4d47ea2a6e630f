//! One host's outlier state (Envoy's `DetectorHostMonitorImpl`, `source/common/upstream/outlier_detection_impl.cc` `DetectorHostMonitorImpl::putHttpResponseCode`): consecutive-error
//! counters, the two success-rate accumulators and the ejection bookkeeping.

use std::time::Duration;

use super::config::Config;
use super::ejection::EjectionType;

/// Requests and successes counted during one interval.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub success: u64,
    pub total: u64,
}

/// Two buckets: the one being written this interval and the one the last sweep closed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SuccessRateAccumulator {
    current: Bucket,
    backup: Bucket,
}

impl SuccessRateAccumulator {
    const EMPTY: Self = Self {
        current: Bucket {
            success: 0,
            total: 0,
        },
        backup: Bucket {
            success: 0,
            total: 0,
        },
    };

    pub(crate) fn record(&mut self, success: bool) {
        self.current.total += 1;
        self.current.success += u64::from(success);
    }

    /// Close the interval: the written bucket becomes the one read by detection.
    pub(crate) fn swap(&mut self) {
        self.backup = std::mem::take(&mut self.current);
    }

    /// `(100·success/total, total)` of the closed interval; `None` when it saw no request.
    pub fn rate_and_volume(&self) -> Option<(f64, u64)> {
        (self.backup.total > 0).then(|| {
            let rate = self.backup.success as f64 * 100.0 / self.backup.total as f64;
            (rate, self.backup.total)
        })
    }

    /// Whether both buckets are empty (nothing recorded this interval or the last).
    pub fn is_empty(&self) -> bool {
        self.current == Bucket::default() && self.backup == Bucket::default()
    }

    /// The bucket being written now.
    pub fn current(&self) -> Bucket {
        self.current
    }
}

/// Which success-rate accumulator (and detector pass) a result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    External,
    Local,
}

/// The state of one host.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Monitor {
    pub(crate) consecutive_5xx: u32,
    pub(crate) consecutive_gateway_failure: u32,
    pub(crate) consecutive_local_origin_failure: u32,
    pub(crate) external: SuccessRateAccumulator,
    pub(crate) local: SuccessRateAccumulator,
    pub(crate) ejected: bool,
    pub(crate) num_ejections: u32,
    pub(crate) backoff: u32,
    pub(crate) jitter: Duration,
    pub(crate) last_ejection: Option<Duration>,
    pub(crate) last_unejection: Option<Duration>,
}

impl Monitor {
    /// A host with no result yet (the [`Default`]), as a constant.
    pub const IDLE: Monitor = Monitor {
        consecutive_5xx: 0,
        consecutive_gateway_failure: 0,
        consecutive_local_origin_failure: 0,
        external: SuccessRateAccumulator::EMPTY,
        local: SuccessRateAccumulator::EMPTY,
        ejected: false,
        num_ejections: 0,
        backoff: 0,
        jitter: Duration::ZERO,
        last_ejection: None,
        last_unejection: None,
    };

    /// Whether an interval sweep could change it: ejected, a back-off to decay, or a result in
    /// either success-rate bucket. A sweep leaves any other monitor exactly as it is.
    pub(crate) fn sweep_has_work(&self) -> bool {
        self.ejected || self.backoff > 0 || !self.external.is_empty() || !self.local.is_empty()
    }

    /// An upstream HTTP status (`putHttpResponseCode`): the consecutive types whose threshold
    /// this result reached, gateway failure first (Envoy posts them in that order).
    pub(crate) fn put_http_code(&mut self, code: u16, cfg: &Config) -> Vec<EjectionType> {
        let mut fired = Vec::new();
        let is_5xx = (500..600).contains(&code);
        self.external.record(!is_5xx);
        if !is_5xx {
            self.consecutive_5xx = 0;
            self.consecutive_gateway_failure = 0;
            return fired;
        }
        if (502..505).contains(&code) {
            self.consecutive_gateway_failure = self.consecutive_gateway_failure.saturating_add(1);
            if self.consecutive_gateway_failure == cfg.consecutive_gateway_failure {
                fired.push(EjectionType::ConsecutiveGatewayFailure);
            }
        } else {
            self.consecutive_gateway_failure = 0;
        }
        self.consecutive_5xx = self.consecutive_5xx.saturating_add(1);
        if self.consecutive_5xx == cfg.consecutive_5xx {
            fired.push(EjectionType::Consecutive5xx);
        }
        fired
    }

    /// A local-origin failure in split mode (`localOriginFailure`).
    pub(crate) fn local_failure(&mut self, cfg: &Config) -> Option<EjectionType> {
        self.local.record(false);
        self.consecutive_local_origin_failure =
            self.consecutive_local_origin_failure.saturating_add(1);
        (self.consecutive_local_origin_failure == cfg.consecutive_local_origin_failure)
            .then_some(EjectionType::ConsecutiveLocalOriginFailure)
    }

    /// A local-origin success in split mode (`localOriginNoFailure`).
    pub(crate) fn local_success(&mut self) {
        self.local.record(true);
        self.consecutive_local_origin_failure = 0;
    }

    pub(crate) fn reset_consecutive(&mut self, t: EjectionType) {
        match t {
            EjectionType::Consecutive5xx => self.consecutive_5xx = 0,
            EjectionType::ConsecutiveGatewayFailure => self.consecutive_gateway_failure = 0,
            EjectionType::ConsecutiveLocalOriginFailure => {
                self.consecutive_local_origin_failure = 0
            }
            _ => {}
        }
    }

    pub(crate) fn accumulator(&self, origin: Origin) -> &SuccessRateAccumulator {
        match origin {
            Origin::External => &self.external,
            Origin::Local => &self.local,
        }
    }

    /// 5xx (and, without split, local-origin failures) in a row.
    pub fn consecutive_5xx(&self) -> u32 {
        self.consecutive_5xx
    }

    /// 502 / 503 / 504 in a row.
    pub fn consecutive_gateway_failure(&self) -> u32 {
        self.consecutive_gateway_failure
    }

    /// Local-origin failures in a row (split mode only).
    pub fn consecutive_local_origin_failure(&self) -> u32 {
        self.consecutive_local_origin_failure
    }

    /// Whether the host carries `FAILED_OUTLIER_CHECK`.
    pub fn is_ejected(&self) -> bool {
        self.ejected
    }

    /// Ejections so far (only grows).
    pub fn num_ejections(&self) -> u32 {
        self.num_ejections
    }

    /// The ejection-time multiplier (current rule).
    pub fn backoff(&self) -> u32 {
        self.backoff
    }

    /// When it was last ejected.
    pub fn last_ejection(&self) -> Option<Duration> {
        self.last_ejection
    }

    /// When it last came back into service.
    pub fn last_unejection(&self) -> Option<Duration> {
        self.last_unejection
    }

    /// The external-origin success-rate accumulator.
    pub fn external(&self) -> &SuccessRateAccumulator {
        &self.external
    }
}
