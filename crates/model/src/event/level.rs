//! How much of the trace a run keeps ([`TraceLevel`]), and which events a `failures` trace
//! keeps ([`TraceLevel::keeps_alone`], [`is_failure`], [`request_id`]).
//!
//! A `failures` trace keeps:
//! - every event of a request (its load's `request`, every proxy's `access_log`, every
//!   `app_call` carrying its id) when any one of them failed: a status outside 2xx (0 included),
//!   a response flag, or an app call whose result is not `ok`;
//! - every event that belongs to no request: `load`, `endpoints`, `priority_load`, `outlier`,
//!   `health_check`, `fault`, `config_push`;
//! - of the `pool` events, only refusals and failures (`rq_pending_overflow`, `rq_overflow`,
//!   `cx_overflow`, `cx_create_over_limit`, `cx_connect_fail`, `rq_pending_failure_eject`);
//!   the routine ones (pending, attached, connection create / connected / draining / closed)
//!   are dropped, so connection-pool gauges cannot be plotted from such a trace.
//!
//! A `none` run keeps only the events that belong to no request (as `failures` does) in
//! memory, for the summary and expectations that read them, and writes no trace file.

use serde::{Deserialize, Serialize};

use super::{AppCallResult, EventKind, PoolEvent};

/// How much of the trace a run keeps and writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceLevel {
    /// Every event (up to the trace's cap).
    #[default]
    Full,
    /// Every event of a request that failed, and every event that belongs to no request.
    Failures,
    /// No trace file; only the events that belong to no request are kept, in memory.
    None,
}

impl TraceLevel {
    /// The word `--trace` takes and `summary.json` writes.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceLevel::Full => "full",
            TraceLevel::Failures => "failures",
            TraceLevel::None => "none",
        }
    }

    pub fn is_full(&self) -> bool {
        *self == TraceLevel::Full
    }

    /// Whether an event that belongs to no request ([`request_id`] is `None`) is kept at this
    /// level; always at `full`.
    pub fn keeps_alone(self, kind: &EventKind) -> bool {
        match kind {
            EventKind::Pool { event, .. } => self.is_full() || is_pool_failure(*event),
            _ => true,
        }
    }
}

impl std::str::FromStr for TraceLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(TraceLevel::Full),
            "failures" => Ok(TraceLevel::Failures),
            "none" => Ok(TraceLevel::None),
            _ => Err(format!(
                "'{s}' is not a trace level (expected full, failures or none)"
            )),
        }
    }
}

impl std::fmt::Display for TraceLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request an event belongs to: the id of a `request`, `access_log` or `app_call` (an
/// empty id — a `tcp_proxy` access log — belongs to no request).
pub fn request_id(kind: &EventKind) -> Option<&str> {
    let id = match kind {
        EventKind::Request { request_id, .. }
        | EventKind::AccessLog { request_id, .. }
        | EventKind::AppCall { request_id, .. } => request_id,
        _ => return None,
    };
    (!id.is_empty()).then_some(id.as_str())
}

/// Whether the event itself reports a failure: a request or access log answered outside 2xx
/// or flagged, an app call not `ok`, a pool refusal or failure.
pub fn is_failure(kind: &EventKind) -> bool {
    let bad = |status: u16| !(200..300).contains(&status);
    match kind {
        EventKind::Request { status, flags, .. } | EventKind::AccessLog { status, flags, .. } => {
            bad(*status) || !flags.is_empty()
        }
        EventKind::AppCall { status, result, .. } => *result != AppCallResult::Ok || bad(*status),
        EventKind::Pool { event, .. } => is_pool_failure(*event),
        _ => false,
    }
}

fn is_pool_failure(e: PoolEvent) -> bool {
    matches!(
        e,
        PoolEvent::RqPendingOverflow
            | PoolEvent::RqOverflow
            | PoolEvent::CxOverflow
            | PoolEvent::CxCreateOverLimit
            | PoolEvent::CxConnectFail
            | PoolEvent::RqPendingFailureEject
    )
}
