//! The control plane: turns topology + lowered policies into each proxy's configuration, the
//! way istiod and App Mesh's control plane place clusters (spec §1.1, §7.1–§7.2, §8.6).
//!
//! - Istio sidecar: one outbound listener (127.0.0.1:15001, stands for iptables capture) with a
//!   virtual host per service port → `outbound|<port>||<fqdn>`; an inbound listener on the pod
//!   IP per app port → `inbound|<port>||` → the app on 127.0.0.1. A DestinationRule's
//!   connection pool applies to the outbound cluster of every client **and** to the inbound
//!   cluster of the selected workloads.
//! - App Mesh virtual node: listener `ingress` on the pod IP → `cds_ingress_<mesh>_<vn>_<proto>_<port>`
//!   (the listener `connectionPool` lives here); egress clusters `cds_egress_…` per node.
//! - App Mesh virtual gateway: `ingress` → `cds_ingress_<mesh>_<vg>_self_redirect_http_15001`
//!   → its own 15001 listener, which routes `/paths/<node>` to that node's egress cluster.
//!   (GatewayRoute / VirtualRouter parsing arrives with the routing issue; this path-per-node
//!   table stands in for the walkthrough's routes.)

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use meshtwin_model::policy::{
    AppMeshKind, AppMeshListener, DestinationPolicy, LbPolicy, MeshPolicies, PoolSettings,
    Thresholds, UpstreamProtocol,
};
use meshtwin_model::topology::{Pod, Protocol, Service, ServicePort, Sidecar, Topology};
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::{RouteTable, VirtualHost};

use crate::xds_routes::{simple_vhost, virtual_host};

/// Where the outbound (capture) listener of a sidecar listens.
pub const OUTBOUND_PORT: u16 = 15001;

/// Envoy's processing time per request, per proxy: Istio's published data-plane overhead is
/// in the order of 0.1–0.2 ms per proxy hop at p50 (istio.io "Performance and scalability").
pub const PROXY_PROCESSING: Duration = Duration::from_micros(100);

/// Time a new downstream connection costs a proxy (accept, listener filters, connection
/// manager set-up). The Istio circuit-breaking walkthrough's own fortio output shows a local
/// 503 on a fresh socket taking 0.17–0.3 ms end to end (seed 001, 断路 section), which is
/// this plus [`PROXY_PROCESSING`].
pub const PROXY_ACCEPT: Duration = Duration::from_micros(100);

/// Pod IPs and everything the control plane reads.
pub struct MeshView<'a> {
    pub topo: &'a Topology,
    pub pods: &'a [Pod],
    pub ips: &'a BTreeMap<String, Ipv4Addr>,
    pub policies: &'a MeshPolicies,
}

impl MeshView<'_> {
    fn addr(&self, pod: &str, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.ips[pod]), port)
    }

    /// The DestinationRule whose host names `svc` (first in file order, as Istio takes the oldest).
    fn destination_rule(&self, svc: &Service) -> Option<&DestinationPolicy> {
        self.policies.destination_rules.iter().find(|dr| {
            self.topo
                .service(&dr.host, &dr.namespace)
                .is_some_and(|s| s.name == svc.name && s.namespace == svc.namespace)
        })
    }

    fn istio_pool(&self, svc: &Service, port: u16) -> (PoolSettings, LbPolicy) {
        match self.destination_rule(svc) {
            Some(dr) => match dr.traffic_policy.port_level.get(&port) {
                Some(p) => (p.pool.clone(), p.lb_policy),
                None => (dr.traffic_policy.pool.clone(), dr.traffic_policy.lb_policy),
            },
            None => (PoolSettings::istio_default(), LbPolicy::LeastRequest),
        }
    }

    fn endpoints(&self, svc: &Service, target_port: u16) -> Vec<Endpoint> {
        self.topo
            .endpoints_of(svc, self.pods)
            .into_iter()
            .map(|p| Endpoint {
                address: self.addr(&p.name, target_port),
                hostname: p.name.clone(),
            })
            .collect()
    }
}

/// Every proxy's configuration, by pod name.
pub fn build(view: &MeshView<'_>) -> BTreeMap<String, ProxyConfig> {
    view.pods
        .iter()
        .filter_map(|pod| proxy_config(view, pod).map(|c| (pod.name.clone(), c)))
        .collect()
}

/// One pod's proxy configuration (`None` for a pod without a proxy).
pub fn proxy_config(view: &MeshView<'_>, pod: &Pod) -> Option<ProxyConfig> {
    Some(match &pod.sidecar {
        Sidecar::None => return None,
        Sidecar::Istio { concurrency } => istio_sidecar(view, pod, *concurrency),
        Sidecar::AppMesh {
            mesh,
            virtual_node,
            concurrency,
        } => appmesh_node(view, pod, mesh, virtual_node, *concurrency),
        Sidecar::AppMeshGateway {
            mesh,
            virtual_gateway,
            concurrency,
        } => appmesh_gateway(view, pod, mesh, virtual_gateway, *concurrency),
    })
}

fn outbound_listener(
    name: &str,
    stat_prefix: &str,
    virtual_hosts: Vec<VirtualHost>,
) -> ListenerConfig {
    ListenerConfig {
        name: name.into(),
        address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), OUTBOUND_PORT),
        stat_prefix: stat_prefix.into(),
        server_name: "envoy".into(),
        kind: ListenerKind::Http {
            codec: Codec::Http1,
            routes: RouteTable { virtual_hosts },
        },
    }
}

