//! The per-request retry state: attempt counting, the retries breaker, success and
//! resource release, the previous-hosts predicate (`source/common/router/retry_state_impl.cc` `RetryStateImpl::shouldSelectAnotherHost`, `source/common/router/retry_state_impl.cc` `RetryStateImpl`, istiod `pilot/pkg/networking/core/route/retry/retry.go`).

use std::time::Duration;

use http::HeaderMap;
use meshtwin_model::traffic::http as model;

use super::Fixed;
use crate::router::retry::*;

fn policy(tokens: &str) -> RetryPolicy {
    RetryPolicy::new(RetryOn::parse(tokens).0)
}

fn status(p: &RetryPolicy, code: u16) -> bool {
    p.would_retry_headers(code, &HeaderMap::new(), Overloaded::Retriable)
}

fn state(num_retries: u32) -> RetryState {
    let mut p = policy("5xx");
    p.num_retries = num_retries;
    RetryState::new(&p, RetryCompat::default())
}

#[test]
fn each_retry_uses_one_of_the_allowed_retries_then_the_limit_is_exceeded() {
    let mut s = state(2);
    let mut rng = Fixed::new(&[7]);
    let h = HeaderMap::new();
    assert_eq!(s.attempt(), 1);
    let d = s.on_response(503, &h, true, &mut rng);
    assert_eq!(
        d.verdict,
        RetryVerdict::Retry {
            back_off: Duration::from_millis(7)
        }
    );
    assert_eq!((s.attempt(), s.retries_remaining()), (2, 1));
    let d = s.on_reset(UpstreamReset::ConnectionTermination, true, true, &mut rng);
    assert!(matches!(d.verdict, RetryVerdict::Retry { .. }));
    assert_eq!((s.attempt(), s.retries_remaining()), (3, 0));
    let d = s.on_response(503, &h, true, &mut rng);
    assert_eq!(d.verdict, RetryVerdict::LimitExceeded);
    assert!(!d.retry_success && !s.retry_in_progress());
    assert_eq!(s.attempt(), 3, "no fourth attempt");
}

#[test]
fn a_full_retry_breaker_overflows_and_still_uses_up_a_retry() {
    let mut s = state(2);
    let mut rng = Fixed::new(&[0]);
    let d = s.on_response(503, &HeaderMap::new(), false, &mut rng);
    assert_eq!(d.verdict, RetryVerdict::Overflow);
    assert_eq!(s.retries_remaining(), 1);
    assert!(!s.retry_in_progress());
    assert_eq!(rng.draws, 0, "no back-off drawn");
}

#[test]
fn the_breaker_is_not_consulted_when_the_outcome_is_not_retriable() {
    let mut s = state(2);
    let d = s.on_response(200, &HeaderMap::new(), false, &mut Fixed::new(&[0]));
    assert_eq!(d.verdict, RetryVerdict::NotRetriable);
    let d = s.on_reset(UpstreamReset::Overflow, true, true, &mut Fixed::new(&[0]));
    assert_eq!(
        d.verdict,
        RetryVerdict::NotRetriable,
        "overflow is never retried"
    );
    assert_eq!(s.retries_remaining(), 2);
}

#[test]
fn a_retry_is_in_progress_until_the_next_outcome_which_may_be_a_success() {
    let mut s = state(1);
    let mut rng = Fixed::new(&[0]);
    let first = s.on_response(503, &HeaderMap::new(), true, &mut rng);
    assert!(!first.retry_success && s.retry_in_progress());
    let second = s.on_response(200, &HeaderMap::new(), true, &mut rng);
    assert_eq!(second.verdict, RetryVerdict::NotRetriable);
    assert!(second.retry_success && !s.retry_in_progress());
}

#[test]
fn the_previous_hosts_predicate_re_picks_up_to_the_max_then_keeps_the_last_pick() {
    let mut p = policy("connect-failure");
    p.previous_hosts = true;
    p.host_selection_retry_max_attempts = 2;
    let mut s = RetryState::new(&p, RetryCompat::default());
    let host = |n: u8| std::net::SocketAddr::from(([10, 0, 0, n], 80));
    let (a, b, c) = (host(1), host(2), host(3));
    s.on_host_attempted(a);
    let mut picks = [a, b, c].into_iter();
    assert_eq!(s.choose_host(true, || picks.next()), Some(b));
    s.on_host_attempted(b);
    let mut calls = 0;
    let stuck = s.choose_host(true, || {
        calls += 1;
        Some(if calls % 2 == 0 { a } else { b })
    });
    assert_eq!(
        (stuck, calls),
        (Some(b), 3),
        "max 2 re-picks, the last one is used"
    );
    let mut first_calls = 0;
    let first = s.choose_host(false, || {
        first_calls += 1;
        Some(a)
    });
    assert_eq!(
        (first, first_calls),
        (Some(a), 2),
        "a first attempt re-picks once"
    );
    p.previous_hosts = false;
    let plain = RetryState::new(&p, RetryCompat::default());
    assert!(!plain.should_select_another_host(a));
}

#[test]
fn istios_lowered_default_policy_becomes_envoys() {
    let lowered = model::RetryPolicy {
        num_retries: 2,
        retry_on: [
            "connect-failure",
            "refused-stream",
            "unavailable",
            "cancelled",
            "retriable-status-codes",
        ]
        .map(String::from)
        .to_vec(),
        retriable_status_codes: vec![503],
        per_try_timeout: None,
        previous_hosts: true,
        host_selection_retry_max_attempts: 5,
        retry_remote_localities: false,
        base_interval: None,
    };
    let p = RetryPolicy::from(&lowered);
    assert_eq!((p.num_retries, p.host_selection_retry_max_attempts), (2, 5));
    assert!(p.previous_hosts && status(&p, 503) && !status(&p, 500));
    assert!(p.would_retry_reset(UpstreamReset::RemoteConnectionFailure, true));
    assert!(!p.would_retry_reset(UpstreamReset::ConnectionTermination, true));
    assert_eq!(p.back_off, BackOffConfig::new(None, None));
}
