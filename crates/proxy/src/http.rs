//! The HTTP connection manager (downstream side): stats, `x-request-id`, the request body,
//! Envoy's own processing time, then the router filter; the request's access-log entry is
//! written by its [`ActiveStream`].
//!
//! A request's future is a chain (this module → `router_filter` → its retries and attempts →
//! `upstream` → the pool's stream), and a future holds the whole future it awaits: unboxed,
//! the outermost one was 5.3 KB, and every step copied its callee's state in and out of
//! the connection's task — memory that is cold by the connection's next request in a big
//! mesh. Each step is therefore boxed where it is awaited (`Box::pin`): a future holds only
//! its own state, and a request's steps live in freshly allocated, cache-warm memory.

use std::future::Future;
use std::rc::Rc;

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::active_stream::{ActiveStream, StreamInfo};
use crate::body::{read_up_to, BodyFailure, FailureCell, ReadBody, RequestBody};
use crate::conn_watch::ActiveRequest;
use crate::downstream::DownstreamLimits;
use crate::local_reply::{local_reply, ResponseFlag};
use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::router_filter::route_request;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The connection manager gave up on a downstream request without answering it (the client
/// went away, or a timeout closed its connection): hyper closes the connection.
#[derive(Debug)]
pub struct DownstreamReset;

impl std::fmt::Display for DownstreamReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("downstream reset")
    }
}

impl std::error::Error for DownstreamReset {}

/// Serve one downstream request on `worker` of listener `index`; `active` marks it active on
/// its connection until it ends.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would hold its request argument twice"
)]
pub(crate) fn handle_request<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    req: Request<Incoming>,
    active: ActiveRequest,
) -> impl Future<Output = Result<Response<Full<Bytes>>, DownstreamReset>> {
    // Taken apart before the future is made: it holds the parts, not the request too.
    let (mut parts, body) = req.into_parts();
    async move {
        let received = proxy.platform.now();
        let lcfg = proxy.listener(index);
        let limits = proxy.downstream_limits();
        proxy.worker_active(worker);
        let request_id = match parts
            .headers
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
        {
            Some(id) => id.to_string(),
            None => {
                let id = proxy.new_request_id();
                if let Ok(v) = HeaderValue::from_str(&id) {
                    parts.headers.insert(X_REQUEST_ID, v);
                }
                id
            }
        };
        let mut stream = ActiveStream::new(
            proxy.clone(),
            proxy.listener_name(index),
            proxy.hcm_stats(&lcfg.stat_prefix),
            request_id,
            received,
        );
        // Envoy's checks of the request head (real clients only), then the body and the router.
        // A downstream that goes away drops `stream` unanswered: it is logged `DC`.
        let rejected = limits.envoy_request_checks.then(|| {
            envoy_request_check(
                &parts,
                &active,
                &limits,
                &lcfg.server_name,
                &mut stream.info,
            )
        });
        let response = match rejected.flatten() {
            Some(response) => response,
            None => {
                Box::pin(forward(
                    &proxy,
                    index,
                    worker,
                    parts,
                    body,
                    &mut stream.info,
                ))
                .await?
            }
        };
        proxy.worker_active(worker);
        stream.answered(response.status().as_u16());
        Ok(response)
    }
}

