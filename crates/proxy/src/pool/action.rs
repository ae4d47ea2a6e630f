//! What a [`PoolEngine`](super::engine::PoolEngine) answers: the [`Action`]s its driver
//! carries out, the outcome of asking for a stream, and why a request got none (Envoy's
//! `ConnectionPool::Callbacks` / `PoolFailureReason`).

use meshtwin_model::event::PoolEvent;

use super::engine::{CxId, PendingId};

/// Why a pool could not give a request a stream (Envoy's `PoolFailureReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolFailure {
    /// A circuit breaker refused it (503 UO, `x-envoy-overloaded`).
    Overflow,
    /// The connection it waited for was refused or reset while connecting.
    RemoteConnectionFailure,
    /// The connection it waited for failed locally while connecting.
    LocalConnectionFailure,
    /// The connection it waited for hit the connect timeout.
    Timeout,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open connection `CxId` to the host; report back with `on_connected` /
    /// `on_connect_failed`.
    Connect(CxId),
    /// Hand the queued request its connection.
    Attach { pending: PendingId, cx: CxId },
    /// Fail the queued request.
    Fail {
        pending: PendingId,
        reason: PoolFailure,
    },
    /// Close this connection now (it drained); report back with `on_closed`.
    Close(CxId),
    /// Record a pool event in the trace.
    Event(PoolEvent, Option<CxId>),
}

/// The outcome of asking for a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewStream {
    /// A ready connection took it at once.
    Attached(CxId),
    /// It waits in the pending queue.
    Pending(PendingId),
    /// A circuit breaker refused it.
    Overflow,
}
