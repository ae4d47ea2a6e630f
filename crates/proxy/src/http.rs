//! The HTTP connection manager (downstream side) and the router filter: match a route, pick
//! a host, get a stream from its pool, forward, and answer locally when Envoy would
//! (spec §9, reduced to one route to one cluster).

use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HOST};
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use meshtwin_model::event::EventKind;

use crate::config::ListenerKind;
use crate::local_reply::{
    local_reply, reset_before_headers, ResetReason, ResponseFlag, ResponseFlags,
};
use crate::platform::Platform;
use crate::pool::driver::StreamError;
use crate::pool::engine::PoolFailure;
use crate::proxy::Proxy;
use crate::route::{select_route, select_virtual_host};

/// What the router did with one request.
pub(crate) struct Outcome {
    pub response: Response<Full<Bytes>>,
    pub flags: ResponseFlags,
    pub cluster: String,
    pub upstream_host: Option<String>,
}

const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
];

fn strip_hop_by_hop(h: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        h.remove(name);
    }
}

/// Serve one downstream request on `worker` of listener `index`.
pub(crate) async fn handle_request<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received = proxy.platform.now();
    let lcfg = &proxy.cfg.listeners[index];
    let stats = proxy.hcm[&lcfg.stat_prefix].clone();
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
    let outcome = route_and_forward(&proxy, index, worker, Request::from_parts(parts, body)).await;
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

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

async fn route_and_forward<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    req: Request<Bytes>,
) -> Outcome {
    let server = proxy.cfg.listeners[index].server_name.as_str();
    let ListenerKind::Http { virtual_hosts, .. } = &proxy.cfg.listeners[index].kind else {
        unreachable!("HTTP requests only arrive on HTTP listeners");
    };
    let authority = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let route = select_virtual_host(virtual_hosts, &authority)
        .and_then(|vh| select_route(vh, req.uri().path()));
    let Some(route) = route else {
        let mut flags = ResponseFlags::default();
        flags.set(ResponseFlag::NR);
        return Outcome {
            response: local_reply(404, "", server),
            flags,
            cluster: String::new(),
            upstream_host: None,
        };
    };
    let Some(cluster) = proxy.clusters.get(&route.cluster) else {
        let mut flags = ResponseFlags::default();
        flags.set(ResponseFlag::NC);
        return Outcome {
            response: local_reply(503, "", server),
            flags,
            cluster: route.cluster.clone(),
            upstream_host: None,
        };
    };
    let mut flags = ResponseFlags::default();
    let cluster_name = cluster.cfg.name.clone();
    let charge = |code: u16| {
        let mut sh = cluster.shared.borrow_mut();
        sh.stats.codes.charge(code);
        sh.stats.cluster.upstream_rq_completed += 1;
    };
    let Some(ep) = cluster.pick(worker) else {
        cluster
            .shared
            .borrow_mut()
            .stats
            .cluster
            .upstream_cx_none_healthy += 1;
        charge(503);
        flags.set(ResponseFlag::UH);
        return Outcome {
            response: local_reply(503, "no healthy upstream", server),
            flags,
            cluster: cluster_name,
            upstream_host: None,
        };
    };
    let host = cluster.cfg.endpoints[ep].hostname.clone();
    let started = proxy.platform.now();
    let pool = cluster.pool(worker, ep);
    let stream = match pool.acquire().await {
        Ok(s) => s,
        Err(failure) => {
            let reason = match failure {
                PoolFailure::Overflow => ResetReason::Overflow,
                PoolFailure::RemoteConnectionFailure => ResetReason::RemoteConnectionFailure,
                PoolFailure::LocalConnectionFailure => ResetReason::LocalConnectionFailure,
                PoolFailure::Timeout => ResetReason::ConnectionTimeout,
            };
            charge(503);
            flags.set(reason.flag());
            return Outcome {
                response: reset_before_headers(reason, server),
                flags,
                cluster: cluster_name,
                // An overflow never reached a host (Envoy logs no upstream host).
                upstream_host: (failure != PoolFailure::Overflow).then_some(host),
            };
        }
    };
    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    parts.uri = path.parse().unwrap_or_default();
    parts.version = http::Version::HTTP_11;
    let upstream_req = Request::from_parts(parts, Full::new(body));
    match stream.send(upstream_req).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            let elapsed = proxy.platform.now().saturating_sub(started).as_millis();
            parts.headers.insert(
                HeaderName::from_static("x-envoy-upstream-service-time"),
                HeaderValue::from(elapsed as u64),
            );
            if let Ok(v) = HeaderValue::from_str(server) {
                parts.headers.insert(http::header::SERVER, v);
            }
            parts.version = http::Version::HTTP_11;
            charge(parts.status.as_u16());
            Outcome {
                response: Response::from_parts(parts, Full::new(body)),
                flags,
                cluster: cluster_name,
                upstream_host: Some(host),
            }
        }
        Err(StreamError::ConnectionTermination) => {
            charge(503);
            flags.set(ResponseFlag::UC);
            Outcome {
                response: reset_before_headers(ResetReason::ConnectionTermination, server),
                flags,
                cluster: cluster_name,
                upstream_host: Some(host),
            }
        }
    }
}
