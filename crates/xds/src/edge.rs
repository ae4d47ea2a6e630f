//! Tetrate Service Bridge gateways (seed 004; istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`, `source/common/router/config_impl.cc` `WeightedClusterEntry`, istiod `pilot/pkg/networking/core/route/retry/retry.go`): what TSB's control
//! plane makes of a `gateway.tsb.tetrate.io/v2` `Gateway` on the gateway pods it selects
//! (`workloadSelector`: namespace and labels).
//!
//! - **Ingress gateway** (`serviceDestination`): a listener on the server's port (the gateway
//!   Service's `targetPort`, as for Istio gateways) with a virtual host for `hostname`
//!   routing to `outbound|<port>||<fqdn>`. Every workload cluster is its own mesh — its istiod
//!   sees only its own pods — so a TSB-managed gateway's clusters hold only endpoints of its
//!   own Kubernetes cluster ([`cluster_scoped`]).
//! - **Edge gateway** (`clusterDestination`): the workload clusters whose ingress gateways
//!   have a TSB Gateway exposing the same hostname. `{}` (automatic) takes all of them, a
//!   named list only the named ones: one cluster `outbound|<port>||<hostname>` whose
//!   endpoints are those ingress-gateway pods, with Istio's locality priorities relative to
//!   the edge pod (same region first, a remote region only when the local ones fail — it
//!   needs outlier detection, istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`) and a retry policy retrying 503s on another host. A
//!   weighted list becomes weighted clusters `outbound|<port>|<cluster>|<hostname>`, one per
//!   workload cluster, without outlier detection: a cluster with no working ingress gateway
//!   answers 503 `no healthy upstream` (UH) and nothing fails over (`source/common/router/config_impl.cc` `WeightedClusterEntry`).

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::policy::{LbPolicy, OutlierDetection, PoolSettings, UpstreamProtocol};
use meshtwin_model::topology::{Pod, Sidecar};
use meshtwin_model::traffic::http as vs;
use meshtwin_model::traffic::tsb::{ClusterList, TsbGatewayPolicy, TsbHttpServer, TsbRoute};
use meshtwin_model::traffic::IstioCompat;
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::{
    Action, ClusterSpecifier, Route, RouteAction, RouteTable, VirtualHost,
};
use meshtwin_proxy::router::matcher::RouteMatch;
use meshtwin_proxy::router::retry::RetryPolicy;
use meshtwin_proxy::router::weighted::{ClusterWeight, WeightedClusters};

use super::gateway::listen_port;
use super::{locality, MeshView};

/// The TSB Gateways whose `workloadSelector` matches `pod`, in file order.
pub(super) fn selecting<'a>(view: &'a MeshView<'_>, pod: &Pod) -> Vec<&'a TsbGatewayPolicy> {
    view.policies
        .tsb_gateways
        .iter()
        .filter(|g| {
            g.namespace == pod.namespace
                && g.labels.iter().all(|(k, v)| pod.labels.get(k) == Some(v))
        })
        .collect()
}

/// Whether TSB manages `pod` as a gateway: its istiod then sees only its own cluster.
pub(super) fn cluster_scoped(view: &MeshView<'_>, pod: &Pod) -> bool {
    matches!(pod.sidecar, Sidecar::IstioGateway { .. }) && !selecting(view, pod).is_empty()
}

