//! The router filter (spec §6, §9): match a route; answer a direct response or redirect;
//! inject faults; pick the (weighted) cluster; mirror; then attempt the upstream under the
//! route's global timeout, retrying as the route's retry policy says.

use std::rc::Rc;

use bytes::Bytes;
use http::header::{HeaderName, HOST};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response};
use http_body_util::Full;

use crate::cluster::Cluster;
use crate::config::ListenerKind;
use crate::http::LogState;
use crate::local_reply::{
    local_reply, reset_before_headers, ResetFlag, ResponseFlag, ResponseFlags,
};
use crate::outlier::{LocalOrigin, Outcome as OutlierOutcome};
use crate::platform::{timeout, Platform};
use crate::proxy::Proxy;
use crate::router::config::{Action, RouteAction};
use crate::router::fault::ABORT_BODY;
use crate::router::matcher::RequestHead;
use crate::router::retry::{RetryCompat, RetryPolicy, RetryState, RetryVerdict, UpstreamReset};
use crate::router::timeout::Timeouts;
use crate::upstream::{attempt, Attempt};

/// What the router did with one request.
pub(crate) struct Outcome {
    pub response: Response<Full<Bytes>>,
    pub flags: ResponseFlags,
    pub cluster: String,
    pub upstream_host: Option<String>,
    /// The response came from upstream (not a local reply).
    pub from_upstream: bool,
}

