//! Istio sidecars: the outbound capture listener with a virtual host per service port (routes
//! from VirtualServices, see [`super::routes`]), `outbound|<port>|<subset>|<fqdn>` clusters,
//! and the inbound listener → `inbound|<port>||` → the app on loopback: an HTTP connection
//! manager, or a `tcp_proxy` when a service selecting the pod declares that port opaque TCP.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use meshtwin_model::policy::{LbPolicy, PoolSettings, UpstreamProtocol};
use meshtwin_model::topology::{AppBehaviour, Pod, Protocol, Service, ServicePort};
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::RouteTable;

use super::routes::{simple_vhost, virtual_host};
use super::{locality, service_entry};
use super::{
    outbound_listener, service_domains, MeshView, RoutesKey, PROXY_ACCEPT, PROXY_PROCESSING,
};

pub(super) fn istio_sidecar(view: &MeshView<'_>, pod: &Pod, workers: u32) -> ProxyConfig {
    let (mut clusters, routes) = outbound(view, pod);
    let mut listeners = vec![outbound_listener(
        "virtualOutbound",
        "outbound_0.0.0.0_15001",
        routes,
    )];
    if let Some(app) = &pod.app {
        let (cluster, listener) = inbound(view, pod, app);
        clusters.push(cluster);
        listeners.push(listener);
    }
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

/// The sidecar's outbound clusters and its capture listener's route table: from the view's
/// cache when a pod of the same [`super::OutboundKey`] (clusters) or [`RoutesKey`] (routes) was
/// configured already.
fn outbound(view: &MeshView<'_>, pod: &Pod) -> (Vec<ClusterConfig>, RouteTable) {
    let Some(cache) = view.cache else {
        return (outbound_clusters(view, pod), outbound_routes(view, pod));
    };
    let key = (
        pod.namespace.clone(),
        pod.cluster.clone(),
        pod.labels.clone(),
        pod.locality.clone(),
    );
    let cached = cache.outbound.borrow().get(&key).cloned();
    let clusters = cached.unwrap_or_else(|| {
        let built = outbound_clusters(view, pod);
        cache.outbound.borrow_mut().insert(key, built.clone());
        built
    });
    let key = routes_key(view, pod);
    let cached = cache.routes.borrow().get(&key).cloned();
    let routes = cached.unwrap_or_else(|| {
        let built = outbound_routes(view, pod);
        cache.routes.borrow_mut().insert(key, built.clone());
        built
    });
    (clusters, routes)
}

/// The client's namespace and labels that can change its capture route table: those a
/// VirtualService match names (`sourceNamespace`, `sourceLabels`; istiod drops a match whose
/// source does not fit the proxy). Clients that differ only elsewhere share the table.
fn routes_key(view: &MeshView<'_>, client: &Pod) -> RoutesKey {
    let matches = (view.policies.virtual_services.iter())
        .flat_map(|vs| &vs.http)
        .flat_map(|r| &r.matches);
    let mut namespace = None;
    let mut named = BTreeSet::new();
    for m in matches {
        if m.source_namespace.is_some() {
            namespace = Some(client.namespace.clone());
        }
        named.extend(m.source_labels.keys().map(String::as_str));
    }
    let labels = (client.labels.iter())
        .filter(|(k, _)| named.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (namespace, labels)
}

/// The outbound clusters of every HTTP service port and ServiceEntry.
fn outbound_clusters(view: &MeshView<'_>, pod: &Pod) -> Vec<ClusterConfig> {
    let services: Vec<&Service> = view.topo.services.iter().collect();
    let mut clusters = clusters_of(view, pod, &services);
    clusters.extend(service_entry::entries(view, pod).0);
    clusters
}

/// The capture listener's route table: a virtual host per HTTP service port and ServiceEntry.
fn outbound_routes(view: &MeshView<'_>, pod: &Pod) -> RouteTable {
    let mut vhosts = Vec::new();
    for svc in &view.topo.services {
        for sp in svc.ports.iter().filter(|p| p.protocol != Protocol::Tcp) {
            let domains = service_domains(svc, sp.port);
            vhosts.push(virtual_host(view, pod, svc, sp, domains));
        }
    }
    vhosts.extend(service_entry::entries(view, pod).1);
    RouteTable::new(vhosts)
}

/// The outbound clusters `istio_sidecar` gives `pod` for `services` (every HTTP port of each).
pub(super) fn clusters_of(
    view: &MeshView<'_>,
    pod: &Pod,
    services: &[&Service],
) -> Vec<ClusterConfig> {
    let mut clusters = Vec::new();
    for svc in services {
        for sp in svc.ports.iter().filter(|p| p.protocol != Protocol::Tcp) {
            clusters.extend(service_clusters(view, pod, svc, sp));
        }
    }
    clusters
}

/// The pod's inbound side: `inbound|<port>||` to its app on loopback (shaped by the pool of a
/// DestinationRule on a service selecting the pod) and the `virtualInbound` listener — an HTTP
/// connection manager, or a `tcp_proxy` when a service selecting the pod declares the app's
/// port opaque TCP.
fn inbound(view: &MeshView<'_>, pod: &Pod, app: &AppBehaviour) -> (ClusterConfig, ListenerConfig) {
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
    // A port a service declares as opaque TCP gets a tcp_proxy inbound chain.
    let tcp = view.topo.services.iter().any(|s| {
        view.topo.endpoints_of(s, std::slice::from_ref(pod)).len() == 1
            && s.ports
                .iter()
                .any(|p| p.target_port == app.port && p.protocol == Protocol::Tcp)
    });
    let cluster = ClusterConfig {
        name: name.clone(),
        endpoints: vec![Endpoint::new(
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), app.port),
            pod.name.clone(),
        )]
        .into(),
        protocol: if tcp {
            UpstreamProtocol::Tcp
        } else {
            UpstreamProtocol::Http1
        },
        pool,
        lb_policy: LbPolicy::LeastRequest,
        // Istio does not apply outlier detection to inbound clusters.
        outlier_detection: None,
        locality_weights: Default::default(),
        // Istio configures no active health checks (istiod `pilot/pkg/networking/core/cluster_builder.go` (no active health checks)).
        health_check: None,
    };
    let listener = ListenerConfig {
        idle_timeout: None,
        name: "virtualInbound".into(),
        address: view.addr(&pod.name, app.port),
        // istiod: the HTTP connection manager's `inbound_0.0.0.0_<port>`, a tcp_proxy's
        // cluster name.
        stat_prefix: if tcp {
            name.clone()
        } else {
            format!("inbound_0.0.0.0_{}", app.port)
        },
        server_name: "istio-envoy".into(),
        kind: if tcp {
            ListenerKind::tcp_to(&name)
        } else {
            ListenerKind::Http {
                codec: Codec::Http1,
                routes: RouteTable::new(vec![simple_vhost(
                    "inbound|http",
                    vec!["*".into()],
                    "/",
                    &name,
                )]),
            }
        },
    };
    (cluster, listener)
}

