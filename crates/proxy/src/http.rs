//! The HTTP connection manager (downstream side): stats, `x-request-id`, the request body,
//! Envoy's own processing time, the router filter, and the access log.

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use meshtwin_model::event::EventKind;

use crate::local_reply::{ResponseFlag, ResponseFlags};
use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::router_filter::route_request;

/// Serve one downstream request on `worker` of listener `index`.
pub(crate) async fn handle_request<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received = proxy.platform.now();
    let lcfg = proxy.listener(index);
    let stats = proxy.hcm_stats(&lcfg.stat_prefix);
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
    // The downstream request is complete once its body is read: the route timeout and
    // `x-envoy-upstream-service-time` start here.
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !proxy.cfg.processing_delay.is_zero() {
        proxy.platform.sleep(proxy.cfg.processing_delay).await;
    }
    let log = Rc::new(LogState::default());
    let mut guard = DownstreamResetLog {
        proxy: proxy.clone(),
        listener: index,
        request_id: request_id.clone(),
        received,
        state: log.clone(),
        done: false,
    };
    let outcome = route_request(&proxy, index, worker, parts, body, &log).await;
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
            flags: outcome.flags,
            duration_ms: ms(now.saturating_sub(received)),
        },
    );
    Ok(outcome.response)
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
                    f
                },
                duration_ms: ms(now.saturating_sub(self.received)),
            },
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}
