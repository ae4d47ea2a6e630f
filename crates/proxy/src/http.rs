//! The HTTP connection manager (downstream side): stats, `x-request-id`, the request body,
//! Envoy's own processing time, the router filter, and the access log.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use meshtwin_model::event::EventKind;

use crate::body::{read_up_to, BodyFailure, FailureCell, ReadBody, RequestBody};
use crate::conn_watch::ActiveRequest;
use crate::downstream::{DownstreamLimits, DownstreamStats};
use crate::local_reply::{ResponseFlag, ResponseFlags};
use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::router_filter::{route_request, Outcome};

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
pub(crate) async fn handle_request<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    req: Request<Incoming>,
    active: ActiveRequest,
) -> Result<Response<Full<Bytes>>, DownstreamReset> {
    let received = proxy.platform.now();
    let lcfg = proxy.listener(index);
    let stats = proxy.hcm_stats(&lcfg.stat_prefix);
    let limits = proxy.downstream_limits();
    proxy.worker_active(worker);
    {
        let mut s = stats.borrow_mut();
        s.downstream_rq_total += 1;
        s.downstream_rq_active.inc();
    }
    let (mut parts, body) = req.into_parts();
    let request_id = match parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
    {
        Some(id) => id.to_string(),
        None => {
            let id = proxy.new_request_id();
            if let Ok(v) = HeaderValue::from_str(&id) {
                parts.headers.insert("x-request-id", v);
            }
            id
        }
    };
    let log = Rc::new(LogState::default());
    // Until the request is answered, dropping this logs it as abandoned (`DC`).
    let mut guard = DownstreamResetLog {
        proxy: proxy.clone(),
        listener: index,
        request_id: request_id.clone(),
        received,
        state: log.clone(),
        done: false,
    };
    let rejected = limits
        .envoy_request_checks
        .then(|| envoy_request_check(&parts, &active, &limits, &lcfg.server_name));
    let outcome = match rejected.flatten() {
        Some(outcome) => outcome,
        None => forward(&proxy, index, worker, parts, body, &log).await?,
    };
    guard.done = true;
    let status = outcome.response.status().as_u16();
    proxy.worker_active(worker);
    {
        let mut s = stats.borrow_mut();
        s.downstream_rq_active.dec();
        s.charge_response(status);
        if outcome.flags.contains(ResponseFlag::NR) {
            s.no_route += 1;
        }
        if outcome.flags.contains(ResponseFlag::NC) {
            s.no_cluster += 1;
        }
    }
    let now = proxy.platform.now();
    proxy.observer.event(
        now,
        EventKind::AccessLog {
            proxy: proxy.cfg.node.clone(),
            listener: lcfg.name.clone(),
            cluster: outcome.cluster,
            upstream_host: outcome.upstream_host,
            request_id,
            status,
            flags: outcome.flags.to_string(),
            duration_ms: ms(now.saturating_sub(received)),
        },
    );
    Ok(outcome.response)
}

/// Read the body (whole, or up to the buffer limit) and route the request. Without a buffer
/// limit (the twin) the request is complete once its body is read: the route timeout and
/// `x-envoy-upstream-service-time` start here. With one, a body over the limit is streamed
/// (see `crate::body`). A body that fails is answered 400 if malformed, dropped (`DC`) if the
/// client went away.
async fn forward<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    parts: http::request::Parts,
    body: Incoming,
    log: &LogState,
) -> Result<Outcome, DownstreamReset> {
    let server = proxy.listener(index).server_name.clone();
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
            route_request(proxy, index, worker, parts, body, log).await
        }
        None => protocol_error(400, &server),
    };
    match failure.get() {
        None => Ok(outcome),
        Some(BodyFailure::Malformed) => Ok(protocol_error(400, &server)),
        Some(BodyFailure::Disconnected) => Err(DownstreamReset),
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
) -> Option<Outcome> {
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum::<usize>()
        + parts.uri.to_string().len();
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
    Some(protocol_error(status, server))
}

/// A local reply to a malformed request (flag `DPE`), closing the connection; a malformed
/// body (a bad chunk) is answered 400 as Envoy's HTTP/1 codec does.
fn protocol_error(status: u16, server: &str) -> Outcome {
    let mut outcome = Outcome::local(status, "", server, Some(ResponseFlag::DPE), "");
    outcome
        .response
        .headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    outcome
}

/// What the router has chosen so far, for the access log of a request the downstream abandons.
#[derive(Default)]
pub(crate) struct LogState {
    pub cluster: RefCell<String>,
    pub upstream_host: RefCell<Option<String>>,
    pub flags: RefCell<ResponseFlags>,
}

/// Logs a request whose downstream went away before the answer (Envoy's flag `DC`, code 0).
struct DownstreamResetLog<P: Platform> {
    proxy: Rc<Proxy<P>>,
    listener: usize,
    request_id: String,
    received: Duration,
    state: Rc<LogState>,
    done: bool,
}

impl<P: Platform> Drop for DownstreamResetLog<P> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let p = &self.proxy;
        DownstreamStats::inc(&p.downstream_stats.rq_rx_reset);
        let lcfg = p.listener(self.listener);
        p.hcm_stats(&lcfg.stat_prefix)
            .borrow_mut()
            .downstream_rq_active
            .dec();
        let now = p.platform.now();
        p.observer.event(
            now,
            EventKind::AccessLog {
                proxy: p.cfg.node.clone(),
                listener: lcfg.name.clone(),
                cluster: self.state.cluster.borrow().clone(),
                upstream_host: self.state.upstream_host.borrow().clone(),
                request_id: std::mem::take(&mut self.request_id),
                status: 0,
                flags: {
                    let mut f = self.state.flags.borrow().clone();
                    f.set(ResponseFlag::DC);
                    f.to_string()
                },
                duration_ms: ms(now.saturating_sub(self.received)),
            },
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}
