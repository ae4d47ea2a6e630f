//! The control plane's route lowering: Istio `VirtualService` HTTP rules → Envoy virtual
//! hosts and routes (matches, weighted subsets, timeouts, retries, faults, mirrors) as istiod
//! builds them for a client sidecar; a service no VirtualService names gets Istio's default
//! route (no timeout, the default retry policy of the Istio release modelled).

use std::time::Duration;

use meshtwin_model::topology::{Pod, Service, ServicePort};
use meshtwin_model::traffic::http::{self as vs, HttpAction, HttpRoute, PathMatch, StringMatch};
use meshtwin_model::traffic::{Destination, VirtualServicePolicy};
use meshtwin_proxy::router::config::{
    Action, ClusterSpecifier, Redirect, Route, RouteAction, VirtualHost,
};
use meshtwin_proxy::router::fault::{FaultAbort, FaultConfig, FaultDelay};
use meshtwin_proxy::router::matcher::{
    FullRegex, HeaderMatcher, PathMatcher, QueryParamMatcher, RouteMatch, ValueMatch,
};
use meshtwin_proxy::router::mirror::MirrorPolicy;
use meshtwin_proxy::router::retry::RetryPolicy;
use meshtwin_proxy::router::weighted::{ClusterWeight, WeightedClusters};

use super::MeshView;

/// `outbound|<port>|<subset>|<fqdn>` of a VirtualService destination, seen from `svc:port`.
pub(super) fn cluster_of(
    view: &MeshView<'_>,
    vs: &VirtualServicePolicy,
    d: &Destination,
    sp: &ServicePort,
) -> String {
    let (fqdn, port) = match view.topo.service(&d.host, &vs.namespace) {
        Some(s) => {
            let port = d
                .port
                .or_else(|| (s.ports.len() == 1).then(|| s.ports[0].port))
                .unwrap_or(sp.port);
            (s.fqdn(), port)
        }
        None => (d.host.clone(), d.port.unwrap_or(sp.port)),
    };
    format!(
        "outbound|{port}|{}|{fqdn}",
        d.subset.as_deref().unwrap_or("")
    )
}

/// The VirtualService (first in file order) bound to the mesh that names `svc`.
fn virtual_service_for<'a>(
    view: &'a MeshView<'_>,
    svc: &Service,
) -> Option<&'a VirtualServicePolicy> {
    view.policies.virtual_services.iter().find(|vs| {
        (vs.gateways.is_empty() || vs.gateways.iter().any(|g| g == "mesh"))
            && vs.hosts.iter().any(|h| {
                view.topo
                    .service(h, &vs.namespace)
                    .is_some_and(|s| s.name == svc.name && s.namespace == svc.namespace)
            })
    })
}

pub(super) fn value(m: &StringMatch) -> Option<ValueMatch> {
    Some(match m {
        StringMatch::Exact(s) => ValueMatch::Exact(s.clone()),
        StringMatch::Prefix(s) => ValueMatch::Prefix(s.clone()),
        StringMatch::Regex(r) => ValueMatch::Regex(FullRegex::new(r).ok()?),
        StringMatch::Present => return None,
    })
}

/// Whether a match block's `gateways` (empty: the VirtualService's own) apply to this proxy.
pub(super) type GatewayFilter<'a> = &'a dyn Fn(&[String]) -> bool;

/// The sidecars' filter: `mesh` or none named.
pub(super) fn for_mesh(gateways: &[String]) -> bool {
    gateways.is_empty() || gateways.iter().any(|g| g == "mesh")
}

/// One Istio match block → Envoy's match (`None` when it can never apply to this client).
pub(super) fn route_match(
    m: &vs::HttpMatch,
    client: &Pod,
    port: u16,
    gateways: GatewayFilter<'_>,
) -> Option<RouteMatch> {
    if m.port.is_some_and(|p| p != port)
        || !m
            .source_labels
            .iter()
            .all(|(k, v)| client.labels.get(k) == Some(v))
        || m.source_namespace
            .as_ref()
            .is_some_and(|ns| *ns != client.namespace)
        || !gateways(&m.gateways)
    {
        return None;
    }
    let path = match &m.path {
        PathMatch::Prefix(p) => PathMatcher::Prefix(p.clone()),
        PathMatch::Exact(p) => PathMatcher::Exact(p.clone()),
        PathMatch::Regex(r) => PathMatcher::Regex(FullRegex::new(r).ok()?),
    };
    let mut rm = RouteMatch::path(path);
    rm.case_sensitive = m.case_sensitive;
    for h in &m.headers {
        let mut hm = match value(&h.matcher) {
            Some(v) => HeaderMatcher::value(&h.name, v),
            None => HeaderMatcher::present(&h.name),
        };
        hm.invert = h.invert;
        hm.treat_missing_as_empty = h.treat_missing_as_empty;
        rm.headers.push(hm);
    }
    for q in &m.query_params {
        rm.query_params.push(QueryParamMatcher {
            name: q.name.clone(),
            value: value(&q.matcher),
        });
    }
    Some(rm)
}

