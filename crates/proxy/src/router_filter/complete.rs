//! Step 8: how a forwarded request ended upstream, and the one place it is charged to the
//! cluster — `upstream_rq_completed` and the status code's `upstream_rq_<code>` /
//! `upstream_rq_<N>xx`, together, once per request, as Envoy's `Filter::chargeUpstreamCode`
//! does through `CodeStatsImpl::chargeResponseStat`; local replies charge the code they
//! answer with (`chargeUpstreamAbort`). The downstream response is made here too.

use bytes::Bytes;
use http::header::SERVER;
use http::{HeaderValue, Response};
use http_body_util::Full;
use meshtwin_model::event::Name;

use super::strip_hop_by_hop;
use crate::active_stream::StreamInfo;
use crate::cluster::Cluster;
use crate::local_reply::{local_reply, reset_before_headers, ResetFlag, ResponseFlag};
use crate::platform::Platform;
use crate::router::retry::UpstreamReset;

/// How a request that reached the router's upstream side ended.
pub(super) enum Ended {
    /// An upstream response to forward downstream.
    Response {
        response: Response<Bytes>,
        host: Name,
    },
    /// The last attempt ended without response headers.
    Reset {
        reason: UpstreamReset,
        host: Name,
        /// Whether it was a retry (the reply says "retried and the latest").
        retried: bool,
    },
    /// The last attempt's per-try timeout fired.
    PerTryTimeout { host: Name },
    /// The route's global timeout fired (`upstream_rq_timeout`).
    GlobalTimeout,
    /// The load balancer had no host to try (`upstream_cx_none_healthy`).
    NoHealthyUpstream,
}

impl Ended {
    /// The status the request is charged and answered with.
    fn status(&self) -> u16 {
        match self {
            Ended::Response { response, .. } => response.status().as_u16(),
            Ended::Reset {
                reason: UpstreamReset::ProtocolError,
                ..
            } => 502,
            Ended::Reset { .. } | Ended::NoHealthyUpstream => 503,
            Ended::PerTryTimeout { .. } | Ended::GlobalTimeout => 504,
        }
    }
}

/// Charge the request's end to `cluster` and make its downstream response; `info` gets the
/// upstream host the access log names and the flag of a local reply. The `bool` says the
/// response came from upstream.
pub(super) fn finish<P: Platform>(
    cluster: &Cluster<P>,
    ended: Ended,
    server: &str,
    info: &mut StreamInfo,
) -> (Response<Full<Bytes>>, bool) {
    let status = ended.status();
    match ended {
        Ended::GlobalTimeout => cluster.info.count_request_timeout(),
        Ended::NoHealthyUpstream => cluster.info.count_no_healthy_upstream(),
        _ => {}
    }
    cluster.info.charge_completed(status);
    match ended {
        Ended::Response { response, host } => {
            info.upstream_host = Some(host);
            (forwarded(response, server), true)
        }
        Ended::Reset {
            reason,
            host,
            retried,
        } => {
            info.flags.set(ResponseFlag::for_reset(reason));
            // An overflow never reached a host: Envoy logs no upstream host for it.
            info.upstream_host = (reason != UpstreamReset::Overflow).then_some(host);
            (reset_before_headers(reason, retried, server), false)
        }
        Ended::PerTryTimeout { host } => {
            info.flags.set(ResponseFlag::UT);
            info.upstream_host = Some(host);
            (local_reply(504, "upstream request timeout", server), false)
        }
        Ended::GlobalTimeout => {
            info.flags.set(ResponseFlag::UT);
            info.upstream_host = None;
            (local_reply(504, "upstream request timeout", server), false)
        }
        Ended::NoHealthyUpstream => {
            info.flags.set(ResponseFlag::UH);
            info.upstream_host = None;
            (local_reply(503, "no healthy upstream", server), false)
        }
    }
}

/// An upstream response as it goes downstream: no hop-by-hop headers, this proxy's
/// `server`, HTTP/1.1.
fn forwarded(response: Response<Bytes>, server: &str) -> Response<Full<Bytes>> {
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if let Ok(v) = HeaderValue::from_str(server) {
        parts.headers.insert(SERVER, v);
    }
    parts.version = http::Version::HTTP_11;
    Response::from_parts(parts, Full::new(body))
}
