//! App Mesh: virtual nodes' `ingress` listener → `cds_ingress_…` (where the listener
//! `connectionPool` applies), served with the listener protocol's codec; `cds_egress_…`
//! clusters to the virtual nodes behind a node's `backends` only (see [`super::appmesh_routes`]
//! for the routes); virtual gateways' gateway routes at `ingress`, then the self-redirect
//! cluster to their own virtual hosts.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use meshtwin_model::policy::{
    AppMeshKind, AppMeshListener, CloudMapDiscovery, LbPolicy, PoolSettings, Thresholds,
    UpstreamProtocol,
};
use meshtwin_model::topology::{Pod, Protocol, Sidecar};
use meshtwin_model::traffic::appmesh::{AppMeshRef, AppMeshVirtualService};
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::{Action, RouteTable, VirtualHost, DEFAULT_ROUTE_TIMEOUT};

use super::routes::simple_vhost;
use super::{appmesh_routes, appmesh_tcp};
use super::{outbound_listener, MeshView, OUTBOUND_PORT, PROXY_ACCEPT, PROXY_PROCESSING};

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "http",
        Protocol::Http2 => "http2",
        Protocol::Grpc => "grpc",
        Protocol::Tcp => "tcp",
    }
}

fn appmesh_listener<'a>(
    view: &'a MeshView<'_>,
    kind: AppMeshKind,
    name: &str,
    ns: &str,
) -> Option<&'a AppMeshListener> {
    view.policies
        .appmesh_listeners
        .iter()
        .find(|l| l.kind == kind && l.k8s_name == name && l.namespace == ns)
}

fn appmesh_pool(l: Option<&AppMeshListener>) -> PoolSettings {
    PoolSettings {
        thresholds: l
            .map(|l| l.thresholds)
            .unwrap_or(Thresholds::APPMESH_DEFAULT),
        ..PoolSettings::appmesh_default()
    }
}

/// `cds_egress_<mesh>_<node>_<protocol>_<port>`: a client's cluster to node listener `l`.
fn egress_name(mesh: &str, l: &AppMeshListener) -> String {
    format!(
        "cds_egress_{mesh}_{}_{}_{}",
        l.aws_name,
        proto_name(l.protocol),
        l.port
    )
}

/// The egress cluster to node listener `l`: the pods of the node.
fn egress_cluster(view: &MeshView<'_>, mesh: &str, l: &AppMeshListener) -> ClusterConfig {
    let endpoints = view
        .pods
        .iter()
        .filter(|p| match &l.cloud_map {
            None => matches!(&p.sidecar, Sidecar::AppMesh { virtual_node, mesh: m, .. } if *virtual_node == l.k8s_name && m == mesh && p.namespace == l.namespace),
            Some(cm) => cloud_map_instance(view, p, mesh, cm),
        })
        .map(|p| Endpoint::new(view.addr(&p.name, l.port), p.name.clone()).at(p.locality.clone()))
        .collect();
    ClusterConfig {
        name: egress_name(mesh, l),
        endpoints,
        protocol: UpstreamProtocol::for_port(l.protocol),
        pool: PoolSettings::appmesh_default(),
        lb_policy: LbPolicy::RoundRobin,
        // A virtual node's outlierDetection and healthCheck apply on its clients' egress
        // clusters: every client Envoy checks the node's endpoints (App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh), App Mesh listener `outlierDetection` (docs/guide.md, App Mesh)).
        outlier_detection: l.outlier_detection.clone(),
        locality_weights: Default::default(),
        health_check: l.health_check.clone(),
    }
}

/// Whether `pod` is an instance `cm` discovers: the App Mesh controller registers each pod of a
/// Cloud Map virtual node in that node's Cloud Map service with the pod's labels as instance
/// attributes (aws-app-mesh-controller-for-k8s, `pkg/cloudmap`), and discovery keeps the
/// instances carrying every listed attribute.
fn cloud_map_instance(view: &MeshView<'_>, pod: &Pod, mesh: &str, cm: &CloudMapDiscovery) -> bool {
    let Sidecar::AppMesh {
        virtual_node,
        mesh: m,
        ..
    } = &pod.sidecar
    else {
        return false;
    };
    let registered = view.policies.appmesh_listeners.iter().any(|n| {
        n.kind == AppMeshKind::VirtualNode
            && m == mesh
            && n.k8s_name == *virtual_node
            && n.namespace == pod.namespace
            && n.cloud_map.as_ref().is_some_and(|c| {
                c.namespace_name == cm.namespace_name && c.service_name == cm.service_name
            })
    });
    registered
        && cm
            .attributes
            .iter()
            .all(|(k, v)| pod.labels.get(k) == Some(v))
}

