//! Step 7: one attempt of a request — a host from the load balancer (re-picked while the
//! retry host predicate refuses it), the upstream request on that host's pool under the
//! per-try timeout ([`crate::upstream::attempt`]), and what outlier detection hears of it
//! (`Filter::onUpstreamHeaders` / `onUpstreamReset` / `onPerTryTimeout`).

use meshtwin_model::event::Name;
use std::borrow::Borrow;
use std::net::SocketAddr;

use crate::active_stream::StreamInfo;
use crate::lb::PreviousPriorities;
use crate::outlier::{LocalOrigin, Outcome as OutlierOutcome};
use crate::platform::Platform;
use crate::router::retry::{RetryState, UpstreamReset};
use crate::upstream::{attempt, Attempt};

use super::Upstream;

/// An attempt that reached a host: which one, and how it ended.
pub(super) struct Tried {
    pub host: Name,
    pub outcome: Attempt,
}

/// Make the next attempt `state` calls for; `None`: no healthy host to try.
pub(super) async fn next<P: Platform>(
    up: &Upstream<'_, P>,
    state: &mut RetryState,
    per_try: Option<std::time::Duration>,
    retry_priority: Option<&mut PreviousPriorities>,
    info: &mut StreamInfo,
) -> Option<Tried> {
    let cluster = up.cluster;
    let is_retry = state.attempt() > 1;
    let mut retry_priority = retry_priority;
    let PickedHost { ep, key } = state.choose_host(is_retry, || {
        // Envoy changes the priority load on retries only (`determinePriorityLoad`).
        let rp = retry_priority.as_deref_mut().filter(|_| is_retry);
        cluster.pick_with(up.worker, rp).map(|i| PickedHost {
            ep: i,
            key: cluster.with_endpoint(i, |e| e.address),
        })
    })?;
    let (host, priority) = cluster.with_endpoint(ep, |e| (e.hostname.clone(), e.priority));
    state.on_host_attempted(key);
    if let Some(rp) = retry_priority {
        rp.on_host_attempted(priority);
    }
    info.upstream_host = Some(host.clone());
    let outcome = Box::pin(attempt(
        &up.proxy.platform,
        cluster,
        up.worker,
        ep,
        up.parts,
        up.body,
        state.attempt(),
        per_try,
    ))
    .await;
    // A client whose streamed body broke mid-upload ended the attempt, not the host: outlier
    // detection hears nothing of it (and a streamed body is never retried).
    if let Some(o) = outlier_outcome(&outcome).filter(|_| !up.body.downstream_failed()) {
        cluster.report_outcome(ep, o);
    }
    if let Attempt::PerTryTimeout = outcome {
        cluster.info.count_per_try_timeout();
    }
    Some(Tried { host, outcome })
}

/// What outlier detection hears of an attempt: upstream statuses and local-origin failures —
/// never a local overflow (`Filter::onUpstreamReset` skips `Overflow`).
fn outlier_outcome(outcome: &Attempt) -> Option<OutlierOutcome> {
    match outcome {
        Attempt::Response(r) => Some(OutlierOutcome::Http(r.status().as_u16())),
        Attempt::Reset(UpstreamReset::Overflow) => None,
        Attempt::Reset(
            UpstreamReset::LocalConnectionFailure
            | UpstreamReset::RemoteConnectionFailure
            | UpstreamReset::ConnectionTimeout,
        ) => Some(OutlierOutcome::Local(LocalOrigin::ConnectFailed)),
        Attempt::Reset(_) => Some(OutlierOutcome::Local(LocalOrigin::Reset)),
        Attempt::PerTryTimeout => Some(OutlierOutcome::Local(LocalOrigin::Timeout)),
    }
}

/// A host the load balancer picked: its index in the cluster and the key the
/// `previous_hosts` retry predicate compares (its address: every endpoint is its own host).
struct PickedHost {
    ep: usize,
    key: SocketAddr,
}

impl Borrow<SocketAddr> for PickedHost {
    fn borrow(&self) -> &SocketAddr {
        &self.key
    }
}
