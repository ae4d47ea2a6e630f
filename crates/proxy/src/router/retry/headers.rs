//! The request headers that shape one request's retries (`source/common/router/retry_state_impl.cc` `RetryStateImpl`), as Envoy's
//! `RetryStateImpl` merges them into the route's policy:
//!
//! - `x-envoy-retry-on` (HTTP conditions only) and `x-envoy-retry-grpc-on` (gRPC conditions
//!   only) are OR-ed into the route's `retry_on`; unknown tokens are ignored;
//! - then, only if some condition is set, a parsable `x-envoy-max-retries` replaces the
//!   number of retries (0 included);
//! - `x-envoy-retriable-status-codes` adds status codes (used by `retriable-status-codes`),
//!   `x-envoy-retriable-header-names` name-only header matchers (`retriable-headers`).
//!
//! A route without a retry policy has Envoy's empty one: no conditions and one retry, so
//! `x-envoy-retry-on: 5xx` alone buys one retry. Every one of these headers is consumed:
//! removed before the request (or its shadow) goes upstream.

use http::HeaderMap;

use super::{RetryOn, RetryPolicy};
use crate::router::matcher::HeaderMatcher;

pub const RETRY_ON: &str = "x-envoy-retry-on";
pub const RETRY_GRPC_ON: &str = "x-envoy-retry-grpc-on";
pub const MAX_RETRIES: &str = "x-envoy-max-retries";
pub const RETRIABLE_STATUS_CODES: &str = "x-envoy-retriable-status-codes";
pub const RETRIABLE_HEADER_NAMES: &str = "x-envoy-retriable-header-names";

/// The gRPC conditions (`x-envoy-retry-grpc-on`); every other token is an HTTP one.
const GRPC: [RetryOn; 5] = [
    RetryOn::GRPC_CANCELLED,
    RetryOn::GRPC_DEADLINE_EXCEEDED,
    RetryOn::GRPC_INTERNAL,
    RetryOn::GRPC_RESOURCE_EXHAUSTED,
    RetryOn::GRPC_UNAVAILABLE,
];

/// A header's value as text, removing the header either way.
fn take(headers: &mut HeaderMap, name: &str) -> Option<String> {
    let v = crate::router::remove_header(headers, name)?;
    v.to_str().ok().map(str::to_string)
}

/// The conditions of `list` that belong in this header (`grpc`: the gRPC ones only).
fn conditions(list: &str, grpc: bool) -> RetryOn {
    let mut on = RetryOn::NONE;
    for token in list.split(',').map(str::trim) {
        if let Some((_, flag)) = RetryOn::TOKENS.iter().find(|(t, _)| *t == token) {
            if GRPC.contains(flag) == grpc {
                on = on | *flag;
            }
        }
    }
    on
}

impl RetryPolicy {
    /// The policy one request runs under: the route's (`None`: Envoy's empty policy) with
    /// the request's retry headers merged in and removed.
    pub fn for_request(route: Option<&RetryPolicy>, headers: &mut HeaderMap) -> RetryPolicy {
        let retry_on = take(headers, RETRY_ON);
        let retry_grpc_on = take(headers, RETRY_GRPC_ON);
        let max_retries = take(headers, MAX_RETRIES);
        let codes = take(headers, RETRIABLE_STATUS_CODES);
        let header_names = take(headers, RETRIABLE_HEADER_NAMES);
        let mut p = match route {
            Some(p) => p.clone(),
            // No policy and no header asking for retries: nothing can be retried.
            None if retry_on.is_none() && retry_grpc_on.is_none() => RetryPolicy {
                num_retries: 0,
                ..RetryPolicy::new(RetryOn::NONE)
            },
            None => RetryPolicy::new(RetryOn::NONE),
        };
        if let Some(list) = retry_on {
            p.retry_on = p.retry_on | conditions(&list, false);
        }
        if let Some(list) = retry_grpc_on {
            p.retry_on = p.retry_on | conditions(&list, true);
        }
        if p.retry_on != RetryOn::NONE {
            if let Some(n) = max_retries.and_then(|v| v.trim().parse::<u32>().ok()) {
                p.num_retries = n;
            }
        }
        if let Some(list) = codes {
            p.retriable_status_codes
                .extend(list.split(',').filter_map(|c| c.trim().parse::<u16>().ok()));
        }
        if let Some(list) = header_names {
            p.retriable_headers.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(HeaderMatcher::present),
            );
        }
        p
    }
}
