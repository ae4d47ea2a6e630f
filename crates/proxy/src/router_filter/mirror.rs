//! Step 4: request mirroring (`Filter::maybeDoShadowing`). Which requests are mirrored is
//! [`crate::router::mirror`]'s decision. Each shadow is a fire-and-forget copy that Envoy
//! sends through an async client running the router filter itself: here it goes through the
//! same steps as the request — the route's global timeout, one attempt on the mirror
//! cluster's own pools and breakers (no retry policy), what outlier detection hears, and the
//! completion that charges the mirror cluster — and its answer is dropped.

use std::time::Duration;

use http::header::HOST;
use http::HeaderValue;

use super::{complete, retry, timeout, Upstream};
use crate::active_stream::StreamInfo;
use crate::platform::Platform;
use crate::router::config::RouteAction;
use crate::router::retry::{RetryOn, RetryPolicy};

/// Shadow the request of `up` (as it goes upstream, retry and timeout headers consumed) to
/// every mirror policy of `action` that takes this stream id and method; `global` is the
/// route's global timeout.
pub(super) fn shadow<P: Platform>(
    up: &Upstream<'_, P>,
    action: &RouteAction,
    stream_id: u64,
    authority: &str,
    global: Option<Duration>,
) {
    for m in &action.mirror_policies {
        // A body streamed past the buffer limit is not shadowed (`retry_or_shadow_abandoned`).
        if up.body.replayable() && m.should_mirror(stream_id, up.parts.method.as_str()) {
            spawn_shadow(up, &m.cluster, &m.shadow_authority(authority), global);
        }
    }
}

/// Fire-and-forget copy of the request to the cluster `cluster`; its answer is dropped.
fn spawn_shadow<P: Platform>(
    up: &Upstream<'_, P>,
    cluster: &str,
    authority: &str,
    global: Option<Duration>,
) {
    let Some(cluster) = up.proxy.cluster(cluster) else {
        return;
    };
    let mut parts = up.parts.clone();
    if let Ok(v) = HeaderValue::from_str(authority) {
        parts.headers.insert(HOST, v);
    }
    let (proxy, body, worker) = (up.proxy.clone(), up.body.clone(), up.worker);
    up.proxy.platform.clone().spawn(Box::pin(async move {
        let shadow = Upstream {
            proxy: &proxy,
            cluster: &cluster,
            worker,
            parts: &parts,
            body: &body,
        };
        // A shadow writes no access-log entry of its own.
        let mut info = StreamInfo::default();
        let no_retries = RetryPolicy::new(RetryOn::NONE);
        let attempts = retry::forward(&shadow, &no_retries, None, &mut info);
        let ended = timeout::ended(timeout::within(&proxy.platform, global, attempts).await);
        complete::finish(&cluster, ended, "", &mut info);
    }));
}
