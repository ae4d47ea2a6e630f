//! Which upstream responses and resets a retry policy retries (Envoy's
//! `wouldRetryFromHeaders` / `wouldRetryFromReset`, `source/common/router/retry_state_impl.cc` `RetryStateImpl`).

use http::header::HeaderName;
use http::HeaderMap;

use super::{RetryOn, RetryPolicy};

/// How an attempt ended without response headers (Envoy's `StreamResetReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamReset {
    /// A local circuit breaker refused the attempt: never retried.
    Overflow,
    LocalConnectionFailure,
    RemoteConnectionFailure,
    /// Connect timeout (version switch V5: older Envoy reported it as `LocalReset`).
    ConnectionTimeout,
    ConnectionTermination,
    /// Also what a per-try timeout counts as.
    LocalReset,
    LocalRefusedStreamReset,
    RemoteReset,
    RemoteRefusedStreamReset,
    ProtocolError,
}

impl UpstreamReset {
    /// The reason as current Envoy words it in local-reply bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamReset::Overflow => "overflow",
            UpstreamReset::LocalConnectionFailure => "local connection failure",
            UpstreamReset::RemoteConnectionFailure => "remote connection failure",
            UpstreamReset::ConnectionTimeout => "connection timeout",
            UpstreamReset::ConnectionTermination => "connection termination",
            UpstreamReset::LocalReset => "local reset",
            UpstreamReset::LocalRefusedStreamReset => "local refused stream reset",
            UpstreamReset::RemoteReset => "remote reset",
            UpstreamReset::RemoteRefusedStreamReset => "remote refused stream reset",
            UpstreamReset::ProtocolError => "protocol error",
        }
    }
}

/// Whether a response carrying `x-envoy-overloaded` may be retried (version switch V6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overloaded {
    /// Like any other response (Envoy ≥ 1.15, PR #10847).
    #[default]
    Retriable,
    /// Never (Envoy < 1.15).
    NeverRetried,
}

const GRPC_CODES: [(u32, RetryOn); 5] = [
    (1, RetryOn::GRPC_CANCELLED),
    (4, RetryOn::GRPC_DEADLINE_EXCEEDED),
    (8, RetryOn::GRPC_RESOURCE_EXHAUSTED),
    (13, RetryOn::GRPC_INTERNAL),
    (14, RetryOn::GRPC_UNAVAILABLE),
];

const OVERLOADED: HeaderName = HeaderName::from_static("x-envoy-overloaded");
const RATELIMITED: HeaderName = HeaderName::from_static("x-envoy-ratelimited");
const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// Any of the gRPC status conditions.
const ANY_GRPC: RetryOn = RetryOn::GRPC_CANCELLED
    .union(RetryOn::GRPC_DEADLINE_EXCEEDED)
    .union(RetryOn::GRPC_RESOURCE_EXHAUSTED)
    .union(RetryOn::GRPC_INTERNAL)
    .union(RetryOn::GRPC_UNAVAILABLE);

impl RetryPolicy {
    /// Whether a response with these headers is retriable. `grpc-status` is read only when
    /// a gRPC condition is on, as `RetryStateImpl::wouldRetryFromHeaders` does.
    pub fn would_retry_headers(&self, status: u16, headers: &HeaderMap, ov: Overloaded) -> bool {
        if ov == Overloaded::NeverRetried && headers.contains_key(OVERLOADED) {
            return false;
        }
        // Responses rate-limited by an upstream Envoy are retried only on request.
        if headers.contains_key(RATELIMITED) {
            return self.retry_on.any(RetryOn::ENVOY_RATELIMITED);
        }
        let on = self.retry_on;
        (on.any(RetryOn::FIVE_XX) && (500..600).contains(&status))
            || (on.any(RetryOn::GATEWAY_ERROR) && matches!(status, 502..=504))
            || (on.any(RetryOn::RETRIABLE_4XX) && status == 409)
            || (on.any(RetryOn::RETRIABLE_STATUS_CODES)
                && self.retriable_status_codes.contains(&status))
            || (on.any(RetryOn::RETRIABLE_HEADERS)
                && self.retriable_headers.iter().any(|h| h.matches(headers)))
            || (on.any(ANY_GRPC)
                && grpc_status(headers).is_some_and(|code| {
                    GRPC_CODES
                        .iter()
                        .any(|(c, flag)| *c == code && on.any(*flag))
                }))
    }

    /// Whether an attempt that ended with `reset` is retriable; `request_started` = some of
    /// the request had been sent upstream.
    pub fn would_retry_reset(&self, reset: UpstreamReset, request_started: bool) -> bool {
        let on = self.retry_on;
        match reset {
            UpstreamReset::Overflow => false,
            _ if on.any(RetryOn::RESET_BEFORE_REQUEST) && !request_started => true,
            _ if on.any(RetryOn::FIVE_XX | RetryOn::GATEWAY_ERROR | RetryOn::RESET) => true,
            UpstreamReset::RemoteRefusedStreamReset => on.any(RetryOn::REFUSED_STREAM),
            UpstreamReset::LocalConnectionFailure
            | UpstreamReset::RemoteConnectionFailure
            | UpstreamReset::ConnectionTimeout => on.any(RetryOn::CONNECT_FAILURE),
            _ => false,
        }
    }
}

/// `grpc-status` in the response headers (trailers-only gRPC responses).
fn grpc_status(headers: &HeaderMap) -> Option<u32> {
    headers.get(GRPC_STATUS)?.to_str().ok()?.trim().parse().ok()
}
