//! [`RetryState`]: one request's retries, decided as Envoy's `RetryStateImpl::shouldRetry`
//! does after each attempt's response headers or reset (`source/common/router/retry_state_impl.cc` `RetryStateImpl`):
//!
//! 1. a retry scheduled earlier is over now (its caller gives back the `retries` breaker
//!    resource it held); if this attempt is not retriable that earlier retry counts as a
//!    success (`upstream_rq_retry_success`);
//! 2. not retriable ⇒ forward the response;
//! 3. no retries left ⇒ forward it, `URX` (`upstream_rq_retry_limit_exceeded`);
//! 4. one retry is used up; if the cluster's retries breaker is full ⇒ forward it, `UO`
//!    (`upstream_rq_retry_overflow`) — the caller says whether the breaker allows, and this
//!    is only consulted here;
//! 5. else retry after a jittered back-off: the caller takes a `retries` resource and
//!    charges `upstream_rq_retry` and `upstream_rq_retry_backoff_exponential`.
//!
//! Each retry picks a host anew; with the `previous_hosts` predicate hosts already tried are
//! refused, up to `host_selection_retry_max_attempts` re-picks, after which the last pick is
//! used (`source/common/router/retry_state_impl.cc` `RetryStateImpl::shouldSelectAnotherHost`).

use std::borrow::Borrow;
use std::net::SocketAddr;
use std::time::Duration;

use http::HeaderMap;

use super::backoff::{BackOff, BackOffAlgorithm};
use super::conditions::{Overloaded, UpstreamReset};
use super::RetryPolicy;

/// Envoy version switches for retries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryCompat {
    /// V6: whether `x-envoy-overloaded` responses may be retried.
    pub overloaded: Overloaded,
    pub back_off: BackOffAlgorithm,
}

/// What to do with an attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryVerdict {
    /// Not retriable: forward it.
    NotRetriable,
    /// Retriable, but no retries left: forward it with flag `URX`.
    LimitExceeded,
    /// Retriable, but the retries breaker is full: forward it with flag `UO`.
    Overflow,
    /// Retry once `back_off` has elapsed.
    Retry { back_off: Duration },
}

/// A verdict plus the bookkeeping the caller must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryDecision {
    pub verdict: RetryVerdict,
    /// Charge `upstream_rq_retry_success`.
    pub retry_success: bool,
}

/// One request's retry state.
#[derive(Debug, Clone)]
pub struct RetryState {
    policy: RetryPolicy,
    compat: RetryCompat,
    retries_remaining: u32,
    back_off: BackOff,
    /// A retry was scheduled and its outcome is not decided yet.
    retry_armed: bool,
    attempts: u32,
    attempted_hosts: Vec<SocketAddr>,
}

impl RetryState {
    pub fn new(policy: &RetryPolicy, compat: RetryCompat) -> Self {
        Self {
            retries_remaining: policy.num_retries,
            back_off: BackOff::new(policy.back_off, compat.back_off),
            policy: policy.clone(),
            compat,
            retry_armed: false,
            attempts: 1,
            attempted_hosts: Vec::new(),
        }
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub fn retries_remaining(&self) -> u32 {
        self.retries_remaining
    }

    /// The current attempt, 1-based (`x-envoy-attempt-count`).
    pub fn attempt(&self) -> u32 {
        self.attempts
    }

    /// Whether a retry was scheduled whose outcome is not decided yet (the caller holds a
    /// `retries` resource for it).
    pub fn retry_in_progress(&self) -> bool {
        self.retry_armed
    }

    /// After an attempt's response headers.
    pub fn on_response(
        &mut self,
        status: u16,
        headers: &HeaderMap,
        breaker_allows: bool,
        rng: &mut impl rand::RngCore,
    ) -> RetryDecision {
        let retriable = self
            .policy
            .would_retry_headers(status, headers, self.compat.overloaded);
        self.decide(retriable, breaker_allows, rng)
    }

    /// After an attempt ended without response headers (a per-try timeout is a
    /// [`UpstreamReset::LocalReset`]).
    pub fn on_reset(
        &mut self,
        reset: UpstreamReset,
        request_started: bool,
        breaker_allows: bool,
        rng: &mut impl rand::RngCore,
    ) -> RetryDecision {
        let retriable = self.policy.would_retry_reset(reset, request_started);
        self.decide(retriable, breaker_allows, rng)
    }

    fn decide(
        &mut self,
        retriable: bool,
        allows: bool,
        rng: &mut impl rand::RngCore,
    ) -> RetryDecision {
        let retried = std::mem::take(&mut self.retry_armed);
        let mut d = RetryDecision {
            verdict: RetryVerdict::NotRetriable,
            retry_success: retried && !retriable,
        };
        if !retriable {
            return d;
        }
        if self.retries_remaining == 0 {
            d.verdict = RetryVerdict::LimitExceeded;
            return d;
        }
        self.retries_remaining -= 1;
        if !allows {
            d.verdict = RetryVerdict::Overflow;
            return d;
        }
        self.retry_armed = true;
        self.attempts += 1;
        d.verdict = RetryVerdict::Retry {
            back_off: self.back_off.next(rng),
        };
        d
    }

    /// Record the host (its address: every endpoint is its own host) an attempt went to.
    pub fn on_host_attempted(&mut self, host: SocketAddr) {
        self.attempted_hosts.push(host);
    }

    /// The `previous_hosts` predicate: refuse a host already tried.
    pub fn should_select_another_host(&self, host: SocketAddr) -> bool {
        self.policy.previous_hosts && self.attempted_hosts.contains(&host)
    }

    /// Pick a host with the load balancer's `pick`, re-picking while the predicate refuses
    /// it: `hostSelectionRetryCount() + 1` picks at most (the count is 1 for a first
    /// attempt, `host_selection_retry_max_attempts` for a retry); the last pick is used.
    pub fn choose_host<H: Borrow<SocketAddr>>(
        &self,
        is_retry: bool,
        mut pick: impl FnMut() -> Option<H>,
    ) -> Option<H> {
        let count = if is_retry {
            self.policy.host_selection_retry_max_attempts
        } else {
            1
        };
        let mut host = None;
        for _ in 0..=count {
            let h = pick()?;
            if !self.should_select_another_host(*h.borrow()) {
                return Some(h);
            }
            host = Some(h);
        }
        host
    }
}