/// Read the body (whole, or up to the buffer limit) and route the request. Without a buffer
/// limit (the twin) the request is complete once its body is read: the route timeout and
/// `x-envoy-upstream-service-time` start here. With one, a body over the limit is streamed
/// (see `crate::body`). A body that fails is answered 400 if malformed, dropped (`DC`) if the
/// client went away.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would hold its request argument twice"
)]
fn forward<'a, P: Platform>(
    proxy: &'a Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    parts: http::request::Parts,
    body: Incoming,
    info: &'a mut StreamInfo,
) -> impl Future<Output = Result<Response<Full<Bytes>>, DownstreamReset>> + 'a {
    async move {
        let lcfg = proxy.listener(index);
        let server = lcfg.server_name.as_str();
        let failure = FailureCell::default();
        let limit = proxy.downstream_limits().buffer_limit_bytes;
        let body = match read_up_to(body, limit).await {
            Ok(ReadBody::Whole(b)) => Some(RequestBody::whole(b)),
            Ok(ReadBody::Partial(read, rest)) => {
                Some(RequestBody::streaming(read, rest, failure.clone()))
            }
            Err(f) => {
                failure.set(Some(f));
                None
            }
        };
        let outcome = match body {
            Some(body) => {
                if !proxy.cfg.processing_delay.is_zero() {
                    proxy.platform.sleep(proxy.cfg.processing_delay).await;
                }
                Box::pin(route_request(proxy, index, worker, parts, body, info)).await
            }
            None => protocol_error(400, server, info),
        };
        match failure.get() {
            None => Ok(outcome),
            Some(BodyFailure::Malformed) => Ok(protocol_error(400, server, info)),
            Some(BodyFailure::Disconnected) => Err(DownstreamReset),
        }
    }
}

/// Envoy's checks of a request head, before any filter (all in
/// `source/common/http/http1/codec_impl.cc` but the last): a header block (URL included) over
/// `max_request_headers_kb` is refused with 431 (`ConnectionImpl::checkMaxHeadersSize`; the
/// codec's read buffer also stops a head that never ends); HTTP/1.0 with 426 while
/// `accept_http_10` is off, its default (`http1.low_version`); Content-Length with
/// Transfer-Encoding with 400 unless `allow_chunked_length` (`ConnectionImpl::
/// onHeadersCompleteImpl`, `http1.content_length_and_chunked_not_allowed`); a request without
/// a host with 400 (`source/common/http/conn_manager_impl.cc` `ActiveStream::decodeHeaders`,
/// `missing_host_header`). Each closes the connection.
fn envoy_request_check(
    parts: &http::request::Parts,
    active: &ActiveRequest,
    limits: &DownstreamLimits,
    server: &str,
    info: &mut StreamInfo,
) -> Option<Response<Full<Bytes>>> {
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum::<usize>()
        + uri_len(&parts.uri);
    let status = if limits
        .max_request_headers_bytes
        .is_some_and(|max| header_bytes > max)
    {
        431
    } else if parts.version == http::Version::HTTP_10 {
        426
    } else if active.content_length_and_chunked {
        // Request smuggling's favourite: Envoy refuses it unless `allow_chunked_length`.
        400
    } else if !parts.headers.contains_key(http::header::HOST) && parts.uri.authority().is_none() {
        400
    } else {
        return None;
    };
    Some(protocol_error(status, server, info))
}

/// A local reply to a malformed request (flag `DPE`), closing the connection; a malformed
/// body (a bad chunk) is answered 400 as Envoy's HTTP/1 codec does.
fn protocol_error(status: u16, server: &str, info: &mut StreamInfo) -> Response<Full<Bytes>> {
    info.flags.set(ResponseFlag::DPE);
    let mut response = local_reply(status, "", server);
    response
        .headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The length of `uri` as written out (`Uri`'s `Display`: scheme `://`, authority, path,
/// `?` query), without writing it.
fn uri_len(uri: &http::Uri) -> usize {
    uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path().len()
        + uri.query().map_or(0, |q| q.len() + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_uri_length_is_the_length_it_is_written_out_with() {
        for uri in [
            "/",
            "/orders?id=7&full=1",
            "*",
            "http://reviews.default.svc:9080/ratings?x=1",
            "https://reviews",
            "reviews.default.svc:443",
            "/a/b/c?",
        ] {
            let parsed: http::Uri = uri.parse().unwrap();
            assert_eq!(super::uri_len(&parsed), parsed.to_string().len(), "{uri}");
        }
    }
}
