//! Step 6: attempts until one is forwarded. After each attempt the request's
//! [`RetryState`] decides (`RetryStateImpl::shouldRetry`); this step charges the retry
//! counters, sets `URX` / `UO` when a retriable outcome is forwarded anyway, waits out the
//! back-off, and holds the cluster's `retries` resource for the retry in progress through a
//! [`RetryResource`] guard.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::attempt::{self, Tried};
use super::complete::Ended;
use super::Upstream;
use crate::active_stream::StreamInfo;
use crate::local_reply::ResponseFlag;
use crate::platform::Platform;
use crate::pool::engine::ClusterShared;
use crate::router::retry::{
    RetryCompat, RetryDecision, RetryPolicy, RetryState, RetryVerdict, UpstreamReset,
};
use crate::upstream::Attempt;

/// One unit of a cluster's `retries` circuit-breaker resource, held by a retry from the
/// moment it is scheduled until its own outcome is decided, and given back when dropped —
/// by that decision, or by whatever else ends the request first (the global timeout, the
/// downstream going away), as Envoy's `RetryStateImpl::resetRetry` does on every path.
struct RetryResource {
    shared: Rc<RefCell<ClusterShared>>,
}

impl RetryResource {
    fn take(shared: &Rc<RefCell<ClusterShared>>) -> Self {
        let mut sh = shared.borrow_mut();
        sh.rm.retries.inc();
        sh.sync_breaker_gauges();
        Self {
            shared: shared.clone(),
        }
    }
}

impl Drop for RetryResource {
    fn drop(&mut self) {
        let mut sh = self.shared.borrow_mut();
        sh.rm.retries.dec();
        sh.sync_breaker_gauges();
    }
}

/// Attempt the request under `policy` (each attempt's per-try timeout `per_try`) until an
/// attempt's outcome is not retried.
pub(super) async fn forward<P: Platform>(
    up: &Upstream<'_, P>,
    policy: &RetryPolicy,
    per_try: Option<Duration>,
    info: &mut StreamInfo,
) -> Ended {
    let mut state = RetryState::new(policy, RetryCompat::default());
    let mut held: Option<RetryResource> = None;
    loop {
        let Some(Tried { host, outcome }) = attempt::next(up, &mut state, per_try, info).await
        else {
            return Ended::NoHealthyUpstream;
        };
        // The retry that made this attempt is over: its resource goes back before the
        // breaker is asked for the next one (`shouldRetry` calls `resetRetry` first).
        drop(held.take());
        let allows = up.cluster.shared.borrow().rm.retries.can_create();
        let decision = decide(up, &mut state, &outcome, allows);
        charge(up, &decision, &outcome);
        match decision.verdict {
            RetryVerdict::Retry { back_off } => {
                held = Some(RetryResource::take(&up.cluster.shared));
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
    let mut sh = up.cluster.shared.borrow_mut();
    let stats = &mut sh.stats;
    if decision.retry_success {
        stats.cluster.upstream_rq_retry_success += 1;
    }
    match decision.verdict {
        RetryVerdict::Retry { .. } => {
            stats.cluster.upstream_rq_retry += 1;
            if let Attempt::Response(r) = outcome {
                stats.codes.charge_retried(r.status().as_u16());
            }
        }
        RetryVerdict::Overflow => stats.cluster.upstream_rq_retry_overflow += 1,
        RetryVerdict::LimitExceeded => stats.cluster.upstream_rq_retry_limit_exceeded += 1,
        RetryVerdict::NotRetriable => {}
    }
    sh.sync_breaker_gauges();
}
