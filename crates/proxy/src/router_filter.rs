//! The router filter (Envoy's `Router::Filter`, `source/common/router/router.cc`), as the
//! steps Envoy's HTTP filter chain and `Filter::decodeHeaders` apply, in that order:
//!
//! 1. match a route; answer a direct response or a redirect (`decodeHeaders`), or 404 `NR`;
//!    steps 2–8 then run under the stream idle timer — the route's `idle_timeout`, else the
//!    listener's `stream_idle_timeout` — which answers 408 `SI` (`ActiveStream::onIdleTimeout`);
//! 2. [`fault`]: the HTTP fault filter ahead of the router — a delay, then maybe an abort;
//! 3. pick the (weighted) cluster, 503 `NC` when the proxy has none by that name, and prepare
//!    the upstream request (hop-by-hop headers, host rewrite, the retry and timeout headers);
//! 4. [`mirror`]: copy the request to the route's mirror clusters (`maybeDoShadowing`),
//!    each shadow going through steps 5–8 itself, without retries;
//! 5. [`timeout`]: the route's global timeout around everything after (`onResponseTimeout`);
//! 6. [`retry`]: attempts until one is forwarded (`RetryStateImpl::shouldRetry`), the retry
//!    holding the cluster's `retries` resource through a guard;
//! 7. [`attempt`]: one attempt — host choice, the upstream request under the per-try timeout,
//!    what outlier detection hears;
//! 8. [`complete`]: the one place a forwarded request finishes and its upstream stats are
//!    charged (`Filter::chargeUpstreamCode`), and its downstream response is made.
//!
//! What the access log says of the request (cluster, upstream host, flags) is written into
//! the request's own [`StreamInfo`] by each step.

mod attempt;
mod complete;
mod fault;
mod mirror;
mod retry;
mod timeout;

use meshtwin_model::event::Name;
use std::future::Future;
use std::rc::Rc;

use bytes::Bytes;
use http::header::{HeaderName, HOST};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response};
use http_body_util::Full;

use crate::active_stream::StreamInfo;
use crate::body::RequestBody;
use crate::cluster::Cluster;
use crate::config::{ListenerConfig, ListenerKind};
use crate::local_reply::{local_reply, ResponseFlag};
use crate::platform::{timeout, Platform};
use crate::proxy::Proxy;
use crate::router::config::{
    Action, ClusterSpecifier, Route, RouteAction, RouteTable, VirtualHost,
};
use crate::router::matcher::{RequestHead, RouteMatch};
use crate::router::retry::{RetryOn, RetryPolicy};
use crate::router::timeout::Timeouts;

/// The hop-by-hop headers a proxy does not forward (`source/common/http/
/// conn_manager_utility.cc` `ConnectionManagerUtility::mutateRequestHeaders` and
/// `mutateResponseHeaders`).
const HOP_BY_HOP: [HeaderName; 6] = [
    http::header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
    http::header::TE,
];

/// Remove the hop-by-hop headers. One pass over the names first: most messages carry none.
fn strip_hop_by_hop(h: &mut HeaderMap) {
    if !h.keys().any(|k| HOP_BY_HOP.contains(k)) {
        return;
    }
    for name in &HOP_BY_HOP {
        h.remove(name);
    }
}

fn authority_of(parts: &Parts) -> String {
    parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// What the attempts of one request share: where they go and what they send.
struct Upstream<'a, P: Platform> {
    proxy: &'a Rc<Proxy<P>>,
    cluster: &'a Rc<Cluster<P>>,
    worker: u32,
    parts: &'a Parts,
    body: &'a RequestBody,
}