/// Edge outlier detection. TSB does not publish what it generates for the edge → ingress
/// hop, so these are Envoy's defaults (`source/common/upstream/outlier_detection_impl.cc` `DetectorConfig`: 5 consecutive 5xx — a connect failure
/// counts as one —, 10 s sweep, 30 s base ejection) with two changes failover needs:
/// `max_ejection_percent` 100 (with Envoy's 10 % a two-cluster edge could never eject,
/// `source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`, istiod `pilot/pkg/networking/core/cluster_traffic_policy.go` `applyOutlierDetection` — Istio's locality-failover task uses 100 too) and Istio's panic threshold
/// 0 whenever outlier detection is on (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::isHostSetInPanic`), so a dead priority spills instead of
/// panicking.
fn edge_outlier_detection() -> OutlierDetection {
    OutlierDetection {
        consecutive_5xx: Some(5),
        enforcing_consecutive_5xx: 100,
        consecutive_gateway_failure: Some(5),
        enforcing_consecutive_gateway_failure: 0,
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: Duration::from_secs(10),
        base_ejection_time: Duration::from_secs(30),
        max_ejection_time: None,
        max_ejection_percent: 100,
        enforcing_success_rate: 0,
        healthy_panic_threshold: Some(0),
    }
}

/// The route's retries: TSB's edge retries 503s on another host ("Envoy retries the request
/// to the other cluster", the guide's third failure mode) — Istio's default policy as it was
/// up to 1.23 (2 retries, 503s included, `previous_hosts`; istio/istio
/// `pilot/pkg/networking/core/route/retry/retry.go` `DefaultPolicy`). TSB's control plane
/// writes this route, not istiod's default, so it does not follow `mesh.istio`.
fn retry_policy() -> RetryPolicy {
    let tsb_edge = IstioCompat {
        default_retry_on_503: true,
        ..IstioCompat::CURRENT
    };
    RetryPolicy::from(&vs::RetryPolicy::istio_default(&tsb_edge))
}

fn route(name: &str, cluster: ClusterSpecifier) -> Route {
    Route {
        name: name.to_string(),
        matcher: RouteMatch::prefix("/"),
        action: Action::Route(RouteAction {
            cluster,
            timeout: Duration::ZERO,
            retry_policy: Some(retry_policy()),
            ..RouteAction::to_cluster("")
        }),
        fault: None,
    }
}

fn http_cluster(name: String, endpoints: EndpointList) -> ClusterConfig {
    ClusterConfig {
        name,
        endpoints,
        protocol: UpstreamProtocol::Http1,
        pool: PoolSettings::istio_default(),
        lb_policy: LbPolicy::LeastRequest,
        outlier_detection: None,
        locality_weights: Default::default(),
        health_check: None,
    }
}

/// Add the listeners (and the edge's clusters) of the TSB Gateways selecting `pod`.
pub(super) fn add_listeners(
    view: &MeshView<'_>,
    pod: &Pod,
    listeners: &mut Vec<ListenerConfig>,
    clusters: &mut Vec<ClusterConfig>,
) {
    for gw in selecting(view, pod) {
        for server in &gw.http {
            let Some(first) = server.routes.first() else {
                continue;
            };
            let routes = match first {
                TsbRoute::Service {
                    namespace,
                    fqdn,
                    port,
                } => service_route(view, server, namespace, fqdn, *port),
                TsbRoute::Clusters(list) => {
                    let (spec, mut built) = cluster_route(view, pod, server, list);
                    clusters.append(&mut built);
                    vec![route(&server.name, spec)]
                }
            };
            let vhost = VirtualHost {
                name: format!("{}:{}", server.hostname, server.port),
                domains: vec![
                    server.hostname.clone(),
                    format!("{}:{}", server.hostname, server.port),
                ],
                routes,
            };
            let listen = listen_port(view, pod, server.port);
            match listeners.iter_mut().find(|l| l.address.port() == listen) {
                Some(ListenerConfig {
                    kind: ListenerKind::Http { routes, .. },
                    ..
                }) => routes.push(vhost),
                Some(_) => {}
                None => listeners.push(ListenerConfig {
                    idle_timeout: None,
                    name: format!("0.0.0.0_{listen}"),
                    address: view.addr(&pod.name, listen),
                    stat_prefix: format!("outbound_0.0.0.0_{listen}"),
                    server_name: "istio-envoy".into(),
                    kind: ListenerKind::Http {
                        codec: Codec::Http1,
                        routes: RouteTable::new(vec![vhost]),
                    },
                }),
            }
        }
    }
}

