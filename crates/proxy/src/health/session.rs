//! One host's active health-check session (Envoy's `ActiveHealthCheckSession`, `source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`):
//! consecutive counters, the "first check ever" rule and the `FAILED_ACTIVE_HC` flag.

use super::config::{Config, Transition};

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckResult {
    /// The host passed (HTTP status expected, TCP connected, gRPC serving).
    Passed,
    /// An HTTP response with an unexpected status: an `ACTIVE`, non-retriable failure that
    /// fails a healthy host at once, whatever `unhealthy_threshold` says.
    Status(u16),
    /// No response within `timeout` (`NETWORK_TIMEOUT`): counts toward the threshold.
    Timeout,
    /// Connect failure, reset or close before the response (`NETWORK`): counts toward the
    /// threshold.
    Network(String),
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        *self == CheckResult::Passed
    }

    /// `NETWORK` or `NETWORK_TIMEOUT`.
    pub fn is_network(&self) -> bool {
        matches!(self, CheckResult::Timeout | CheckResult::Network(_))
    }

    /// For the trace: `status 503`, `timeout`, `connection failure`, ...
    pub fn reason(&self) -> String {
        match self {
            CheckResult::Passed => "passed".into(),
            CheckResult::Status(s) => format!("status {s}"),
            CheckResult::Timeout => "timeout".into(),
            CheckResult::Network(r) => r.clone(),
        }
    }
}

/// One host's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `FAILED_ACTIVE_HC`: set on new hosts of a health-checked cluster.
    pub failed_active_hc: bool,
    /// `ACTIVE_HC_TIMEOUT`: the host is failed and its latest check timed out.
    pub timed_out: bool,
    pub num_healthy: u32,
    pub num_unhealthy: u32,
    /// No check has completed yet.
    pub first_check: bool,
}

impl Default for Session {
    /// A new host: unhealthy until its first check passes.
    fn default() -> Self {
        Self {
            failed_active_hc: true,
            timed_out: false,
            num_healthy: 0,
            num_unhealthy: 0,
            first_check: true,
        }
    }
}

impl Session {
    /// `handleSuccess`: a failed host becomes healthy on its first check ever (threshold
    /// ignored) or after `healthy_threshold` consecutive passes.
    pub fn on_success(&mut self, cfg: &Config) -> Transition {
        self.num_unhealthy = 0;
        let mut t = Transition::Unchanged;
        if self.failed_active_hc {
            // Envoy: `first_check_ || ++num_healthy_ == healthy_threshold_`.
            if self.first_check || {
                self.num_healthy += 1;
                self.num_healthy == cfg.healthy_threshold
            } {
                self.failed_active_hc = false;
                self.timed_out = false;
                t = Transition::Changed;
            } else {
                t = Transition::ChangePending;
            }
        }
        self.first_check = false;
        t
    }

    /// `setUnhealthy`: a healthy host fails at once on a non-network failure (an unexpected
    /// status), else after `unhealthy_threshold` consecutive network failures or timeouts.
    pub fn on_failure(&mut self, result: &CheckResult, cfg: &Config) -> Transition {
        self.num_healthy = 0;
        let mut t = Transition::Unchanged;
        if !self.failed_active_hc {
            // Envoy: `!network || ++num_unhealthy_ == unhealthy_threshold_`.
            if !result.is_network() || {
                self.num_unhealthy += 1;
                self.num_unhealthy == cfg.unhealthy_threshold
            } {
                self.failed_active_hc = true;
                t = Transition::Changed;
            } else {
                t = Transition::ChangePending;
            }
        }
        self.timed_out = *result == CheckResult::Timeout && self.failed_active_hc;
        self.first_check = false;
        t
    }
}