/// Route and forward one downstream request that arrived on listener `index`, worker
/// `worker`; `info` receives what the access log says of it.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would hold its request argument twice"
)]
pub(crate) fn route_request<'a, P: Platform>(
    proxy: &'a Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    parts: Parts,
    body: RequestBody,
    info: &'a mut StreamInfo,
) -> impl Future<Output = Response<Full<Bytes>>> + 'a {
    async move {
        // The listener's configuration as of this request (an xDS push swaps the whole `Rc`).
        let lcfg = proxy.listener(index);
        let server = lcfg.server_name.as_str();
        let authority = authority_of(&parts);
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string();
        let stream_id = proxy.random_u64();
        let (route, action) = match decode_headers(&lcfg, &parts, &authority, &path, info) {
            Decoded::Route(route, action) => (route, action),
            Decoded::Reply(reply) => return reply,
        };
        if let ClusterSpecifier::Cluster(c) = &action.cluster {
            info.cluster = c.clone();
        }
        // The stream idle timer (`ConnectionManagerImpl::ActiveStream`'s `idle_timer_`): the
        // route's `idle_timeout` overrides the connection manager's `stream_idle_timeout`, zero
        // disables it. The request is complete (its body read) when routing starts, and the twin
        // sends a response whole, so the stream is idle from here until the response: through the
        // fault delay, queueing, every attempt and back-off. A body streamed past the buffer
        // limit (real clients only) is still arriving: this timer is not applied to it (the real
        // proxy's connection watchdog, `crate::conn_watch`, watches such streams).
        let idle = action
            .idle_timeout
            .or(lcfg.idle_timeout)
            .filter(|t| !t.is_zero() && body.replayable());
        let routed = Routed {
            route,
            action,
            authority,
            path,
            stream_id,
        };
        let forwarded = Box::pin(forward(proxy, worker, server, routed, parts, body, info));
        let Some(idle) = idle else {
            return forwarded.await;
        };
        match timeout(&proxy.platform, idle, forwarded).await {
            Some(response) => response,
            None => on_idle_timeout(proxy, &lcfg, info),
        }
    }
}

/// Envoy's `ActiveStream::onIdleTimeout` before any response byte: the request ends with
/// 408 `stream timeout`, flag `SI`, `downstream_rq_idle_timeout`; dropping the forwarding
/// resets whatever attempt was in flight, as when the downstream goes away.
fn on_idle_timeout<P: Platform>(
    proxy: &Proxy<P>,
    lcfg: &ListenerConfig,
    info: &mut StreamInfo,
) -> Response<Full<Bytes>> {
    proxy.count_idle_timeout(lcfg);
    info.flags.set(ResponseFlag::SI);
    local_reply(408, "stream timeout", &lcfg.server_name)
}

/// What routing decided for a request.
struct Routed<'l> {
    route: &'l Route,
    action: &'l RouteAction,
    authority: String,
    path: String,
    stream_id: u64,
}

/// Steps 2–8 for a routed request.
#[allow(
    clippy::manual_async_fn,
    reason = "an async fn would hold its request argument twice"
)]
fn forward<'a, P: Platform>(
    proxy: &'a Rc<Proxy<P>>,
    worker: u32,
    server: &'a str,
    routed: Routed<'a>,
    mut parts: Parts,
    body: RequestBody,
    info: &'a mut StreamInfo,
) -> impl Future<Output = Response<Full<Bytes>>> + 'a {
    async move {
        let Routed {
            route,
            action,
            authority,
            path,
            stream_id,
        } = routed;
        if let Some(reply) = fault::inject(proxy, route.fault.as_ref(), server, info).await {
            return reply;
        }
        let cluster_name = action.cluster.pick(stream_id);
        if info.cluster.as_str() != cluster_name {
            info.cluster = Name::from(cluster_name);
        }
        let Some(cluster) = proxy.cluster(cluster_name) else {
            info.flags.set(ResponseFlag::NC);
            return local_reply(503, "", server);
        };
        prepare_upstream(&mut parts, &path, route, action);
        // Retry and timeout headers are consumed before anything goes upstream, shadows
        // included (`finalTimeout`, then `createRetryState`, then the shadow policies).
        let mut policy = RetryPolicy::for_request(action.retry_policy.as_ref(), &mut parts.headers);
        // A body streamed past the buffer limit can be sent once: no retry, no shadow
        // (`source/common/router/router.cc` `Filter::decodeData`, `retry_or_shadow_abandoned`).
        if !body.replayable() {
            policy = RetryPolicy {
                num_retries: 0,
                per_try_timeout: policy.per_try_timeout,
                ..RetryPolicy::new(RetryOn::NONE)
            };
        }
        let timeouts =
            Timeouts::for_request(action.timeout, policy.per_try_timeout, &mut parts.headers);
        let upstream = Upstream {
            proxy,
            cluster: &cluster,
            worker,
            parts: &parts,
            body: &body,
        };
        mirror::shadow(&upstream, action, stream_id, &authority, timeouts.global);
        let started = proxy.platform.now();
        let attempts = Box::pin(retry::forward(&upstream, &policy, timeouts.per_try, info));
        let ended =
            timeout::ended(timeout::within(&proxy.platform, timeouts.global, attempts).await);
        let (mut response, from_upstream) = complete::finish(&cluster, ended, server, info);
        if from_upstream {
            let ms = proxy.platform.now().saturating_sub(started).as_millis() as u64;
            response.headers_mut().insert(
                HeaderName::from_static("x-envoy-upstream-service-time"),
                HeaderValue::from(ms),
            );
        }
        response
    }
}