impl Outcome {
    fn local(
        status: u16,
        body: &str,
        server: &str,
        flag: Option<ResponseFlag>,
        cluster: &str,
    ) -> Self {
        let mut flags = ResponseFlags::default();
        if let Some(f) = flag {
            flags.set(f);
        }
        Self {
            response: local_reply(status, body, server),
            flags,
            cluster: cluster.to_string(),
            upstream_host: None,
            from_upstream: false,
        }
    }
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

fn authority_of(parts: &Parts) -> String {
    parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// Route and forward one downstream request that arrived on listener `index`, worker `worker`.
pub(crate) async fn route_request<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    mut parts: Parts,
    body: Bytes,
    log: &LogState,
) -> Outcome {
    let lcfg = proxy.listener(index);
    let server = lcfg.server_name.as_str();
    // The listener's configuration as of this request (an xDS push swaps the whole `Rc`).
    let ListenerKind::Http { routes, .. } = &lcfg.kind else {
        unreachable!("HTTP requests only arrive on HTTP listeners");
    };
    let authority = authority_of(&parts);
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let stream_id = proxy.random_u64();
    let no_labels = Default::default();
    let head = RequestHead {
        method: parts.method.as_str(),
        authority: &authority,
        scheme: "http",
        path: &path,
        headers: &parts.headers,
        port: lcfg.address.port(),
        source_labels: &no_labels,
    };
    let Some((_, route)) = routes.route(&head) else {
        return Outcome::local(404, "", server, Some(ResponseFlag::NR), "");
    };
    let action = match &route.action {
        Action::Route(a) => a,
        Action::DirectResponse { status, body } => {
            return Outcome::local(*status, body, server, None, "")
        }
        Action::Redirect(r) => {
            let mut o = Outcome::local(r.code, "", server, None, "");
            if let Ok(v) = HeaderValue::from_str(&r.location(&head)) {
                o.response.headers_mut().insert(http::header::LOCATION, v);
            }
            return o;
        }
    };
    if let crate::router::config::ClusterSpecifier::Cluster(c) = &action.cluster {
        *log.cluster.borrow_mut() = c.clone();
    }
    let mut flags = ResponseFlags::default();
    if let Some(fault) = route.fault.as_ref().filter(|f| f.admits(0)) {
        let delay = proxy.with_rng(|r| fault.sample_delay(r));
        if let Some(d) = delay {
            flags.set(ResponseFlag::DI);
            log.flags.borrow_mut().set(ResponseFlag::DI);
            proxy.platform.sleep(d).await;
        }
        if let Some(status) = proxy.with_rng(|r| fault.sample_abort(r)) {
            let mut o = Outcome::local(status, ABORT_BODY, server, Some(ResponseFlag::FI), "");
            if delay.is_some() {
                o.flags.set(ResponseFlag::DI);
            }
            return o;
        }
    }
    let cluster_name = action.cluster.pick(stream_id).to_string();
    *log.cluster.borrow_mut() = cluster_name.clone();
    let Some(cluster) = proxy.cluster(&cluster_name) else {
        return Outcome::local(503, "", server, Some(ResponseFlag::NC), &cluster_name);
    };
    strip_hop_by_hop(&mut parts.headers);
    parts.uri = path.parse().unwrap_or_default();
    parts.version = http::Version::HTTP_11;
    if let Some(h) = action
        .host_rewrite
        .as_deref()
        .and_then(|h| HeaderValue::from_str(h).ok())
    {
        parts.headers.insert(HOST, h);
    }
    // Retry headers are consumed before anything goes upstream, shadows included.
    let policy = RetryPolicy::for_request(action.retry_policy.as_ref(), &mut parts.headers);
    for m in &action.mirror_policies {
        if m.should_mirror(stream_id, parts.method.as_str()) {
            spawn_shadow(
                proxy,
                worker,
                &m.cluster,
                &m.shadow_authority(&authority),
                &parts,
                &body,
            );
        }
    }
    let timeouts =
        Timeouts::for_request(action.timeout, policy.per_try_timeout, &mut parts.headers);
    let started = proxy.platform.now();
    let work = forward_with_retries(
        proxy,
        &cluster,
        worker,
        &parts,
        &body,
        &policy,
        timeouts.per_try,
        server,
        log,
    );
    let mut outcome = match timeouts.global {
        Some(g) => match timeout(&proxy.platform, g, work).await {
            Some(o) => o,
            None => {
                let mut sh = cluster.shared.borrow_mut();
                sh.stats.cluster.upstream_rq_timeout += 1;
                sh.stats.codes.charge(504);
                sh.stats.cluster.upstream_rq_completed += 1;
                drop(sh);
                Outcome::local(
                    504,
                    "upstream request timeout",
                    server,
                    Some(ResponseFlag::UT),
                    &cluster_name,
                )
            }
        },
        None => work.await,
    };
    if outcome.from_upstream {
        let ms = proxy.platform.now().saturating_sub(started).as_millis() as u64;
        outcome.response.headers_mut().insert(
            HeaderName::from_static("x-envoy-upstream-service-time"),
            HeaderValue::from(ms),
        );
    }
    if flags.contains(ResponseFlag::DI) {
        outcome.flags.set(ResponseFlag::DI);
    }
    outcome.cluster = cluster_name;
    outcome
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

/// Attempts until one answers or the retry policy gives up.
#[allow(clippy::too_many_arguments)]
async fn forward_with_retries<P: Platform>(
    proxy: &Rc<Proxy<P>>,
    cluster: &Rc<Cluster<P>>,
    worker: u32,
    parts: &Parts,
    body: &Bytes,
    policy: &RetryPolicy,
    per_try: Option<std::time::Duration>,
    server: &str,
    log: &LogState,
) -> Outcome {
    let name = cluster.cfg.name.clone();
    let mut state = RetryState::new(policy, RetryCompat::default());
    let outcome = loop {
        let is_retry = state.attempt() > 1;
        let picked = state.choose_host(is_retry, || {
            cluster.pick(worker).map(|i| PickedHost {
                ep: i,
                key: cluster.endpoint(i).address.to_string(),
            })
        });
        let Some(PickedHost { ep, key }) = picked else {
            let mut sh = cluster.shared.borrow_mut();
            sh.stats.cluster.upstream_cx_none_healthy += 1;
            sh.stats.codes.charge(503);
            sh.stats.cluster.upstream_rq_completed += 1;
            drop(sh);
            break Outcome::local(
                503,
                "no healthy upstream",
                server,
                Some(ResponseFlag::UH),
                &name,
            );
        };
        let host = cluster.endpoint(ep).hostname;
        state.on_host_attempted(&key);
        *log.upstream_host.borrow_mut() = Some(host.clone());
        let result = attempt(
            &proxy.platform,
            cluster,
            worker,
            ep,
            parts,
            body,
            state.attempt(),
            per_try,
        )
        .await;
        // What outlier detection hears (spec §3.2): upstream statuses and local-origin
        // failures — never a local overflow.
        let reported = match &result {
            Attempt::Response(r) => Some(OutlierOutcome::Http(r.status().as_u16())),
            Attempt::Reset(UpstreamReset::Overflow) => None,
            Attempt::Reset(
                UpstreamReset::LocalConnectionFailure
                | UpstreamReset::RemoteConnectionFailure
                | UpstreamReset::ConnectionTimeout,
            ) => Some(OutlierOutcome::Local(LocalOrigin::ConnectFailed)),
            Attempt::Reset(_) => Some(OutlierOutcome::Local(LocalOrigin::Reset)),
            Attempt::PerTryTimeout => Some(OutlierOutcome::Local(LocalOrigin::Timeout)),
        };
        if let Some(o) = reported {
            cluster.report_outcome(ep, o);
        }
        let allows = cluster.shared.borrow().rm.retries.can_create();
        let (decision, reply) = match result {
            Attempt::Response(resp) => {
                let status = resp.status().as_u16();
                cluster.shared.borrow_mut().stats.codes.charge(status);
                let d = proxy.with_rng(|r| state.on_response(status, resp.headers(), allows, r));
                (d, Ok(resp))
            }
            Attempt::Reset(reason) => {
                let started = reason == UpstreamReset::ConnectionTermination;
                (
                    proxy.with_rng(|r| state.on_reset(reason, started, allows, r)),
                    Err(Some(reason)),
                )
            }
            Attempt::PerTryTimeout => {
                cluster
                    .shared
                    .borrow_mut()
                    .stats
                    .cluster
                    .upstream_rq_per_try_timeout += 1;
                (
                    proxy.with_rng(|r| state.on_reset(UpstreamReset::LocalReset, true, allows, r)),
                    Err(None),
                )
            }
        };
        {
            let mut sh = cluster.shared.borrow_mut();
            if decision.release_retry_resource {
                sh.rm.retries.dec();
            }
            if decision.retry_success {
                sh.stats.cluster.upstream_rq_retry_success += 1;
            }
            match decision.verdict {
                RetryVerdict::Retry { .. } => {
                    sh.rm.retries.inc();
                    sh.stats.cluster.upstream_rq_retry += 1;
                }
                RetryVerdict::Overflow => sh.stats.cluster.upstream_rq_retry_overflow += 1,
                RetryVerdict::LimitExceeded => {
                    sh.stats.cluster.upstream_rq_retry_limit_exceeded += 1
                }
                RetryVerdict::NotRetriable => {}
            }
            sh.sync_breaker_gauges();
        }
        if let RetryVerdict::Retry { back_off } = decision.verdict {
            proxy.platform.sleep(back_off).await;
            continue;
        }
        let mut flags = ResponseFlags::default();
        match decision.verdict {
            RetryVerdict::LimitExceeded => flags.set(ResponseFlag::URX),
            RetryVerdict::Overflow => flags.set(ResponseFlag::UO),
            _ => {}
        }
        let retried = state.attempt() > 1;
        break match reply {
            Ok(resp) => upstream_outcome(resp, flags, &name, host, server, cluster),
            Err(reason) => {
                let mut sh = cluster.shared.borrow_mut();
                sh.stats.cluster.upstream_rq_completed += 1;
                let response = match reason {
                    Some(r) => {
                        flags.set(ResponseFlag::for_reset(r));
                        sh.stats.codes.charge(if r == UpstreamReset::ProtocolError {
                            502
                        } else {
                            503
                        });
                        reset_before_headers(r, retried, server)
                    }
                    None => {
                        flags.set(ResponseFlag::UT);
                        sh.stats.codes.charge(504);
                        local_reply(504, "upstream request timeout", server)
                    }
                };
                // An overflow never reached a host: Envoy logs no upstream host for it.
                let upstream_host = (reason != Some(UpstreamReset::Overflow)).then_some(host);
                Outcome {
                    response,
                    flags,
                    cluster: name.clone(),
                    upstream_host,
                    from_upstream: false,
                }
            }
        };
    };
    if state.finish() {
        cluster.shared.borrow_mut().rm.retries.dec();
    }
    outcome
}

fn upstream_outcome<P: Platform>(
    resp: Response<Bytes>,
    flags: ResponseFlags,
    name: &str,
    host: String,
    server: &str,
    cluster: &Cluster<P>,
) -> Outcome {
    cluster
        .shared
        .borrow_mut()
        .stats
        .cluster
        .upstream_rq_completed += 1;
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if let Ok(v) = HeaderValue::from_str(server) {
        parts.headers.insert(http::header::SERVER, v);
    }
    parts.version = http::Version::HTTP_11;
    Outcome {
        response: Response::from_parts(parts, Full::new(body)),
        flags,
        cluster: name.to_string(),
        upstream_host: Some(host),
        from_upstream: true,
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

/// A host the load balancer picked: its index in the cluster and the key the
/// `previous_hosts` retry predicate compares (its address: every endpoint is its own host).
struct PickedHost {
    ep: usize,
    key: String,
}

impl AsRef<str> for PickedHost {
    fn as_ref(&self) -> &str {
        &self.key
    }
}