/// `outbound|<port>||<fqdn>` for `svc:port` and one cluster per DestinationRule subset.
/// `outbound|<port>||<fqdn>` and its subset clusters as `client` (a sidecar or a gateway)
/// gets them: endpoints with Istio's locality priorities relative to the client.
pub(super) fn service_clusters(
    view: &MeshView<'_>,
    client: &Pod,
    svc: &Service,
    sp: &ServicePort,
) -> Vec<ClusterConfig> {
    let Some(cache) = view.cache else {
        return build_service_clusters(view, client, svc, sp);
    };
    let key = (
        client.locality.clone(),
        failover_labels(view, client, svc),
        svc.namespace.clone(),
        svc.name.clone(),
        sp.port,
    );
    if let Some(c) = cache.clusters.borrow().get(&key) {
        return c.clone();
    }
    let built = build_service_clusters(view, client, svc, sp);
    cache.clusters.borrow_mut().insert(key, built.clone());
    built
}

/// The client's labels that can change its clusters of `svc`: those a `failoverPriority` of
/// the service's DestinationRule names (top level, port level or subset). Every other label
/// leaves istiod's priorities as they are, so clients that differ only there share clusters.
fn failover_labels(view: &MeshView<'_>, client: &Pod, svc: &Service) -> BTreeMap<String, String> {
    let Some(dr) = view.destination_rule(svc) else {
        return BTreeMap::new();
    };
    let policies =
        std::iter::once(&dr.traffic_policy).chain(dr.subsets.iter().map(|s| &s.traffic_policy));
    let named: BTreeSet<&str> = policies
        .flat_map(|tp| {
            std::iter::once(&tp.locality_lb).chain(tp.port_level.values().map(|p| &p.locality_lb))
        })
        .flatten()
        .flat_map(|l| &l.failover_priority)
        .map(|p| p.split_once('=').map_or(p.as_str(), |(k, _)| k))
        .collect();
    (client.labels.iter())
        .filter(|(k, _)| named.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn build_service_clusters(
    view: &MeshView<'_>,
    client: &Pod,
    svc: &Service,
    sp: &ServicePort,
) -> Vec<ClusterConfig> {
    let (pool, lb_policy) = view.istio_pool(svc, sp.port);
    let mut cluster = ClusterConfig {
        name: format!("outbound|{}||{}", sp.port, svc.fqdn()),
        endpoints: view.endpoints(svc, sp.target_port),
        protocol: UpstreamProtocol::for_port(sp.protocol),
        pool,
        lb_policy,
        outlier_detection: view.istio_outlier(svc, sp.port),
        locality_weights: Default::default(),
        // Istio configures no active health checks (istiod `pilot/pkg/networking/core/cluster_builder.go` (no active health checks)).
        health_check: None,
    };
    let labels = view.endpoint_labels(&cluster.endpoints);
    let setting = view.istio_locality(svc, sp.port);
    locality::apply(client, &mut cluster, &labels, setting.as_ref());
    let mut out = vec![cluster];
    out.extend(subset_clusters(view, client, svc, sp));
    out
}

/// One cluster per DestinationRule subset: `outbound|<port>|<subset>|<fqdn>`, the service's
/// endpoints whose labels match the subset's, and the subset's own traffic policy (its blocks
/// already merged over the rule's top-level ones by the config loader).
fn subset_clusters(
    view: &MeshView<'_>,
    client: &Pod,
    svc: &Service,
    sp: &ServicePort,
) -> Vec<ClusterConfig> {
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
                .map(|p| {
                    Endpoint::new(view.addr(&p.name, sp.target_port), p.name.clone())
                        .at(p.locality.clone())
                })
                .collect();
            let (outlier_detection, setting) = match tp.port_level.get(&sp.port) {
                Some(p) => (p.outlier_detection.clone(), p.locality_lb.clone()),
                None => (tp.outlier_detection.clone(), tp.locality_lb.clone()),
            };
            let mut cluster = ClusterConfig {
                name: format!("outbound|{}|{}|{}", sp.port, subset.name, svc.fqdn()),
                endpoints,
                protocol: UpstreamProtocol::for_port(sp.protocol),
                pool,
                lb_policy,
                outlier_detection,
                locality_weights: Default::default(),
                // Istio configures no active health checks (istiod `pilot/pkg/networking/core/cluster_builder.go` (no active health checks)).
                health_check: None,
            };
            let labels = view.endpoint_labels(&cluster.endpoints);
            locality::apply(client, &mut cluster, &labels, setting.as_ref());
            cluster
        })
        .collect()
}
