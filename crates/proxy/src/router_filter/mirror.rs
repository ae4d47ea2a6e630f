//! Step 4: request mirroring (`Filter::maybeDoShadowing`). Which requests are mirrored is
//! [`crate::router::mirror`]'s decision; this step sends each shadow as a fire-and-forget copy
//! through the mirror cluster's own pools and breakers, and drops its answer.

use std::rc::Rc;

use bytes::Bytes;
use http::header::HOST;
use http::request::Parts;
use http::HeaderValue;

use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::router::config::RouteAction;
use crate::upstream::{attempt, Attempt};

/// Shadow the request (as it goes upstream, retry headers consumed) to every mirror policy
/// of `action` that takes this stream id and method.
pub(super) fn shadow<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    worker: u32,
    action: &RouteAction,
    stream_id: u64,
    authority: &str,
    parts: &Parts,
    body: &Bytes,
) {
    for m in &action.mirror_policies {
        if m.should_mirror(stream_id, parts.method.as_str()) {
            spawn_shadow(
                proxy,
                worker,
                &m.cluster,
                &m.shadow_authority(authority),
                parts,
                body,
            );
        }
    }
}

/// Fire-and-forget copy of the request to a mirror cluster; its answer is dropped.
fn spawn_shadow<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    worker: u32,
    cluster: &str,
    authority: &str,
    parts: &Parts,
    body: &Bytes,
) {
    let Some(cluster) = proxy.cluster(cluster) else {
        return;
    };
    let mut parts = parts.clone();
    if let Ok(v) = HeaderValue::from_str(authority) {
        parts.headers.insert(HOST, v);
    }
    let (p, body) = (proxy.clone(), body.clone());
    proxy.platform.clone().spawn(Box::pin(async move {
        if let Some(ep) = cluster.pick(worker) {
            if let Attempt::Response(r) =
                attempt(&p.platform, &cluster, worker, ep, &parts, &body, 1, None).await
            {
                cluster
                    .shared
                    .borrow_mut()
                    .stats
                    .codes
                    .charge(r.status().as_u16());
            }
        }
    }));
}
