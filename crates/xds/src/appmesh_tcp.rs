//! App Mesh TCP egress: a client's backend virtual service served over a `tcp` listener (a
//! virtual router's `tcp` listener with its `tcpRoute`, or a virtual node's `tcp` listener) is
//! a `tcp_proxy` on the client's Envoy, chosen by the connection's destination port, to the
//! target node's egress cluster — weighted clusters picked once per connection when the route
//! has several targets (`source/common/tcp_proxy/tcp_proxy.cc` `Filter::initializeUpstreamConnection`).
//!
//! App Mesh's egress listener (`lds_egress_0.0.0.0_15001`, fed by iptables) picks the filter
//! chain by the original destination; the twin stands for that with one listener per
//! destination port on the pod's loopback, `127.0.0.1:<port>`, where a `tcp://` load from an
//! App Mesh pod connects. A port that the pod's own app or the HTTP capture listener already
//! uses gets no TCP listener ([`tcp_egress_listeners`] skips it).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use meshtwin_model::policy::AppMeshListener;
use meshtwin_model::topology::{Pod, Protocol};
use meshtwin_model::traffic::appmesh::{AppMeshProvider, AppMeshVirtualService};
use meshtwin_proxy::config::{ListenerConfig, ListenerKind};
use meshtwin_proxy::router::config::ClusterSpecifier;
use meshtwin_proxy::router::weighted::{ClusterWeight, WeightedClusters};

use super::appmesh_routes::node_listener;
use super::{MeshView, OUTBOUND_PORT};

/// Stat prefix of every App Mesh TCP egress listener (`tcp.egress.*`).
pub const TCP_EGRESS_STAT_PREFIX: &str = "egress";

/// One TCP egress of a client: `(destination port, clusters, the route's `timeout.idle` — its
/// tcp_proxy `idle_timeout`)`.
pub(super) type TcpEgress = (u16, ClusterSpecifier, Option<std::time::Duration>);

/// The `(port, cluster, idle timeout)` a TCP virtual service gives a client: one per `tcp` listener of
/// its router (the first `tcpRoute` in priority order matching the port), or the provider
/// node's `tcp` listener. `egress` collects the node listeners reached, as for HTTP routes.
pub(super) fn tcp_routes(
    view: &MeshView<'_>,
    vs: &AppMeshVirtualService,
    egress: &mut BTreeSet<(String, String, u16)>,
    cluster: &dyn Fn(&AppMeshListener) -> String,
) -> Vec<TcpEgress> {
    let mut reach = |l: &AppMeshListener| {
        egress.insert((l.k8s_name.clone(), l.namespace.clone(), l.port));
        cluster(l)
    };
    match &vs.provider {
        AppMeshProvider::VirtualNode(n) => node_listener(view, n, None)
            .filter(|l| l.protocol == Protocol::Tcp)
            .map(|l| vec![(l.port, ClusterSpecifier::Cluster(reach(l).into()), None)])
            .unwrap_or_default(),
        AppMeshProvider::VirtualRouter(r) => {
            let Some(router) = view
                .policies
                .appmesh_routing
                .virtual_routers
                .iter()
                .find(|v| v.name == r.name && v.namespace == r.namespace)
            else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for (port, _) in router.listeners.iter().filter(|(_, p)| *p == Protocol::Tcp) {
                let routes = view.policies.appmesh_routing.routes_of(router);
                let route = routes.into_iter().find(|r| {
                    r.protocol == Protocol::Tcp && r.matcher.port.is_none_or(|p| p == *port)
                });
                let Some(route) = route else { continue };
                let mut weights = Vec::new();
                for t in &route.targets {
                    if let Some(l) = node_listener(view, &t.node, t.port) {
                        weights.push(ClusterWeight::new(&reach(l), t.weight));
                    }
                }
                let spec = match weights.as_slice() {
                    [] => continue,
                    [one] => ClusterSpecifier::Cluster(one.name.clone().into()),
                    _ => match WeightedClusters::new(weights) {
                        Some(w) => ClusterSpecifier::Weighted(w),
                        None => continue,
                    },
                };
                out.push((*port, spec, route.idle_timeout));
            }
            out
        }
        AppMeshProvider::None => Vec::new(),
    }
}

/// Whether `vs` is served over TCP (its routes become `tcp_proxy` listeners, not a virtual
/// host).
pub(super) fn is_tcp(view: &MeshView<'_>, vs: &AppMeshVirtualService) -> bool {
    match &vs.provider {
        AppMeshProvider::VirtualNode(n) => {
            node_listener(view, n, None).is_some_and(|l| l.protocol == Protocol::Tcp)
        }
        AppMeshProvider::VirtualRouter(r) => view
            .policies
            .appmesh_routing
            .virtual_routers
            .iter()
            .find(|v| v.name == r.name && v.namespace == r.namespace)
            .is_some_and(|v| {
                !v.listeners.is_empty() && v.listeners.iter().all(|(_, p)| *p == Protocol::Tcp)
            }),
        AppMeshProvider::None => false,
    }
}

/// The TCP egress listeners of `client` for `routes` (first virtual service wins a port);
/// ports the client's app or the HTTP capture listener hold are left out.
pub(super) fn tcp_egress_listeners(client: &Pod, routes: Vec<TcpEgress>) -> Vec<ListenerConfig> {
    let mut taken: BTreeSet<u16> = [OUTBOUND_PORT].into();
    taken.extend(client.app.as_ref().map(|a| a.port));
    routes
        .into_iter()
        .filter(|(port, _, _)| taken.insert(*port))
        .map(|(port, cluster, idle_timeout)| ListenerConfig {
            idle_timeout,
            name: format!("egress_tcp_{port}"),
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            stat_prefix: TCP_EGRESS_STAT_PREFIX.into(),
            server_name: "envoy".into(),
            kind: ListenerKind::Tcp { cluster },
        })
        .collect()
}