/// Host names a client in any namespace may use for `svc:port`.
fn service_domains(svc: &Service, port: u16) -> Vec<String> {
    let names = [
        svc.fqdn(),
        format!("{}.{}.svc", svc.name, svc.namespace),
        format!("{}.{}", svc.name, svc.namespace),
        svc.name.clone(),
    ];
    let mut d: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
    if port == 80 {
        d.extend(names.iter().cloned());
    }
    d
}

fn istio_sidecar(view: &MeshView<'_>, pod: &Pod, workers: u32) -> ProxyConfig {
    let mut clusters = Vec::new();
    let mut vhosts = Vec::new();
    for svc in &view.topo.services {
        for sp in svc.ports.iter().filter(|p| p.protocol != Protocol::Tcp) {
            let name = format!("outbound|{}||{}", sp.port, svc.fqdn());
            let (pool, lb_policy) = view.istio_pool(svc, sp.port);
            clusters.push(ClusterConfig {
                name: name.clone(),
                endpoints: view.endpoints(svc, sp.target_port),
                protocol: UpstreamProtocol::for_port(sp.protocol),
                pool,
                lb_policy,
            });
            clusters.extend(subset_clusters(view, svc, sp));
            let _ = name;
            vhosts.push(virtual_host(
                view,
                pod,
                svc,
                sp,
                service_domains(svc, sp.port),
            ));
        }
    }
    let mut listeners = vec![outbound_listener(
        "virtualOutbound",
        "outbound_0.0.0.0_15001",
        vhosts,
    )];
    if let Some(app) = &pod.app {
        // The DR of a service selecting this pod also shapes its inbound cluster.
        let pool = view
            .topo
            .services
            .iter()
            .filter(|s| view.topo.endpoints_of(s, std::slice::from_ref(pod)).len() == 1)
            .filter(|s| s.ports.iter().any(|p| p.target_port == app.port))
            .find_map(|s| {
                view.destination_rule(s)
                    .map(|_| view.istio_pool(s, app.port).0)
            })
            .unwrap_or_else(PoolSettings::istio_default);
        let name = format!("inbound|{}||", app.port);
        clusters.push(ClusterConfig {
            name: name.clone(),
            endpoints: vec![Endpoint {
                address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), app.port),
                hostname: pod.name.clone(),
            }],
            protocol: UpstreamProtocol::Http1,
            pool,
            lb_policy: LbPolicy::LeastRequest,
        });
        listeners.push(ListenerConfig {
            name: "virtualInbound".into(),
            address: view.addr(&pod.name, app.port),
            stat_prefix: format!("inbound_0.0.0.0_{}", app.port),
            server_name: "istio-envoy".into(),
            kind: ListenerKind::Http {
                codec: Codec::Http1,
                routes: RouteTable {
                    virtual_hosts: vec![simple_vhost("inbound|http", vec!["*".into()], "/", &name)],
                },
            },
        });
    }
    ProxyConfig {
        node: pod.name.clone(),
        workers,
        listener_balance: view.topo.envoy.listener_balance,
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners,
        clusters,
    }
}

/// One cluster per DestinationRule subset: `outbound|<port>|<subset>|<fqdn>`, the service's
/// endpoints whose labels match the subset's, and the subset's own traffic policy (its blocks
/// already merged over the rule's top-level ones by the config loader).
fn subset_clusters(view: &MeshView<'_>, svc: &Service, sp: &ServicePort) -> Vec<ClusterConfig> {
    let Some(dr) = view.destination_rule(svc) else {
        return Vec::new();
    };
    dr.subsets
        .iter()
        .map(|subset| {
            let tp = &subset.traffic_policy;
            let (pool, lb_policy) = match tp.port_level.get(&sp.port) {
                Some(p) => (p.pool.clone(), p.lb_policy),
                None => (tp.pool.clone(), tp.lb_policy),
            };
            let endpoints = view
                .topo
                .endpoints_of(svc, view.pods)
                .into_iter()
                .filter(|p| {
                    subset
                        .labels
                        .iter()
                        .all(|(k, v)| p.labels.get(k) == Some(v))
                })
                .map(|p| Endpoint {
                    address: view.addr(&p.name, sp.target_port),
                    hostname: p.name.clone(),
                })
                .collect();
            ClusterConfig {
                name: format!("outbound|{}|{}|{}", sp.port, subset.name, svc.fqdn()),
                endpoints,
                protocol: UpstreamProtocol::for_port(sp.protocol),
                pool,
                lb_policy,
            }
        })
        .collect()
}

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
            .map(|p| Endpoint {
                address: view.addr(&p.name, l.port),
                hostname: p.name.clone(),
            })
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
        endpoints: vec![Endpoint {
            address: upstream,
            hostname: pod.name.clone(),
        }],
        protocol: l
            .map(|l| UpstreamProtocol::for_port(l.protocol))
            .unwrap_or(UpstreamProtocol::Http1),
        pool: appmesh_pool(l),
        lb_policy: LbPolicy::RoundRobin,
    };
    (listener, cluster)
}

fn appmesh_node(view: &MeshView<'_>, pod: &Pod, mesh: &str, vn: &str, workers: u32) -> ProxyConfig {
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
        listener_balance: view.topo.envoy.listener_balance,
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners: vec![ingress, outbound_listener("egress", "egress", vhosts)],
        clusters,
    }
}

fn appmesh_gateway(
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
        listener_balance: view.topo.envoy.listener_balance,
        processing_delay: PROXY_PROCESSING,
        accept_delay: PROXY_ACCEPT,
        listeners: vec![
            ingress,
            outbound_listener("self_redirect", "egress", vec![vhost]),
        ],
        clusters,
    }
}