/// What `Filter::decodeHeaders` made of a request.
enum Decoded<'l> {
    /// Forward it with this route's action.
    Route(&'l Route, &'l RouteAction),
    /// Answer it with this local reply: 404 `NR`, a direct response, a redirect.
    Reply(Response<Full<Bytes>>),
}

/// The route for a request, or the local reply that answers it instead.
fn decode_headers<'l>(
    lcfg: &'l ListenerConfig,
    parts: &Parts,
    authority: &str,
    path: &str,
    info: &mut StreamInfo,
) -> Decoded<'l> {
    let server = lcfg.server_name.as_str();
    let ListenerKind::Http { routes, .. } = &lcfg.kind else {
        unreachable!("HTTP requests only arrive on HTTP listeners");
    };
    let no_labels = Default::default();
    let head = RequestHead {
        method: parts.method.as_str(),
        authority,
        scheme: "http",
        path,
        headers: &parts.headers,
        port: lcfg.address.port(),
        source_labels: &no_labels,
    };
    let Some((_, route)) = routes.route(&head) else {
        info.flags.set(ResponseFlag::NR);
        return Decoded::Reply(local_reply(404, "", server));
    };
    match &route.action {
        Action::Route(a) => Decoded::Route(route, a),
        Action::DirectResponse { status, body } => {
            Decoded::Reply(local_reply(*status, body, server))
        }
        Action::Redirect(r) => {
            let mut reply = local_reply(r.code, "", server);
            if let Ok(v) = HeaderValue::from_str(&r.location(&head)) {
                reply.headers_mut().insert(http::header::LOCATION, v);
            }
            Decoded::Reply(reply)
        }
    }
}

/// The request as it goes upstream: no hop-by-hop headers, origin-form path, HTTP/1.1, the
/// route's path (prefix) and host rewrites.
fn prepare_upstream(parts: &mut Parts, path: &str, route: &Route, action: &RouteAction) {
    strip_hop_by_hop(&mut parts.headers);
    parts.uri = action
        .rewrite_path(&route.matcher, path)
        .parse()
        .unwrap_or_default();
    parts.version = http::Version::HTTP_11;
    if let Some(h) = action
        .host_rewrite
        .as_deref()
        .and_then(|h| HeaderValue::from_str(h).ok())
    {
        parts.headers.insert(HOST, h);
    }
}

/// A route to one cluster with no timeout and no retries (what a listener without
/// VirtualServices gets for a plain service port in tests).
pub fn plain_route(cluster: &str) -> RouteAction {
    RouteAction {
        timeout: std::time::Duration::ZERO,
        ..RouteAction::to_cluster(cluster)
    }
}

/// A table sending every path of every host to `cluster` over [`plain_route`]: one virtual
/// host `vhost` for `*`, one route `default` for the prefix `/`.
pub fn plain_routes(vhost: &str, cluster: &str) -> RouteTable {
    RouteTable::new(vec![VirtualHost {
        name: vhost.into(),
        domains: vec!["*".into()],
        routes: vec![Route {
            name: "default".into(),
            matcher: RouteMatch::prefix("/"),
            action: Action::Route(plain_route(cluster)),
            fault: None,
        }],
    }])
}