/// An ingress gateway's route to `<namespace>/<fqdn>` (port: the given one, else the
/// service's only port).
fn service_route(
    view: &MeshView<'_>,
    server: &TsbHttpServer,
    namespace: &str,
    fqdn: &str,
    port: Option<u16>,
) -> Vec<Route> {
    let svc = view.topo.service(fqdn, namespace);
    let port = port
        .or_else(|| svc.and_then(|s| (s.ports.len() == 1).then(|| s.ports[0].port)))
        .unwrap_or(server.port);
    let name = svc.map_or_else(|| fqdn.to_string(), |s| s.fqdn());
    let cluster = format!("outbound|{port}||{name}");
    vec![route(
        &server.name,
        ClusterSpecifier::Cluster(cluster.into()),
    )]
}

/// The ingress-gateway pods (ready ones: `view.pods`) exposing `hostname` through a TSB
/// Gateway, by Kubernetes cluster, outside the edge's own cluster: (pod, listen port).
fn ingress_gateways<'a>(
    view: &'a MeshView<'_>,
    edge: &Pod,
    hostname: &str,
) -> BTreeMap<String, Vec<(&'a Pod, u16)>> {
    let mut out: BTreeMap<String, Vec<(&Pod, u16)>> = BTreeMap::new();
    for p in view.pods.iter().filter(|p| p.cluster != edge.cluster) {
        if !matches!(p.sidecar, Sidecar::IstioGateway { .. }) {
            continue;
        }
        let server = selecting(view, p).into_iter().find_map(|g| {
            g.http.iter().find(|s| {
                s.hostname == hostname && matches!(s.routes.first(), Some(TsbRoute::Service { .. }))
            })
        });
        if let Some(s) = server {
            let port = listen_port(view, p, s.port);
            out.entry(p.cluster.clone()).or_default().push((p, port));
        }
    }
    out
}

fn endpoints(view: &MeshView<'_>, pods: &[(&Pod, u16)]) -> EndpointList {
    pods.iter()
        .map(|(p, port)| {
            Endpoint::new(view.addr(&p.name, *port), p.name.clone()).at(p.locality.clone())
        })
        .collect()
}

/// The edge's cluster(s) for one server and how its route picks among them.
fn cluster_route(
    view: &MeshView<'_>,
    edge: &Pod,
    server: &TsbHttpServer,
    list: &ClusterList,
) -> (ClusterSpecifier, Vec<ClusterConfig>) {
    let gateways = ingress_gateways(view, edge, &server.hostname);
    let (host, port) = (&server.hostname, server.port);
    let names: Vec<&String> = match list {
        ClusterList::Automatic => gateways.keys().collect(),
        ClusterList::Named(names) => names.iter().collect(),
        ClusterList::Weighted(weighted) => {
            let mut built = Vec::new();
            let mut weights = Vec::new();
            for (cluster, weight) in weighted {
                let name = format!("outbound|{port}|{cluster}|{host}");
                let pods = gateways.get(cluster).map_or(&[][..], Vec::as_slice);
                built.push(http_cluster(name.clone(), endpoints(view, pods)));
                weights.push(ClusterWeight::new(&name, *weight));
            }
            let spec = WeightedClusters::new(weights).map_or(
                ClusterSpecifier::Cluster(String::new().into()),
                ClusterSpecifier::Weighted,
            );
            return (spec, built);
        }
    };
    let pods: Vec<(&Pod, u16)> = names
        .iter()
        .filter_map(|n| gateways.get(*n))
        .flatten()
        .copied()
        .collect();
    let name = format!("outbound|{port}||{host}");
    let mut cluster = http_cluster(name.clone(), endpoints(view, &pods));
    cluster.outlier_detection = Some(edge_outlier_detection());
    let labels = view.endpoint_labels(&cluster.endpoints);
    locality::apply(edge, &mut cluster, &labels, None);
    (ClusterSpecifier::Cluster(name.into()), vec![cluster])
}
