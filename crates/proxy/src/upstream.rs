//! One upstream attempt: a stream from the chosen host's pool, the request, the response —
//! or how it failed (`source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase::newStreamImpl`, `source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase`). The per-try timeout starts once the pool has
//! handed the request a stream (it never covers pending or connect time).

use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderName;
use http::request::Parts;
use http::{HeaderValue, Request, Response};

use crate::body::RequestBody;
use crate::cluster::Cluster;
use crate::platform::{timeout_opt, Platform};
use crate::pool::driver::StreamError;
use crate::pool::engine::PoolFailure;
use crate::router::retry::UpstreamReset;

const X_ENVOY_ATTEMPT_COUNT: HeaderName = HeaderName::from_static("x-envoy-attempt-count");

/// How one attempt ended.
pub enum Attempt {
    Response(Response<Bytes>),
    /// Ended without response headers.
    Reset(UpstreamReset),
    /// The per-try timeout fired while waiting for the response.
    PerTryTimeout,
}

impl Attempt {
    /// A pool failure as the router sees it.
    pub fn from_pool(f: PoolFailure) -> Self {
        Attempt::Reset(match f {
            PoolFailure::Overflow => UpstreamReset::Overflow,
            PoolFailure::RemoteConnectionFailure => UpstreamReset::RemoteConnectionFailure,
            PoolFailure::LocalConnectionFailure => UpstreamReset::LocalConnectionFailure,
            PoolFailure::Timeout => UpstreamReset::ConnectionTimeout,
        })
    }
}

/// Send `parts`/`body` to endpoint `ep` of `cluster` on `worker`. `attempt` (1-based) goes
/// into `x-envoy-attempt-count`, as Istio configures Envoy to do.
#[allow(clippy::too_many_arguments)]
pub async fn attempt<P: Platform>(
    platform: &P,
    cluster: &Rc<Cluster<P>>,
    worker: u32,
    ep: usize,
    parts: &Parts,
    body: &RequestBody,
    attempt: u32,
    per_try: Option<Duration>,
) -> Attempt {
    let pool = cluster.pool(worker, ep);
    let stream = match pool.acquire().await {
        Ok(s) => s,
        Err(f) => return Attempt::from_pool(f),
    };
    // Only a streamed body already sent by an earlier attempt has none left; the router
    // makes no second attempt with such a body (see `crate::body`).
    let Some(body) = body.for_attempt() else {
        return Attempt::Reset(UpstreamReset::LocalReset);
    };
    let mut req = Request::from_parts(parts.clone(), body);
    req.headers_mut()
        .insert(X_ENVOY_ATTEMPT_COUNT, HeaderValue::from(attempt));
    let Some(result) = timeout_opt(platform, per_try, Box::pin(stream.send(req))).await else {
        return Attempt::PerTryTimeout;
    };
    match result {
        Ok(resp) => Attempt::Response(resp),
        Err(StreamError::ConnectionTermination) => {
            Attempt::Reset(UpstreamReset::ConnectionTermination)
        }
    }
}
