//! Route timeouts (`source/common/router/router.cc` `FilterUtility::finalTimeout`, Envoy headers (`source/common/router/router.cc` `Filter::onUpstreamHeaders`)), as Envoy's `FilterUtility::finalTimeout` and
//! `setTimeoutHeaders` compute them.
//!
//! - The **global** timeout is the route's (zero = disabled), replaced by a parsable
//!   `x-envoy-upstream-rq-timeout-ms` request header. It starts when the downstream request
//!   is complete and covers queueing, connecting, every attempt and every back-off.
//! - The **per-try** timeout is the retry policy's, replaced by a parsable
//!   `x-envoy-upstream-rq-per-try-timeout-ms`; it is dropped when it is not shorter than a
//!   non-zero global timeout. It starts once an attempt has a stream and the request is
//!   complete.
//! - Both request headers are consumed. Each attempt carries
//!   `x-envoy-expected-rq-timeout-ms` = min(per-try, global − elapsed) (global alone when
//!   there is no per-try), at least 1 once the global budget is spent; absent when neither
//!   timeout is set.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};

pub const UPSTREAM_RQ_TIMEOUT_MS: &str = "x-envoy-upstream-rq-timeout-ms";
pub const UPSTREAM_RQ_PER_TRY_TIMEOUT_MS: &str = "x-envoy-upstream-rq-per-try-timeout-ms";
pub const EXPECTED_RQ_TIMEOUT_MS: &str = "x-envoy-expected-rq-timeout-ms";

/// The timeouts of one request (Envoy's `TimeoutData`); `None` = no such timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub global: Option<Duration>,
    pub per_try: Option<Duration>,
}

fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// A header's value as whole milliseconds, removing the header either way.
fn take_ms(headers: &mut HeaderMap, name: &str) -> Option<Duration> {
    let v = super::remove_header(headers, name)?;
    v.to_str()
        .ok()?
        .parse::<u64>()
        .ok()
        .map(Duration::from_millis)
}

impl Timeouts {
    /// The route's timeouts, no request headers involved.
    pub fn from_route(route_timeout: Duration, per_try: Option<Duration>) -> Self {
        Self::finish(route_timeout, per_try.unwrap_or(Duration::ZERO))
    }

    /// The route's timeouts with the request's override headers applied (and removed).
    pub fn for_request(
        route_timeout: Duration,
        per_try: Option<Duration>,
        headers: &mut HeaderMap,
    ) -> Self {
        let global = take_ms(headers, UPSTREAM_RQ_TIMEOUT_MS).unwrap_or(route_timeout);
        let per_try = take_ms(headers, UPSTREAM_RQ_PER_TRY_TIMEOUT_MS)
            .or(per_try)
            .unwrap_or(Duration::ZERO);
        Self::finish(global, per_try)
    }

    fn finish(global: Duration, per_try: Duration) -> Self {
        let per_try = if !global.is_zero() && per_try >= global {
            Duration::ZERO
        } else {
            per_try
        };
        Self {
            global: nonzero(global),
            per_try: nonzero(per_try),
        }
    }

    /// `x-envoy-expected-rq-timeout-ms` for an attempt sent `elapsed` after the downstream
    /// request completed.
    pub fn expected_timeout_ms(&self, elapsed: Duration) -> Option<u64> {
        let global = self.global.map_or(0, |g| g.as_millis() as u64);
        let expected = match self.per_try {
            Some(p) => p.as_millis() as u64,
            None => global,
        };
        if expected == 0 {
            return None;
        }
        if global == 0 {
            return Some(expected);
        }
        let elapsed = elapsed.as_millis() as u64;
        Some(if elapsed >= global {
            1
        } else {
            expected.min(global - elapsed)
        })
    }

    /// Set (or leave out) `x-envoy-expected-rq-timeout-ms` on an attempt's request headers.
    pub fn set_expected_timeout_header(&self, headers: &mut HeaderMap, elapsed: Duration) {
        if let Some(ms) = self.expected_timeout_ms(elapsed) {
            headers.insert(EXPECTED_RQ_TIMEOUT_MS, HeaderValue::from(ms));
        }
    }
}