/// What a client's egress gets for its virtual services.
struct Egress {
    /// The HTTP virtual services' virtual hosts.
    vhosts: Vec<VirtualHost>,
    /// The TCP virtual services' egress ([`appmesh_tcp`]).
    tcp: Vec<appmesh_tcp::TcpEgress>,
    /// The egress clusters both lead to.
    clusters: Vec<ClusterConfig>,
}

/// Virtual hosts (HTTP) and TCP routes for `services`, and the egress clusters they lead to.
fn egress(
    view: &MeshView<'_>,
    client: &Pod,
    mesh: &str,
    services: &[AppMeshVirtualService],
) -> Egress {
    let mut used = BTreeSet::new();
    let name = |l: &AppMeshListener| egress_name(mesh, l);
    let mut vhosts = Vec::new();
    let mut tcp = Vec::new();
    for vs in services {
        if appmesh_tcp::is_tcp(view, vs) {
            tcp.extend(appmesh_tcp::tcp_routes(view, vs, &mut used, &name));
        } else {
            vhosts.push(appmesh_routes::virtual_host(
                view, client, vs, &mut used, &name,
            ));
        }
    }
    let clusters = used
        .iter()
        .filter_map(|(n, ns, port)| {
            let r = AppMeshRef {
                name: n.clone(),
                namespace: ns.clone(),
            };
            appmesh_routes::node_listener(view, &r, Some(*port))
        })
        .map(|l| egress_cluster(view, mesh, l))
        .collect();
    Egress {
        vhosts,
        tcp,
        clusters,
    }
}

fn codec(p: Protocol) -> Codec {
    match p {
        Protocol::Http2 | Protocol::Grpc => Codec::Http2,
        _ => Codec::Http1,
    }
}

fn appmesh_ingress(
    view: &MeshView<'_>,
    pod: &Pod,
    l: Option<&AppMeshListener>,
    cluster: String,
    port: u16,
    upstream: SocketAddr,
) -> (ListenerConfig, ClusterConfig) {
    let protocol = l.map_or(Protocol::Http, |l| l.protocol);
    let listener = ListenerConfig {
        // The listener's `timeout.<protocol>.idle`: the connection manager's
        // `stream_idle_timeout`, or the tcp_proxy's `idle_timeout`.
        idle_timeout: l.and_then(|l| l.idle_timeout),
        name: "ingress".into(),
        address: view.addr(&pod.name, port),
        stat_prefix: "ingress".into(),
        server_name: "envoy".into(),
        // A tcp listener is a tcp_proxy to the local app.
        kind: match protocol {
            Protocol::Tcp => ListenerKind::tcp_to(&cluster),
            _ => ListenerKind::Http {
                codec: codec(protocol),
                routes: RouteTable::new(vec![ingress_vhost(l, &cluster)]),
            },
        },
    };
    let cluster = ClusterConfig {
        name: cluster,
        endpoints: vec![Endpoint::new(upstream, pod.name.clone())].into(),
        protocol: l
            .map(|l| UpstreamProtocol::for_port(l.protocol))
            .unwrap_or(UpstreamProtocol::Http1),
        pool: appmesh_pool(l),
        lb_policy: LbPolicy::RoundRobin,
        outlier_detection: None,
        locality_weights: Default::default(),
        // The node's own Envoy does not check its local app: its clients do (App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh)).
        health_check: None,
    };
    (listener, cluster)
}

/// A node's ingress route to its local app, timed out after the listener's
/// `timeout.<protocol>.perRequest`, else App Mesh's 15 s (walkthrough howto-k8s-timeout-policy).
fn ingress_vhost(l: Option<&AppMeshListener>, cluster: &str) -> VirtualHost {
    let mut vh = simple_vhost("ingress", vec!["*".into()], "/", cluster);
    for r in &mut vh.routes {
        if let Action::Route(a) = &mut r.action {
            a.timeout = l
                .and_then(|l| l.request_timeout)
                .unwrap_or(DEFAULT_ROUTE_TIMEOUT);
        }
    }
    vh
}

