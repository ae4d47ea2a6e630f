//! App Mesh routing as the App Mesh control plane gives it to Envoy: a virtual service is a
//! virtual host (its name, with and without each port); a virtual-node provider is one route to
//! the node's egress cluster; a virtual-router provider is its routes (priority order) with
//! weighted targets. A route without `retryPolicy` gets App Mesh's default policy
//! ([`default_retry_policy`]); the route timeout is `timeout.perRequest`, else Envoy's 15 s.
//! Gateway routes match at a virtual gateway's `ingress` listener, rewrite the path and host,
//! and hand the request to the gateway's own virtual hosts (the self-redirect listener).

use std::collections::BTreeSet;
use std::time::Duration;

use meshtwin_model::policy::AppMeshListener;
use meshtwin_model::topology::{Pod, Protocol};
use meshtwin_model::traffic::appmesh::{
    default_retry_policy, AppMeshGatewayRoute, AppMeshProvider, AppMeshRef, AppMeshRoute,
    AppMeshVirtualService, Attachment,
};
use meshtwin_model::traffic::http::StringMatch;
use meshtwin_proxy::router::config::{
    Action, ClusterSpecifier, Route, RouteAction, VirtualHost, DEFAULT_ROUTE_TIMEOUT,
};
use meshtwin_proxy::router::matcher::{HeaderMatcher, PathMatcher, RouteMatch};
use meshtwin_proxy::router::retry::RetryPolicy;
use meshtwin_proxy::router::weighted::{ClusterWeight, WeightedClusters};

use super::routes::{route_match, value};
use super::MeshView;

/// The virtual service `r` names: by Kubernetes name and namespace, or by its App Mesh name
/// (the `describe-*` form names backends that way).
pub(super) fn virtual_service<'a>(
    view: &'a MeshView<'_>,
    r: &AppMeshRef,
) -> Option<&'a AppMeshVirtualService> {
    let vss = &view.policies.appmesh_routing.virtual_services;
    vss.iter()
        .find(|v| v.name == r.name && v.namespace == r.namespace)
        .or_else(|| vss.iter().find(|v| v.aws_name == r.name))
}

/// The listener of node `r` a target reaches (its `port`, else the node's first listener).
pub(super) fn node_listener<'a>(
    view: &'a MeshView<'_>,
    r: &AppMeshRef,
    port: Option<u16>,
) -> Option<&'a AppMeshListener> {
    view.policies.appmesh_listeners.iter().find(|l| {
        l.kind == meshtwin_model::policy::AppMeshKind::VirtualNode
            && l.k8s_name == r.name
            && l.namespace == r.namespace
            && port.is_none_or(|p| p == l.port)
    })
}

/// The virtual host a client has for `vs`; `egress` collects the node listeners its routes
/// lead to (their clusters are the client's egress clusters), named by `cluster`.
pub(super) fn virtual_host(
    view: &MeshView<'_>,
    client: &Pod,
    vs: &AppMeshVirtualService,
    egress: &mut BTreeSet<(String, String, u16)>,
    cluster: &dyn Fn(&AppMeshListener) -> String,
) -> VirtualHost {
    let mut ports = BTreeSet::new();
    let routes = match &vs.provider {
        AppMeshProvider::VirtualNode(n) => match node_listener(view, n, None) {
            Some(l) => {
                ports.insert(l.port);
                egress.insert((l.k8s_name.clone(), l.namespace.clone(), l.port));
                vec![Route {
                    name: "default".into(),
                    matcher: RouteMatch::prefix("/"),
                    action: Action::Route(forward(
                        ClusterSpecifier::Cluster(cluster(l).into()),
                        None,
                        None,
                    )),
                    fault: None,
                }]
            }
            None => Vec::new(),
        },
        AppMeshProvider::VirtualRouter(r) => {
            let router = view
                .policies
                .appmesh_routing
                .virtual_routers
                .iter()
                .find(|v| v.name == r.name && v.namespace == r.namespace);
            match router {
                Some(router) => {
                    // tcp listeners and routes are the client's tcp_proxy (`appmesh_tcp`).
                    ports.extend(
                        router
                            .listeners
                            .iter()
                            .filter(|(_, p)| *p != Protocol::Tcp)
                            .map(|(p, _)| *p),
                    );
                    view.policies
                        .appmesh_routing
                        .routes_of(router)
                        .into_iter()
                        .filter(|r| r.protocol != Protocol::Tcp)
                        .filter_map(|r| router_route(view, client, r, egress, cluster))
                        .collect()
                }
                None => Vec::new(),
            }
        }
        AppMeshProvider::None => Vec::new(),
    };
    let mut domains = vec![vs.aws_name.clone()];
    domains.extend(ports.iter().map(|p| format!("{}:{p}", vs.aws_name)));
    VirtualHost {
        name: vs.aws_name.clone(),
        domains,
        routes,
    }
}

