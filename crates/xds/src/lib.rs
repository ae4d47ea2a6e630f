//! The control plane: turns topology + lowered policies into each proxy's configuration, the
//! way istiod and App Mesh's control plane place clusters (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`, Istio `getDefaultCircuitBreakerThresholds`, App Mesh cluster names (docs/guide.md, App Mesh), istiod `pilot/pkg/networking/core/` sidecar listeners).
//!
//! - Istio sidecar: one outbound listener (127.0.0.1:15001, stands for iptables capture) with a
//!   virtual host per service port → `outbound|<port>||<fqdn>`; an inbound listener on the pod
//!   IP per app port → `inbound|<port>||` → the app on 127.0.0.1. A DestinationRule's
//!   connection pool applies to the outbound cluster of every client **and** to the inbound
//!   cluster of the selected workloads.
//! - Istio gateway pod (`istio-ingressgateway`): one listener per port of the `Gateway`s
//!   selecting it, TCP or HTTP, routed by the VirtualServices bound to them (see [`gateway`]);
//!   Tetrate Service Bridge ingress and edge gateways (see [`edge`]).
//! - App Mesh virtual node: listener `ingress` on the pod IP → `cds_ingress_<mesh>_<vn>_<proto>_<port>`
//!   (the listener `connectionPool` lives here); egress clusters `cds_egress_…` per node.
//! - App Mesh virtual gateway: `ingress` matches the mesh's GatewayRoutes (path and host
//!   rewritten) → `cds_ingress_<mesh>_<vg>_self_redirect_http_15001` → its own 15001 listener,
//!   whose virtual hosts are the targeted virtual services' routes (see [`appmesh_routes`]).
//!
//! Modules: [`istio`] (sidecars), [`gateway`] (Istio gateways), [`edge`] (Tetrate gateways),
//! [`appmesh`] (virtual nodes and gateways), [`appmesh_routes`] (App Mesh routing), [`appmesh_tcp`] (App Mesh TCP egress), [`routes`] (VirtualService → route tables),
//! [`service_entry`] (ServiceEntry clusters), [`locality`] (istiod's locality LB).
//! The simulator (`meshtwin-sim`) and `meshtwin proxy` both build configurations here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use meshtwin_model::policy::{
    DestinationPolicy, LbPolicy, LocalityLb, MeshPolicies, OutlierDetection, PoolSettings,
};
use meshtwin_model::topology::{Locality, Pod, Service, Sidecar, Topology};
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::RouteTable;

mod appmesh;
mod appmesh_routes;
mod appmesh_tcp;
mod edge;
pub mod gateway;
mod istio;
pub mod locality;
pub mod routes;
mod service_entry;

use appmesh::{appmesh_gateway, appmesh_node};
use gateway::istio_gateway;
use istio::istio_sidecar;

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
    /// Service clusters already built for this view (see [`ClusterCache`]), if shared.
    pub cache: Option<&'a ClusterCache>,
}

/// What a service's clusters depend on besides the view: the client's locality and the labels
/// its `failoverPriority` names (Istio's locality priorities are relative to them), the
/// service and the port.
pub type ClusterKey = (Locality, BTreeMap<String, String>, String, String, u16);

/// What an Istio sidecar's outbound clusters depend on besides the view: the client's
/// namespace, Kubernetes cluster, labels (`failoverPriority`) and locality (istiod's locality
/// priorities). Every pod of a workload in one zone shares it.
pub type OutboundKey = (String, String, BTreeMap<String, String>, Locality);

/// What an Istio sidecar's capture route table depends on besides the view: the client's
/// namespace when a VirtualService match names a `sourceNamespace`, and its labels that a
/// match's `sourceLabels` name. Without either, every sidecar of the push shares one table.
pub type RoutesKey = (Option<String>, BTreeMap<String, String>);

/// What one view (one push) has built so far, shared by the proxies it configures. istiod
/// caches generated configuration the same way, keyed by what the result depends on (its
/// route configurations: `pilot/pkg/networking/core/route/route_cache.go` `route.Cache`).
#[derive(Default)]
pub struct ClusterCache {
    /// Service clusters by [`ClusterKey`]: every pod of a workload gets the same clusters, so
    /// a push builds them once per locality (and failover labels), not per pod.
    clusters: RefCell<BTreeMap<ClusterKey, Vec<ClusterConfig>>>,
    /// An Istio sidecar's outbound clusters by [`OutboundKey`]: built once per workload and
    /// zone.
    outbound: RefCell<BTreeMap<OutboundKey, Vec<ClusterConfig>>>,
    /// An Istio sidecar's capture route table by [`RoutesKey`]: shared, not copied.
    routes: RefCell<BTreeMap<RoutesKey, RouteTable>>,
}

