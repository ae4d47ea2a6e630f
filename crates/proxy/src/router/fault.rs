//! The HTTP fault filter with per-route config (`source/extensions/filters/http/fault/fault_filter.cc` `FaultFilter`). It runs before the router:
//!
//! 1. if `max_active_faults` faults are already running, no fault (`faults_overflow`);
//! 2. **delay**: one draw, `random % denominator < numerator`; when enabled and the delay is
//!    non-zero the request is held for it (flag `DI`, `delays_injected`);
//! 3. **abort**: a separate, independent draw — at once when no delay was injected, else when
//!    the delay elapses; when enabled the filter answers locally with the status, body
//!    `fault filter abort` (flag `FI`, details `fault_filter_abort`, `aborts_injected`).
//!
//! So P(delay ∧ abort) = p_delay · p_abort. Aborted requests never reach the router: no
//! upstream request, no cluster stats, no retries. A delay does not count against the route
//! timeout (the router starts its timer after the filter lets the request through).
//! Header-controlled faults are not modelled.

use std::time::Duration;

use meshtwin_model::traffic::FractionalPercent;

/// Body of a fault-abort local reply.
pub const ABORT_BODY: &str = "fault filter abort";
/// Response-code details of a fault abort.
pub const ABORT_DETAILS: &str = "fault_filter_abort";

/// A delay fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultDelay {
    pub duration: Duration,
    pub percentage: FractionalPercent,
}

/// An abort fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultAbort {
    pub status: u16,
    pub percentage: FractionalPercent,
}

/// One route's fault config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultConfig {
    pub delay: Option<FaultDelay>,
    pub abort: Option<FaultAbort>,
    /// `None` = unlimited (Istio sets no limit).
    pub max_active_faults: Option<u64>,
}

impl FaultConfig {
    /// Whether a new request may get a fault while `active` faulted requests are in progress.
    pub fn admits(&self, active: u64) -> bool {
        self.max_active_faults.is_none_or(|max| active < max)
    }

    /// The delay to inject, if any. Draws once when a delay is configured, never otherwise.
    pub fn sample_delay(&self, rng: &mut impl rand::RngCore) -> Option<Duration> {
        let delay = self.delay?;
        let enabled = delay.percentage.enabled(rng.next_u64());
        (enabled && !delay.duration.is_zero()).then_some(delay.duration)
    }

    /// The status to abort with, if any. Draws once when an abort is configured, never
    /// otherwise. Call it when the request arrives if no delay was injected, else when the
    /// delay has elapsed.
    pub fn sample_abort(&self, rng: &mut impl rand::RngCore) -> Option<u16> {
        let abort = self.abort?;
        abort
            .percentage
            .enabled(rng.next_u64())
            .then_some(abort.status)
    }
}