fn router_route(
    view: &MeshView<'_>,
    client: &Pod,
    r: &AppMeshRoute,
    egress: &mut BTreeSet<(String, String, u16)>,
    cluster: &dyn Fn(&AppMeshListener) -> String,
) -> Option<Route> {
    let mut weights = Vec::new();
    for t in &r.targets {
        let l = node_listener(view, &t.node, t.port)?;
        egress.insert((l.k8s_name.clone(), l.namespace.clone(), l.port));
        weights.push(ClusterWeight::new(&cluster(l), t.weight));
    }
    let spec = match weights.as_slice() {
        [one] => ClusterSpecifier::Cluster(one.name.clone().into()),
        _ => ClusterSpecifier::Weighted(WeightedClusters::new(weights)?),
    };
    let mut matcher = route_match(&r.matcher, client, r.matcher.port.unwrap_or(0), &|_| true)?;
    matcher.port = None;
    Some(Route {
        name: r.name.clone(),
        matcher,
        action: Action::Route(RouteAction {
            idle_timeout: r.idle_timeout,
            ..forward(spec, r.retries.as_ref(), r.timeout)
        }),
        fault: None,
    })
}

/// Forwarding with the route's retry policy (App Mesh's default when it has none) and timeout
/// (Envoy's 15 s when it has none).
fn forward(
    cluster: ClusterSpecifier,
    retries: Option<&meshtwin_model::traffic::http::RetryPolicy>,
    timeout: Option<Duration>,
) -> RouteAction {
    let policy = retries.cloned().unwrap_or_else(default_retry_policy);
    RouteAction {
        idle_timeout: None,
        cluster,
        timeout: timeout.unwrap_or(DEFAULT_ROUTE_TIMEOUT),
        retry_policy: Some(RetryPolicy::from(&policy)),
        mirror_policies: Vec::new(),
        host_rewrite: None,
        prefix_rewrite: None,
    }
}

/// Whether gateway `vg` (App Mesh name `aws_name`) takes gateway route `gr`: by the name the
/// JSON form gives, else by the gateway CRD's selectors (an unknown namespace's labels taken
/// as matching); a gateway given as JSON has no selectors and takes its mesh's CRD routes.
fn attached(
    view: &MeshView<'_>,
    vg: &AppMeshRef,
    aws_name: &str,
    mesh: &str,
    gr: &AppMeshGatewayRoute,
) -> bool {
    let routing = &view.policies.appmesh_routing;
    match routing.gateways.iter().find(|s| s.gateway == *vg) {
        Some(sel) => routing.attachment(sel, aws_name, gr) != Attachment::NotAttached,
        None => match &gr.gateway {
            Some(g) => g == aws_name,
            None => gr.mesh == mesh,
        },
    }
}

