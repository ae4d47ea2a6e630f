//! Request headers merged into a request's retry policy and consumed (`source/common/router/retry_state_impl.cc` `RetryStateImpl`; Envoy's
//! `RetryStateImpl`).

use http::{HeaderMap, HeaderValue};

use crate::router::retry::headers::*;
use crate::router::retry::{Overloaded, RetryOn, RetryPolicy};

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        h.insert(*n, HeaderValue::from_static(v));
    }
    h
}

fn for_request(route: Option<&RetryPolicy>, pairs: &[(&'static str, &'static str)]) -> RetryPolicy {
    let mut h = headers(pairs);
    let p = RetryPolicy::for_request(route, &mut h);
    for name in [
        RETRY_ON,
        RETRY_GRPC_ON,
        MAX_RETRIES,
        RETRIABLE_STATUS_CODES,
        RETRIABLE_HEADER_NAMES,
    ] {
        assert!(!h.contains_key(name), "{name} must be consumed");
    }
    p
}

#[test]
fn without_a_route_policy_or_headers_nothing_is_retried() {
    let p = for_request(None, &[]);
    assert_eq!((p.retry_on, p.num_retries), (RetryOn::NONE, 0));
}

#[test]
fn retry_on_alone_buys_envoys_default_single_retry() {
    let p = for_request(None, &[(RETRY_ON, "5xx")]);
    assert_eq!((p.retry_on, p.num_retries), (RetryOn::FIVE_XX, 1));
    assert!(p.would_retry_headers(503, &HeaderMap::new(), Overloaded::Retriable));
}

#[test]
fn header_conditions_are_ored_into_the_routes_and_max_retries_overrides_the_count() {
    let route = RetryPolicy {
        num_retries: 2,
        ..RetryPolicy::new(RetryOn::CONNECT_FAILURE)
    };
    let p = for_request(
        Some(&route),
        &[(RETRY_ON, "gateway-error, bogus"), (MAX_RETRIES, "5")],
    );
    assert_eq!(
        p.retry_on,
        RetryOn::CONNECT_FAILURE | RetryOn::GATEWAY_ERROR
    );
    assert_eq!(p.num_retries, 5);
    let zero = for_request(Some(&route), &[(MAX_RETRIES, "0")]);
    assert_eq!(zero.num_retries, 0, "0 is a count like any other");
    let junk = for_request(Some(&route), &[(MAX_RETRIES, "many")]);
    assert_eq!(junk.num_retries, 2, "an unparsable count is ignored");
}

#[test]
fn max_retries_without_any_condition_changes_nothing() {
    let p = for_request(None, &[(MAX_RETRIES, "3")]);
    assert_eq!((p.retry_on, p.num_retries), (RetryOn::NONE, 0));
}

#[test]
fn each_header_takes_only_its_own_kind_of_condition() {
    let p = for_request(None, &[(RETRY_ON, "unavailable,reset")]);
    assert_eq!(
        p.retry_on,
        RetryOn::RESET,
        "gRPC tokens in x-envoy-retry-on are ignored"
    );
    let p = for_request(None, &[(RETRY_GRPC_ON, "unavailable,5xx")]);
    assert_eq!(p.retry_on, RetryOn::GRPC_UNAVAILABLE);
}

#[test]
fn retriable_status_codes_and_header_names_are_added() {
    let route = RetryPolicy {
        retriable_status_codes: vec![503],
        ..RetryPolicy::new(RetryOn::RETRIABLE_STATUS_CODES)
    };
    let p = for_request(
        Some(&route),
        &[
            (RETRY_ON, "retriable-headers"),
            (RETRIABLE_STATUS_CODES, "418, x,429"),
            (RETRIABLE_HEADER_NAMES, "x-try-again"),
        ],
    );
    assert_eq!(p.retriable_status_codes, vec![503, 418, 429]);
    let none = HeaderMap::new();
    assert!(p.would_retry_headers(418, &none, Overloaded::Retriable));
    assert!(!p.would_retry_headers(200, &none, Overloaded::Retriable));
    let marked = headers(&[("x-try-again", "1")]);
    assert!(p.would_retry_headers(200, &marked, Overloaded::Retriable));
}
