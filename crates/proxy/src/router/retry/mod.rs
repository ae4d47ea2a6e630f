//! Envoy's router retries (`source/common/router/retry_state_impl.cc` `RetryStateImpl`, istiod `pilot/pkg/networking/core/route/retry/retry.go`).
//!
//! - this module: [`RetryOn`] (the `retry_on` conditions) and [`RetryPolicy`] (a route's
//!   `retry_policy`);
//! - [`conditions`]: which responses and resets a policy retries;
//! - [`headers`]: `x-envoy-retry-on`, `x-envoy-max-retries` and friends merged into a
//!   request's policy;
//! - [`backoff`]: the fully jittered back-off between attempts;
//! - [`state`]: [`RetryState`], one per request — retry budget, decisions, host predicate.

use std::time::Duration;

use meshtwin_model::traffic::http as model;

use super::matcher::HeaderMatcher;

pub mod backoff;
pub mod conditions;
pub mod headers;
pub mod state;

pub use backoff::{BackOff, BackOffAlgorithm, BackOffConfig};
pub use conditions::{Overloaded, UpstreamReset};
pub use state::{RetryCompat, RetryDecision, RetryState, RetryVerdict};

/// A set of `retry_on` conditions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryOn(u32);

impl RetryOn {
    pub const NONE: RetryOn = RetryOn(0);
    pub const FIVE_XX: RetryOn = RetryOn(1);
    pub const GATEWAY_ERROR: RetryOn = RetryOn(1 << 1);
    pub const RESET: RetryOn = RetryOn(1 << 2);
    pub const RESET_BEFORE_REQUEST: RetryOn = RetryOn(1 << 3);
    pub const CONNECT_FAILURE: RetryOn = RetryOn(1 << 4);
    pub const RETRIABLE_4XX: RetryOn = RetryOn(1 << 5);
    pub const REFUSED_STREAM: RetryOn = RetryOn(1 << 6);
    pub const RETRIABLE_STATUS_CODES: RetryOn = RetryOn(1 << 7);
    pub const RETRIABLE_HEADERS: RetryOn = RetryOn(1 << 8);
    pub const ENVOY_RATELIMITED: RetryOn = RetryOn(1 << 9);
    pub const HTTP3_POST_CONNECT_FAILURE: RetryOn = RetryOn(1 << 10);
    pub const GRPC_CANCELLED: RetryOn = RetryOn(1 << 11);
    pub const GRPC_DEADLINE_EXCEEDED: RetryOn = RetryOn(1 << 12);
    pub const GRPC_INTERNAL: RetryOn = RetryOn(1 << 13);
    pub const GRPC_RESOURCE_EXHAUSTED: RetryOn = RetryOn(1 << 14);
    pub const GRPC_UNAVAILABLE: RetryOn = RetryOn(1 << 15);

    /// Every token Envoy accepts in a route's `retry_on` (HTTP and gRPC ones alike).
    pub const TOKENS: [(&'static str, RetryOn); 16] = [
        ("5xx", Self::FIVE_XX),
        ("gateway-error", Self::GATEWAY_ERROR),
        ("reset", Self::RESET),
        ("reset-before-request", Self::RESET_BEFORE_REQUEST),
        ("connect-failure", Self::CONNECT_FAILURE),
        ("retriable-4xx", Self::RETRIABLE_4XX),
        ("refused-stream", Self::REFUSED_STREAM),
        ("retriable-status-codes", Self::RETRIABLE_STATUS_CODES),
        ("retriable-headers", Self::RETRIABLE_HEADERS),
        ("envoy-ratelimited", Self::ENVOY_RATELIMITED),
        (
            "http3-post-connect-failure",
            Self::HTTP3_POST_CONNECT_FAILURE,
        ),
        ("cancelled", Self::GRPC_CANCELLED),
        ("deadline-exceeded", Self::GRPC_DEADLINE_EXCEEDED),
        ("internal", Self::GRPC_INTERNAL),
        ("resource-exhausted", Self::GRPC_RESOURCE_EXHAUSTED),
        ("unavailable", Self::GRPC_UNAVAILABLE),
    ];

    /// Parse comma-separated tokens (spaces around them ignored); the unknown ones are
    /// returned, as Envoy ignores them in request headers.
    pub fn parse(list: &str) -> (RetryOn, Vec<String>) {
        let mut on = RetryOn::NONE;
        let mut unknown = Vec::new();
        for token in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match Self::TOKENS.iter().find(|(t, _)| *t == token) {
                Some((_, flag)) => on = on | *flag,
                None => unknown.push(token.to_string()),
            }
        }
        (on, unknown)
    }

    /// Whether any condition of `other` is in the set.
    pub fn any(self, other: RetryOn) -> bool {
        self.0 & other.0 != 0
    }

    /// Both sets' conditions (`|`, usable in constants).
    pub const fn union(self, other: RetryOn) -> RetryOn {
        RetryOn(self.0 | other.0)
    }
}

impl std::ops::BitOr for RetryOn {
    type Output = RetryOn;
    fn bitor(self, rhs: RetryOn) -> RetryOn {
        RetryOn(self.0 | rhs.0)
    }
}

/// A route's `retry_policy`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Envoy's default when a policy exists: 1.
    pub num_retries: u32,
    pub retry_on: RetryOn,
    pub retriable_status_codes: Vec<u16>,
    pub retriable_headers: Vec<HeaderMatcher>,
    pub per_try_timeout: Option<Duration>,
    /// The `previous_hosts` retry host predicate.
    pub previous_hosts: bool,
    /// Envoy's default: 1.
    pub host_selection_retry_max_attempts: u32,
    pub back_off: BackOffConfig,
    /// `retry_priority` `envoy.retry_priorities.previous_priorities` with this
    /// `update_frequency` (`None`: no retry priority, retries use the balancer's load).
    pub previous_priorities: Option<u32>,
}

impl RetryPolicy {
    /// A policy with Envoy's defaults for everything but the conditions.
    pub fn new(retry_on: RetryOn) -> Self {
        Self {
            num_retries: 1,
            retry_on,
            retriable_status_codes: Vec::new(),
            retriable_headers: Vec::new(),
            per_try_timeout: None,
            previous_hosts: false,
            host_selection_retry_max_attempts: 1,
            back_off: BackOffConfig::new(None, None),
            previous_priorities: None,
        }
    }
}

impl From<&model::RetryPolicy> for RetryPolicy {
    /// The lowered Istio policy (its tokens are Envoy's; unknown ones were rejected when the
    /// VirtualService was read).
    fn from(p: &model::RetryPolicy) -> Self {
        Self {
            num_retries: p.num_retries,
            retry_on: RetryOn::parse(&p.retry_on.join(",")).0,
            retriable_status_codes: p.retriable_status_codes.clone(),
            retriable_headers: Vec::new(),
            per_try_timeout: p.per_try_timeout,
            previous_hosts: p.previous_hosts,
            host_selection_retry_max_attempts: p.host_selection_retry_max_attempts,
            back_off: BackOffConfig::new(p.base_interval, None),
            previous_priorities: p
                .retry_remote_localities
                .then_some(model::PREVIOUS_PRIORITIES_UPDATE_FREQUENCY),
        }
    }
}