/// A virtual gateway's gateway routes (those it takes, priority order) at its `ingress`
/// listener: each rewrites path and host and goes to `self_redirect` (the gateway's own
/// virtual hosts). `vg` is the gateway, `aws_name` its App Mesh name.
pub(super) fn gateway_routes(
    view: &MeshView<'_>,
    gateway: &Pod,
    (vg, aws_name, mesh): (&AppMeshRef, &str, &str),
    self_redirect: &str,
) -> GatewayRoutes {
    let mut grs: Vec<_> = view
        .policies
        .appmesh_routing
        .gateway_routes
        .iter()
        .filter(|g| attached(view, vg, aws_name, mesh, g))
        .collect();
    grs.sort_by_key(|g| g.priority.unwrap_or(u32::MAX));
    let mut routes = Vec::new();
    let mut targets: Vec<AppMeshVirtualService> = Vec::new();
    let mut kept_hosts = Vec::new();
    for g in grs {
        if !g.hostname_rewrite {
            kept_hosts.push((vs_name(view, g), kept_host_domain(g.hostname.as_ref())));
        }
        let Some(vs) = virtual_service(view, &g.target) else {
            continue;
        };
        let Some(mut matcher) =
            route_match(&g.matcher, gateway, g.matcher.port.unwrap_or(0), &|_| true)
        else {
            continue;
        };
        matcher.port = None;
        if let Some(h) = &g.hostname {
            matcher.headers.push(match value(h) {
                Some(v) => HeaderMatcher::value(":authority", v),
                None => HeaderMatcher::present(":authority"),
            });
        }
        let action = RouteAction {
            idle_timeout: None,
            host_rewrite: g.hostname_rewrite.then(|| vs.aws_name.clone()),
            prefix_rewrite: g.prefix_rewrite.clone(),
            timeout: Duration::ZERO,
            ..RouteAction::to_cluster(self_redirect)
        };
        routes.extend(split_prefix(g, matcher).into_iter().map(|m| Route {
            name: g.name.clone(),
            matcher: m,
            action: Action::Route(action.clone()),
            fault: None,
        }));
        if !targets
            .iter()
            .any(|t| t.name == vs.name && t.namespace == vs.namespace)
        {
            targets.push(vs.clone());
        }
    }
    GatewayRoutes {
        routes,
        targets,
        kept_hosts: kept_hosts
            .into_iter()
            .filter_map(|(vs, d)| Some((vs?, d)))
            .collect(),
    }
}

/// App Mesh matches a rewritten prefix `/p` as the path `/p` or anything under `/p/`, so that
/// the default rewrite to `/` gives `/rest`, not `//rest`: the matches, under `/p/` first.
fn split_prefix(g: &AppMeshGatewayRoute, matcher: RouteMatch) -> Vec<RouteMatch> {
    match &matcher.path {
        PathMatcher::Prefix(p) if p != "/" && !p.ends_with('/') && g.prefix_rewrite.is_some() => {
            let under = RouteMatch {
                path: PathMatcher::Prefix(format!("{p}/")),
                ..matcher.clone()
            };
            let exact = RouteMatch {
                path: PathMatcher::Exact(p.clone()),
                ..matcher
            };
            vec![under, exact]
        }
        _ => vec![matcher],
    }
}

/// A virtual gateway's gateway routes, as [`gateway_routes`] builds them.
pub(super) struct GatewayRoutes {
    /// The `ingress` listener's routes.
    pub routes: Vec<Route>,
    /// The virtual services they target.
    pub targets: Vec<AppMeshVirtualService>,
    /// `(virtual service, domain)` for each route with `defaultTargetHostname: DISABLED`: the
    /// request keeps its own host into the self-redirect hop, where the virtual service's
    /// virtual host must answer for it — for the route's `hostname` match (exact name, or
    /// `*<suffix>`), else for any host (`*`).
    pub kept_hosts: Vec<(String, String)>,
}

fn vs_name(view: &MeshView<'_>, g: &AppMeshGatewayRoute) -> Option<String> {
    virtual_service(view, &g.target).map(|v| v.aws_name.clone())
}

/// The domain a kept host can be: the `hostname` match's exact name or `*<suffix>` (a suffix
/// match is lowered to the regex `.*<escaped suffix>`), else any host.
fn kept_host_domain(hostname: Option<&StringMatch>) -> String {
    match hostname {
        Some(StringMatch::Exact(h)) => h.clone(),
        Some(StringMatch::Regex(r)) if r.starts_with(".*") => {
            let mut out = String::from("*");
            let mut chars = r[2..].chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' {
                    chars.next().unwrap_or(c)
                } else {
                    c
                });
            }
            out
        }
        _ => "*".into(),
    }
}