impl MeshView<'_> {
    pub(crate) fn addr(&self, pod: &str, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.ips[pod]), port)
    }

    /// The DestinationRule whose host names `svc` (first in file order, as Istio takes the oldest).
    pub(crate) fn destination_rule(&self, svc: &Service) -> Option<&DestinationPolicy> {
        self.policies.destination_rules.iter().find(|dr| {
            self.topo
                .service(&dr.host, &dr.namespace)
                .is_some_and(|s| s.name == svc.name && s.namespace == svc.namespace)
        })
    }

    pub(crate) fn istio_pool(&self, svc: &Service, port: u16) -> (PoolSettings, LbPolicy) {
        match self.destination_rule(svc) {
            Some(dr) => match dr.traffic_policy.port_level.get(&port) {
                Some(p) => (p.pool.clone(), p.lb_policy),
                None => (dr.traffic_policy.pool.clone(), dr.traffic_policy.lb_policy),
            },
            None => (PoolSettings::istio_default(), LbPolicy::LeastRequest),
        }
    }

    /// The DestinationRule's outlier detection for `svc:port` (port-level first).
    pub(crate) fn istio_outlier(&self, svc: &Service, port: u16) -> Option<OutlierDetection> {
        let dr = self.destination_rule(svc)?;
        match dr.traffic_policy.port_level.get(&port) {
            Some(p) => p.outlier_detection.clone(),
            None => dr.traffic_policy.outlier_detection.clone(),
        }
    }

    /// The DestinationRule's `localityLbSetting` for `svc:port` (port-level first).
    pub(crate) fn istio_locality(&self, svc: &Service, port: u16) -> Option<LocalityLb> {
        let dr = self.destination_rule(svc)?;
        match dr.traffic_policy.port_level.get(&port) {
            Some(p) => p.locality_lb.clone(),
            None => dr.traffic_policy.locality_lb.clone(),
        }
    }

    /// Labels (with Istio's topology labels) of the pods behind `endpoints`, by pod name.
    /// Endpoints come in pod order, so each search starts where the previous one ended: one
    /// pass over the pods per cluster, not one per endpoint.
    pub(crate) fn endpoint_labels(&self, endpoints: &[Endpoint]) -> Vec<BTreeMap<String, String>> {
        let n = self.pods.len();
        let mut from = 0;
        endpoints
            .iter()
            .map(|e| {
                let found = (0..n)
                    .map(|k| (from + k) % n)
                    .find(|&i| self.pods[i].name == e.hostname);
                match found {
                    Some(i) => {
                        from = i + 1;
                        locality::topology_labels(&self.pods[i])
                    }
                    None => BTreeMap::new(),
                }
            })
            .collect()
    }

    pub(crate) fn endpoints(&self, svc: &Service, target_port: u16) -> EndpointList {
        self.topo
            .endpoints_of(svc, self.pods)
            .into_iter()
            .map(|p| {
                Endpoint::new(self.addr(&p.name, target_port), p.name.clone())
                    .at(p.locality.clone())
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
        Sidecar::IstioGateway { concurrency } => istio_gateway(view, pod, *concurrency),
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

/// An endpoint-only (EDS) update of `pod`'s configuration in place: `pushed` — what the proxy
/// was last given under the same policies — gets the clusters of `services` rebuilt from the
/// view's endpoints; every other part is kept as it is. Istio pushes endpoint changes the same
/// way (`pilot/pkg/xds/eds.go`: an EDS-only push for the services whose endpoints changed, no
/// CDS / LDS / RDS rebuild). Returns whether a cluster changed.
///
/// `None` (and `pushed` untouched) when the result could differ from a full [`proxy_config`]
/// under the view: a proxy other than an Istio sidecar (gateways, App Mesh and Tetrate nodes
/// read endpoints in more places), ServiceEntries (their DNS endpoints are pods too), or a
/// cluster of `services` missing from `pushed`. The caller then builds the whole configuration.
pub fn endpoint_update(
    view: &MeshView<'_>,
    pod: &Pod,
    services: &[&Service],
    pushed: &mut ProxyConfig,
) -> Option<bool> {
    if !matches!(pod.sidecar, Sidecar::Istio { .. }) || !view.policies.service_entries.is_empty() {
        return None;
    }
    let rebuilt = istio::clusters_of(view, pod, services);
    let slots = (rebuilt.iter())
        .map(|c| pushed.clusters.iter().position(|o| o.name == c.name))
        .collect::<Option<Vec<usize>>>()?;
    let mut changed = false;
    for (c, i) in rebuilt.into_iter().zip(slots) {
        if pushed.clusters[i] != c {
            pushed.clusters[i] = c;
            changed = true;
        }
    }
    Some(changed)
}

pub(crate) fn outbound_listener(
    name: &str,
    stat_prefix: &str,
    routes: RouteTable,
) -> ListenerConfig {
    ListenerConfig {
        idle_timeout: None,
        name: name.into(),
        address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), OUTBOUND_PORT),
        stat_prefix: stat_prefix.into(),
        server_name: "envoy".into(),
        kind: ListenerKind::Http {
            codec: Codec::Http1,
            routes,
        },
    }
}

/// Host names a client in any namespace may use for `svc:port`.
pub(crate) fn service_domains(svc: &Service, port: u16) -> Vec<String> {
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