fn fault(f: &vs::Fault) -> FaultConfig {
    FaultConfig {
        delay: f.delay.as_ref().map(|d| FaultDelay {
            duration: d.fixed_delay,
            percentage: d.percentage,
        }),
        abort: f.abort.as_ref().map(|a| FaultAbort {
            status: a.http_status,
            percentage: a.percentage,
        }),
        max_active_faults: None,
    }
}

fn action(
    view: &MeshView<'_>,
    vs: &VirtualServicePolicy,
    r: &HttpRoute,
    sp: &ServicePort,
) -> Action {
    let dests = match &r.action {
        HttpAction::Route(d) => d,
        HttpAction::DirectResponse { status, body } => {
            return Action::DirectResponse {
                status: *status,
                body: body.clone().unwrap_or_default(),
            }
        }
        HttpAction::Redirect(rd) => {
            return Action::Redirect(Redirect {
                scheme: rd.scheme.clone(),
                host: rd.authority.clone(),
                port: rd.port,
                path: rd.uri.clone(),
                code: rd.redirect_code,
            })
        }
    };
    let cluster = match dests.as_slice() {
        [one] => ClusterSpecifier::Cluster(cluster_of(view, vs, &one.destination, sp).into()),
        many => {
            let weights = many
                .iter()
                .map(|d| ClusterWeight::new(&cluster_of(view, vs, &d.destination, sp), d.weight))
                .collect();
            match WeightedClusters::new(weights) {
                Some(w) => ClusterSpecifier::Weighted(w),
                None => ClusterSpecifier::Cluster(String::new().into()),
            }
        }
    };
    // A route with a fault keeps neither Istio's retries nor a timeout on the client side.
    let (timeout, retry_policy) = match &r.fault {
        Some(_) => (Duration::ZERO, None),
        None => (
            r.timeout.unwrap_or(Duration::ZERO),
            r.retries.as_ref().map(RetryPolicy::from),
        ),
    };
    Action::Route(RouteAction {
        idle_timeout: None,
        cluster,
        timeout,
        retry_policy,
        mirror_policies: r
            .mirrors
            .iter()
            .map(|m| MirrorPolicy {
                cluster: cluster_of(view, vs, &m.destination, sp),
                fraction: m.percentage,
                disable_shadow_host_suffix_append: m.disable_shadow_host_suffix_append,
            })
            .collect(),
        host_rewrite: r.rewrite.as_ref().and_then(|w| w.authority.clone()),
        prefix_rewrite: None,
    })
}

/// The virtual host a client sidecar has for `svc:port`.
pub fn virtual_host(
    view: &MeshView<'_>,
    client: &Pod,
    svc: &Service,
    sp: &ServicePort,
    domains: Vec<String>,
) -> VirtualHost {
    let fqdn = svc.fqdn();
    let routes = match virtual_service_for(view, svc) {
        Some(vs) => http_routes(view, client, vs, sp, &for_mesh),
        None => vec![default_route(
            view,
            &format!("outbound|{}||{}", sp.port, svc.fqdn()),
        )],
    };
    VirtualHost {
        name: format!("{fqdn}:{}", sp.port),
        domains,
        routes,
    }
}

/// Istio's route for a host no VirtualService names: everything to `cluster`, no timeout,
/// the default retry policy of the Istio release modelled.
pub fn default_route(view: &MeshView<'_>, cluster: &str) -> Route {
    Route {
        name: "default".into(),
        matcher: RouteMatch::prefix("/"),
        action: Action::Route(RouteAction {
            idle_timeout: None,
            timeout: Duration::ZERO,
            retry_policy: Some(RetryPolicy::from(&vs::RetryPolicy::istio_default(
                &view.topo.mesh.istio_compat(),
            ))),
            ..RouteAction::to_cluster(cluster)
        }),
        fault: None,
    }
}

/// A VirtualService's `http:` rules as routes for `client` on `sp.port`.
pub(super) fn http_routes(
    view: &MeshView<'_>,
    client: &Pod,
    vs: &VirtualServicePolicy,
    sp: &ServicePort,
    gateways: GatewayFilter<'_>,
) -> Vec<Route> {
    vs.http
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let matches: Vec<RouteMatch> = if r.matches.is_empty() {
                vec![RouteMatch::prefix("/")]
            } else {
                r.matches
                    .iter()
                    .filter_map(|m| route_match(m, client, sp.port, gateways))
                    .collect()
            };
            let act = action(view, vs, r, sp);
            let fault = r.fault.as_ref().map(fault);
            let route_name = r
                .name
                .clone()
                .unwrap_or_else(|| format!("{}.{}.{i}", vs.name, vs.namespace));
            matches.into_iter().map(move |m| Route {
                name: route_name.clone(),
                matcher: m,
                action: act.clone(),
                fault,
            })
        })
        .collect()
}

/// A virtual host with one catch-all route to `cluster` (no timeout, no retries).
pub fn simple_vhost(name: &str, domains: Vec<String>, prefix: &str, cluster: &str) -> VirtualHost {
    VirtualHost {
        name: name.to_string(),
        domains,
        routes: vec![Route {
            name: "default".into(),
            matcher: RouteMatch::prefix(prefix),
            action: Action::Route(RouteAction {
                idle_timeout: None,
                timeout: Duration::ZERO,
                ..RouteAction::to_cluster(cluster)
            }),
            fault: None,
        }],
    }
}
