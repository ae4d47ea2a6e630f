//! What the detector is told (the [`Outcome`] of an attempt) and what it decides ([`Event`]s
//! for the trace and for the load balancers' view of host health).

use std::time::Duration;

use meshtwin_model::event::OutlierReason;

use super::ejection::EjectionType;
use crate::lb::HostId;

/// A local-origin event (`source/common/router/router.cc` `Filter::onUpstreamHeaders` / `onUpstreamReset` (`putResult`)). Circuit-breaker overflows are never reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalOrigin {
    /// The pool obtained a connection (`LocalOriginConnectSuccess`).
    ConnectSuccess,
    /// Connect refused, failed or timed out (`LocalOriginConnectFailed`).
    ConnectFailed,
    /// Per-try or global timeout while awaiting headers (`LocalOriginTimeout`, 504).
    Timeout,
    /// Upstream stream reset before or after headers (reported as `LocalOriginConnectFailed`).
    Reset,
}

/// The result of one upstream attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Upstream response headers with this status (gRPC status already mapped to HTTP).
    Http(u16),
    Local(LocalOrigin),
}

/// Why a host came back into service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnejectReason {
    /// A sweep found its ejection time over.
    Timer,
    /// A successful active health check (`successful_active_health_check_uneject_host`).
    ActiveHealthCheck,
}

/// What the detector decided, for the trace and the load balancers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `host` now carries `FAILED_OUTLIER_CHECK`; the first sweep at or after `now + duration`
    /// brings it back.
    Ejected {
        host: HostId,
        reason: EjectionType,
        num_ejections: u32,
        duration: Duration,
    },
    /// Detected but the enforcement roll said no (Envoy logs `enforced: false`).
    NotEnforced {
        host: HostId,
        reason: EjectionType,
    },
    /// Refused by `max_ejection_percent` (`ejections_overflow`).
    Overflow {
        host: HostId,
        reason: EjectionType,
    },
    Unejected {
        host: HostId,
        reason: UnejectReason,
    },
}

impl From<UnejectReason> for OutlierReason {
    fn from(r: UnejectReason) -> Self {
        match r {
            UnejectReason::Timer => OutlierReason::Timer,
            UnejectReason::ActiveHealthCheck => OutlierReason::ActiveHealthCheck,
        }
    }
}
