//! Step 6: attempts until one is forwarded. After each attempt the request's
//! [`RetryState`] decides (`RetryStateImpl::shouldRetry`); this step charges the retry
//! counters, sets `URX` / `UO` when a retriable outcome is forwarded anyway, waits out the
//! back-off, and holds the cluster's `retries` resource for the retry in progress through a
//! [`RetrySlot`](crate::cluster::RetrySlot) guard, given back when dropped — by the retry's own
//! decision, or by whatever else ends the request first (the global timeout, the downstream
//! going away), as Envoy's `RetryStateImpl::resetRetry` does on every path.

use std::time::Duration;

use super::attempt::{self, Tried};
use super::complete::Ended;
use super::Upstream;
use crate::active_stream::StreamInfo;
use crate::lb::PreviousPriorities;
use crate::local_reply::ResponseFlag;
use crate::platform::Platform;
use crate::router::retry::{
    RetryCompat, RetryDecision, RetryPolicy, RetryState, RetryVerdict, UpstreamReset,
};
use crate::upstream::Attempt;

/// Attempt the request under `policy` (each attempt's per-try timeout `per_try`) until an
/// attempt's outcome is not retried.
pub(super) async fn forward<P: Platform>(
    up: &Upstream<'_, P>,
    policy: &RetryPolicy,
    per_try: Option<Duration>,
    info: &mut StreamInfo,
) -> Ended {
    let mut state = RetryState::new(policy, RetryCompat::default());
    let mut held = None;
    // `retryRemoteLocalities`: the retry priority that moves retries to other priorities.
    let mut retry_priority = policy.previous_priorities.map(PreviousPriorities::new);
    loop {
        let Some(Tried { host, outcome }) = Box::pin(attempt::next(
            up,
            &mut state,
            per_try,
            retry_priority.as_mut(),
            info,
        ))
        .await
        else {
            return Ended::NoHealthyUpstream;
        };
        // The retry that made this attempt is over: its resource goes back before the
        // breaker is asked for the next one (`shouldRetry` calls `resetRetry` first).
        drop(held.take());
        let allows = up.cluster.info.retries_available();
        let decision = decide(up, &mut state, &outcome, allows);
        charge(up, &decision, &outcome);
        match decision.verdict {
            RetryVerdict::Retry { back_off } => {
                // The decision saw room in the `max_retries` breaker (`allows`).
                held = up.cluster.info.try_take_retry();
                up.proxy.platform.sleep(back_off).await;
                continue;
            }
            RetryVerdict::LimitExceeded => info.flags.set(ResponseFlag::URX),
            RetryVerdict::Overflow => info.flags.set(ResponseFlag::UO),
            RetryVerdict::NotRetriable => {}
        }
        let retried = state.attempt() > 1;
        return match outcome {
            Attempt::Response(response) => Ended::Response { response, host },
            Attempt::Reset(reason) => Ended::Reset {
                reason,
                host,
                retried,
            },
            Attempt::PerTryTimeout => Ended::PerTryTimeout { host },
        };
    }
}

/// The retry state's decision on an attempt's outcome; `allows`: the cluster's retries
/// breaker has room. A per-try timeout is a local reset after the request started.
fn decide<P: Platform>(
    up: &Upstream<'_, P>,
    state: &mut RetryState,
    outcome: &Attempt,
    allows: bool,
) -> RetryDecision {
    up.proxy.with_rng(|r| match outcome {
        Attempt::Response(resp) => {
            state.on_response(resp.status().as_u16(), resp.headers(), allows, r)
        }
        Attempt::Reset(reason) => {
            let started = *reason == UpstreamReset::ConnectionTermination;
            state.on_reset(*reason, started, allows, r)
        }
        Attempt::PerTryTimeout => state.on_reset(UpstreamReset::LocalReset, true, allows, r),
    })
}

/// The retry counters of a decision. A response that is retried is charged under `retry.`
/// (`Filter::onUpstreamHeaders`); the request's own status is charged when it completes.
fn charge<P: Platform>(up: &Upstream<'_, P>, decision: &RetryDecision, outcome: &Attempt) {
    let info = &up.cluster.info;
    if decision.retry_success {
        info.count_retry_success();
    }
    match decision.verdict {
        // `upstream_rq_retry` is counted as the retry takes its slot (`try_take_retry`).
        RetryVerdict::Retry { .. } => {
            if let Attempt::Response(r) = outcome {
                info.charge_retried(r.status().as_u16());
            }
        }
        RetryVerdict::Overflow => info.count_retry_overflow(),
        RetryVerdict::LimitExceeded => info.count_retry_limit_exceeded(),
        RetryVerdict::NotRetriable => {}
    }
}