pub(super) fn appmesh_node(
    view: &MeshView<'_>,
    pod: &Pod,
    mesh: &str,
    vn: &str,
    workers: u32,
) -> ProxyConfig {
    let l = appmesh_listener(view, AppMeshKind::VirtualNode, vn, &pod.namespace);
    let port = l
        .map(|l| l.port)
        .or(pod.app.as_ref().map(|a| a.port))
        .unwrap_or(8080);
    let proto = l.map(|l| l.protocol).unwrap_or(Protocol::Http);
    let aws = l
        .map(|l| l.aws_name.clone())
        .unwrap_or_else(|| format!("{vn}_{}", pod.namespace));
    let name = format!("cds_ingress_{mesh}_{aws}_{}_{port}", proto_name(proto));
    let app = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let (ingress, ingress_cluster) = appmesh_ingress(view, pod, l, name, port, app);
    // A node reaches only the virtual services it lists as backends.
    let node = AppMeshRef {
        name: vn.to_string(),
        namespace: pod.namespace.clone(),
    };
    let services: Vec<AppMeshVirtualService> = view
        .policies
        .appmesh_routing
        .backends
        .iter()
        .filter(|b| b.node == node)
        .flat_map(|b| &b.virtual_services)
        .filter_map(|r| appmesh_routes::virtual_service(view, r).cloned())
        .collect();
    let out = egress(view, pod, mesh, &services);
    let mut clusters = vec![ingress_cluster];
    clusters.extend(out.clusters);
    let mut listeners = vec![
        ingress,
        outbound_listener("egress", "egress", RouteTable::new(out.vhosts)),
    ];
    listeners.extend(appmesh_tcp::tcp_egress_listeners(pod, out.tcp));
    ProxyConfig {
        node: pod.name.clone(),
        workers,
        envoy: view.topo.envoy_for(&pod.sidecar),
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners,
        clusters,
    }
}

pub(super) fn appmesh_gateway(
    view: &MeshView<'_>,
    pod: &Pod,
    mesh: &str,
    vg: &str,
    workers: u32,
) -> ProxyConfig {
    let l = appmesh_listener(view, AppMeshKind::VirtualGateway, vg, &pod.namespace);
    let port = l.map(|l| l.port).unwrap_or(8088);
    let aws = l
        .map(|l| l.aws_name.clone())
        .unwrap_or_else(|| format!("{vg}_{}", pod.namespace));
    let name = format!("cds_ingress_{mesh}_{aws}_self_redirect_http_{OUTBOUND_PORT}");
    let redirect = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), OUTBOUND_PORT);
    let (mut ingress, ingress_cluster) =
        appmesh_ingress(view, pod, l, name.clone(), port, redirect);
    let vg_ref = AppMeshRef {
        name: vg.to_string(),
        namespace: pod.namespace.clone(),
    };
    let grs = appmesh_routes::gateway_routes(view, pod, (&vg_ref, &aws, mesh), &name);
    if let ListenerKind::Http { routes: table, .. } = &mut ingress.kind {
        *table = RouteTable::new(vec![VirtualHost {
            name: "ingress".into(),
            domains: vec!["*".into()],
            routes: grs.routes,
        }]);
    }
    // Gateway routes are HTTP, HTTP/2 or gRPC: a TCP virtual service is never their target.
    let mut out = egress(view, pod, mesh, &grs.targets);
    // A route that keeps the request's host: its virtual service answers for that host too
    // (the first such route claims a domain).
    for (vs, domain) in grs.kept_hosts {
        if out.vhosts.iter().any(|v| v.domains.contains(&domain)) {
            continue;
        }
        if let Some(v) = out.vhosts.iter_mut().find(|v| v.name == vs) {
            v.domains.push(domain);
        }
    }
    let mut clusters = vec![ingress_cluster];
    clusters.extend(out.clusters);
    // The self-redirect listener speaks what the self-redirect cluster does.
    let mut self_redirect =
        outbound_listener("self_redirect", "egress", RouteTable::new(out.vhosts));
    if let ListenerKind::Http { codec: c, .. } = &mut self_redirect.kind {
        *c = codec(l.map_or(Protocol::Http, |l| l.protocol));
    }
    ProxyConfig {
        node: pod.name.clone(),
        workers,
        envoy: view.topo.envoy_for(&pod.sidecar),
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners: vec![ingress, self_redirect],
        clusters,
    }
}
