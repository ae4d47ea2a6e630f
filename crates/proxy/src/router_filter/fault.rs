//! Step 2: the HTTP fault filter, which Envoy's filter chain runs ahead of the router with
//! the route's per-filter config (`source/extensions/filters/http/fault/fault_filter.cc`).
//! The decisions are [`crate::router::fault`]'s; this step holds the request for the delay
//! and answers the abort.

use meshtwin_model::event::Name;
use std::rc::Rc;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

use crate::active_stream::StreamInfo;
use crate::local_reply::{local_reply, ResponseFlag};
use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::router::fault::{FaultConfig, ABORT_BODY};

/// Apply the route's fault, if any: a delay (flag `DI`) first, then — drawn once the delay
/// has elapsed — an abort, whose local reply is returned (flag `FI`). `None`: the request
/// goes on to the router.
pub(super) async fn inject<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    fault: Option<&FaultConfig>,
    server: &str,
    info: &mut StreamInfo,
) -> Option<Response<Full<Bytes>>> {
    let fault = fault.filter(|f| f.admits(0))?;
    if let Some(d) = proxy.with_rng(|r| fault.sample_delay(r)) {
        info.flags.set(ResponseFlag::DI);
        proxy.platform.sleep(d).await;
    }
    let status = proxy.with_rng(|r| fault.sample_abort(r))?;
    info.flags.set(ResponseFlag::FI);
    // The twin logs no cluster for an aborted request (Envoy's `%UPSTREAM_CLUSTER%` would
    // name the route's).
    info.cluster = Name::default();
    Some(local_reply(status, ABORT_BODY, server))
}
