//! App Mesh: virtual nodes' `ingress` listener → `cds_ingress_…` (where the listener
//! `connectionPool` applies) and `cds_egress_…` clusters; virtual gateways' self-redirect
//! cluster and their `/paths/<node>` routes.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use meshtwin_model::policy::{
    AppMeshKind, AppMeshListener, LbPolicy, PoolSettings, Thresholds, UpstreamProtocol,
};
use meshtwin_model::topology::{Pod, Protocol, Sidecar};
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::{RouteTable, VirtualHost};

use super::routes::simple_vhost;
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

/// Egress clusters (and routes) to every virtual node of `mesh`.
fn appmesh_egress(view: &MeshView<'_>, mesh: &str) -> Vec<(AppMeshListener, ClusterConfig)> {
    let mut out = Vec::new();
    for l in view
        .policies
        .appmesh_listeners
        .iter()
        .filter(|l| l.kind == AppMeshKind::VirtualNode && l.mesh == mesh)
    {
        let endpoints = view
            .pods
            .iter()
            .filter(|p| matches!(&p.sidecar, Sidecar::AppMesh { virtual_node, mesh: m, .. } if *virtual_node == l.k8s_name && m == mesh))
            .map(|p| Endpoint::new(view.addr(&p.name, l.port), p.name.clone()).at(p.locality.clone()))
            .collect();
        let cluster = ClusterConfig {
            name: format!(
                "cds_egress_{mesh}_{}_{}_{}",
                l.aws_name,
                proto_name(l.protocol),
                l.port
            ),
            endpoints,
            protocol: UpstreamProtocol::for_port(l.protocol),
            pool: PoolSettings::appmesh_default(),
            lb_policy: LbPolicy::RoundRobin,
            // A virtual node's outlierDetection and healthCheck apply on its clients' egress
            // clusters: every client Envoy checks the node's endpoints (spec §5.5, §7.3-§7.4).
            outlier_detection: l.outlier_detection.clone(),
            locality_weights: Default::default(),
            health_check: l.health_check.clone(),
        };
        out.push((l.clone(), cluster));
    }
    out
}

fn appmesh_ingress(
    view: &MeshView<'_>,
    pod: &Pod,
    l: Option<&AppMeshListener>,
    cluster: String,
    port: u16,
    upstream: SocketAddr,
) -> (ListenerConfig, ClusterConfig) {
    let listener = ListenerConfig {
        name: "ingress".into(),
        address: view.addr(&pod.name, port),
        stat_prefix: "ingress".into(),
        server_name: "envoy".into(),
        kind: ListenerKind::Http {
            codec: Codec::Http1,
            routes: RouteTable {
                virtual_hosts: vec![simple_vhost("ingress", vec!["*".into()], "/", &cluster)],
            },
        },
    };
    let cluster = ClusterConfig {
        name: cluster,
        endpoints: vec![Endpoint::new(upstream, pod.name.clone())],
        protocol: l
            .map(|l| UpstreamProtocol::for_port(l.protocol))
            .unwrap_or(UpstreamProtocol::Http1),
        pool: appmesh_pool(l),
        lb_policy: LbPolicy::RoundRobin,
        outlier_detection: None,
        locality_weights: Default::default(),
        // The node's own Envoy does not check its local app: its clients do (spec §5.5).
        health_check: None,
    };
    (listener, cluster)
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
    let mut clusters = vec![ingress_cluster];
    let mut vhosts = Vec::new();
    for (node, cluster) in appmesh_egress(view, mesh) {
        let mut domains = Vec::new();
        if let Some(h) = &node.dns_hostname {
            domains.push(format!("{h}:{}", node.port));
            domains.push(h.clone());
        }
        vhosts.push(simple_vhost(&cluster.name, domains, "/", &cluster.name));
        clusters.push(cluster);
    }
    ProxyConfig {
        node: pod.name.clone(),
        workers,
        envoy: view.topo.envoy_for(&pod.sidecar),
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners: vec![ingress, outbound_listener("egress", "egress", vhosts)],
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
    let (ingress, ingress_cluster) = appmesh_ingress(view, pod, l, name, port, redirect);
    let mut clusters = vec![ingress_cluster];
    let mut routes = Vec::new();
    for (node, cluster) in appmesh_egress(view, mesh) {
        let path = format!("/paths/{}", node.k8s_name);
        routes.extend(simple_vhost("", vec![], &path, &cluster.name).routes);
        clusters.push(cluster);
    }
    let vhost = VirtualHost {
        name: "gateway".into(),
        domains: vec!["*".into()],
        routes,
    };
    ProxyConfig {
        node: pod.name.clone(),
        workers,
        envoy: view.topo.envoy_for(&pod.sidecar),
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners: vec![
            ingress,
            outbound_listener("self_redirect", "egress", vec![vhost]),
        ],
        clusters,
    }
}
