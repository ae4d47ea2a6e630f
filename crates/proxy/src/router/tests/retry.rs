//! Which responses and resets each `retry_on` condition retries (`source/common/router/retry_state_impl.cc` `RetryStateImpl`, switch V6).

use http::{HeaderMap, HeaderValue};

use crate::router::matcher::{HeaderMatcher, ValueMatch};
use crate::router::retry::*;

fn policy(tokens: &str) -> RetryPolicy {
    let (on, unknown) = RetryOn::parse(tokens);
    assert!(unknown.is_empty(), "{unknown:?}");
    RetryPolicy::new(on)
}

fn status(p: &RetryPolicy, code: u16) -> bool {
    p.would_retry_headers(code, &HeaderMap::new(), Overloaded::Retriable)
}

fn with(name: &'static str, value: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(name, HeaderValue::from_static(value));
    h
}

const ALL_RESETS: [UpstreamReset; 10] = [
    UpstreamReset::Overflow,
    UpstreamReset::LocalConnectionFailure,
    UpstreamReset::RemoteConnectionFailure,
    UpstreamReset::ConnectionTimeout,
    UpstreamReset::ConnectionTermination,
    UpstreamReset::LocalReset,
    UpstreamReset::LocalRefusedStreamReset,
    UpstreamReset::RemoteReset,
    UpstreamReset::RemoteRefusedStreamReset,
    UpstreamReset::ProtocolError,
];

/// The resets `p` retries, after some of the request was sent.
fn retried_resets(p: &RetryPolicy) -> Vec<UpstreamReset> {
    ALL_RESETS
        .into_iter()
        .filter(|r| p.would_retry_reset(*r, true))
        .collect()
}

#[test]
fn retry_on_parses_envoy_tokens_and_reports_unknown_ones() {
    let (on, unknown) = RetryOn::parse("5xx, connect-failure,,bogus,unavailable");
    assert!(on.any(RetryOn::FIVE_XX) && on.any(RetryOn::CONNECT_FAILURE));
    assert!(on.any(RetryOn::GRPC_UNAVAILABLE) && !on.any(RetryOn::RESET));
    assert_eq!(unknown, vec!["bogus".to_string()]);
}

#[test]
fn five_xx_retries_every_5xx_and_every_reset_except_overflow() {
    let p = policy("5xx");
    assert!(status(&p, 500) && status(&p, 503) && status(&p, 599));
    assert!(!status(&p, 499) && !status(&p, 200) && !status(&p, 409));
    assert_eq!(retried_resets(&p), ALL_RESETS[1..].to_vec());
}

#[test]
fn gateway_error_retries_502_503_504_and_resets() {
    let p = policy("gateway-error");
    assert!(status(&p, 502) && status(&p, 503) && status(&p, 504));
    assert!(!status(&p, 500) && !status(&p, 501));
    assert_eq!(retried_resets(&p).len(), 9);
}

#[test]
fn reset_retries_resets_but_no_response() {
    let p = policy("reset");
    assert!(!status(&p, 503));
    assert_eq!(retried_resets(&p), ALL_RESETS[1..].to_vec());
}

#[test]
fn connect_failure_retries_only_connections_never_established() {
    let p = policy("connect-failure");
    assert_eq!(
        retried_resets(&p),
        vec![
            UpstreamReset::LocalConnectionFailure,
            UpstreamReset::RemoteConnectionFailure,
            UpstreamReset::ConnectionTimeout,
        ]
    );
    assert!(!status(&p, 503));
}

#[test]
fn refused_stream_retries_only_a_remote_refused_stream() {
    let p = policy("refused-stream");
    assert_eq!(
        retried_resets(&p),
        vec![UpstreamReset::RemoteRefusedStreamReset]
    );
}

#[test]
fn reset_before_request_retries_only_before_any_byte_went_upstream() {
    let p = policy("reset-before-request");
    assert!(p.would_retry_reset(UpstreamReset::ConnectionTermination, false));
    assert!(!p.would_retry_reset(UpstreamReset::ConnectionTermination, true));
    assert!(!p.would_retry_reset(UpstreamReset::Overflow, false));
}

#[test]
fn retriable_4xx_means_409_only() {
    let p = policy("retriable-4xx");
    assert!(status(&p, 409));
    assert!(!status(&p, 400) && !status(&p, 404) && !status(&p, 429));
}

#[test]
fn retriable_status_codes_retry_the_listed_codes_only_with_the_token() {
    let mut p = policy("retriable-status-codes");
    p.retriable_status_codes = vec![503, 429];
    assert!(status(&p, 503) && status(&p, 429) && !status(&p, 500));
    let mut without = policy("connect-failure");
    without.retriable_status_codes = vec![503];
    assert!(!status(&without, 503), "codes alone do nothing");
}

#[test]
fn retriable_headers_retry_responses_carrying_a_matching_header() {
    let mut p = policy("retriable-headers");
    p.retriable_headers = vec![HeaderMatcher::value(
        "x-upstream-retry",
        ValueMatch::Exact("yes".into()),
    )];
    let none = Overloaded::Retriable;
    assert!(p.would_retry_headers(200, &with("x-upstream-retry", "yes"), none));
    assert!(!p.would_retry_headers(200, &with("x-upstream-retry", "no"), none));
    assert!(!p.would_retry_headers(500, &HeaderMap::new(), none));
}

#[test]
fn grpc_conditions_read_grpc_status_in_the_response_headers() {
    let p = policy("cancelled,unavailable");
    let ov = Overloaded::Retriable;
    assert!(p.would_retry_headers(200, &with("grpc-status", "14"), ov));
    assert!(p.would_retry_headers(200, &with("grpc-status", "1"), ov));
    assert!(!p.would_retry_headers(200, &with("grpc-status", "4"), ov));
    assert!(policy("deadline-exceeded").would_retry_headers(200, &with("grpc-status", "4"), ov));
}

#[test]
fn rate_limited_responses_are_retried_only_with_envoy_ratelimited() {
    let limited = with("x-envoy-ratelimited", "true");
    let ov = Overloaded::Retriable;
    assert!(!policy("5xx").would_retry_headers(503, &limited, ov));
    assert!(policy("envoy-ratelimited").would_retry_headers(429, &limited, ov));
}

#[test]
fn overloaded_responses_are_retried_by_current_envoy_only() {
    let p = policy("5xx");
    let overloaded = with("x-envoy-overloaded", "true");
    assert!(p.would_retry_headers(503, &overloaded, Overloaded::Retriable));
    assert!(!p.would_retry_headers(503, &overloaded, Overloaded::NeverRetried));
    assert!(p.would_retry_headers(503, &HeaderMap::new(), Overloaded::NeverRetried));
}
