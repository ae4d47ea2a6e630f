//! Istio gateways (`istio-ingressgateway`): a standalone Envoy whose listeners come from the
//! `Gateway` resources whose `selector` matches the pod's labels (an empty selector matches
//! every gateway pod), one listener per server port on the pod's IP — on the `targetPort` of
//! the gateway Service's port of that number (80 → 8080), as istiod builds them:
//!
//! - a TCP server (`TCP`, `TLS`, `MONGO`, `MYSQL`, `REDIS`) → a `tcp_proxy` whose cluster comes
//!   from the first VirtualService (file order) bound to that Gateway (`spec.gateways`, short
//!   names in the VirtualService's namespace or `namespace/name`) with a `tcp:` rule matching
//!   the port (`match[].port` unset or equal, `match[].gateways` unset or naming the Gateway)
//!   — several destinations are weighted clusters picked once per connection (istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`);
//!   no such rule: no listener (istiod builds no filter chain for it). Its stats are
//!   `tcp.<cluster>.*` for one destination, `tcp.<vs name>.<vs namespace>.*` for weighted
//!   clusters, as istiod names them;
//! - an HTTP server → an HTTP connection manager whose virtual hosts are the bound
//!   VirtualServices' `http:` rules, one virtual host per VirtualService with its hosts as
//!   domains (`*` matches any), only the match blocks naming no gateway or this one.
//!
//! Clusters are `outbound|<port>|<subset>|<fqdn>` for every service port, as for sidecars.
//! Tetrate Service Bridge `Gateway`s selecting the pod add their listeners ([`edge`]).

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::{Pod, Protocol, ServicePort};
use meshtwin_model::traffic::gateway::{GatewayPolicy, GatewayServer, TcpRoute};
use meshtwin_model::traffic::VirtualServicePolicy;
use meshtwin_proxy::config::*;
use meshtwin_proxy::router::config::{ClusterSpecifier, RouteTable, VirtualHost};
use meshtwin_proxy::router::weighted::{ClusterWeight, WeightedClusters};

use super::edge;
use super::istio::service_clusters;
use super::routes::{cluster_of, http_routes};
use super::{MeshView, PROXY_ACCEPT, PROXY_PROCESSING};

/// Server protocols istiod serves with a `tcp_proxy`.
const TCP_PROTOCOLS: &[&str] = &["TCP", "TLS", "MONGO", "MYSQL", "REDIS"];

/// The Gateways that configure `pod`, in file order.
pub fn gateways_selecting<'a>(policies: &'a MeshPolicies, pod: &Pod) -> Vec<&'a GatewayPolicy> {
    policies
        .gateways
        .iter()
        .filter(|g| g.selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)))
        .collect()
}

/// Whether `vs` names `gw` in `names` (`name` in the VirtualService's namespace, or `ns/name`).
fn names_gateway(names: &[String], vs: &VirtualServicePolicy, gw: &GatewayPolicy) -> bool {
    names.iter().any(|n| match n.split_once('/') {
        Some((ns, name)) => ns == gw.namespace && name == gw.name,
        None => vs.namespace == gw.namespace && *n == gw.name,
    })
}

/// Whether a server's `hosts` admit one of the VirtualService's hosts (`*`, `ns/*`,
/// `ns/host`, `*.suffix`).
fn hosts_admit(server: &GatewayServer, vs: &VirtualServicePolicy) -> bool {
    server.hosts.iter().any(|h| {
        let h = h.split_once('/').map_or(h.as_str(), |(_, host)| host);
        vs.hosts.iter().any(|v| {
            h == "*"
                || v == "*"
                || h == v
                || h.strip_prefix('*')
                    .is_some_and(|suffix| v.ends_with(suffix))
        })
    })
}

/// The VirtualServices bound to `gw` whose hosts the server admits, in file order.
pub fn bound_virtual_services<'a>(
    policies: &'a MeshPolicies,
    gw: &GatewayPolicy,
    server: &GatewayServer,
) -> Vec<&'a VirtualServicePolicy> {
    policies
        .virtual_services
        .iter()
        .filter(|vs| names_gateway(&vs.gateways, vs, gw) && hosts_admit(server, vs))
        .collect()
}

/// The first `tcp:` rule of `vs` that applies to connections on `port` of `gw`.
fn tcp_rule<'a>(
    vs: &'a VirtualServicePolicy,
    gw: &GatewayPolicy,
    port: u16,
) -> Option<&'a TcpRoute> {
    vs.tcp.iter().find(|r| {
        r.matches.is_empty()
            || r.matches.iter().any(|m| {
                m.port.is_none_or(|p| p == port)
                    && (m.gateways.is_empty() || names_gateway(&m.gateways, vs, gw))
            })
    })
}

/// The cluster(s) a TCP rule routes to, as a gateway's `tcp_proxy` gets them.
fn tcp_clusters(view: &MeshView<'_>, vs: &VirtualServicePolicy, r: &TcpRoute) -> ClusterSpecifier {
    let sp = |port: u16| ServicePort {
        name: String::new(),
        port,
        target_port: port,
        protocol: Protocol::Tcp,
    };
    let name = |d: &meshtwin_model::traffic::Destination| {
        cluster_of(view, vs, d, &sp(d.port.unwrap_or(0)))
    };
    match r.route.as_slice() {
        [one] => ClusterSpecifier::Cluster(name(&one.destination).into()),
        many => WeightedClusters::new(
            many.iter()
                .map(|d| ClusterWeight::new(&name(&d.destination), d.weight))
                .collect(),
        )
        .map_or(
            ClusterSpecifier::Cluster(String::new().into()),
            ClusterSpecifier::Weighted,
        ),
    }
}

/// Where a gateway pod listens for server port `number`: the `targetPort` of that port of a
/// Service selecting the pod (istio-ingressgateway's 80 → 8080), else `number` itself.
pub(super) fn listen_port(view: &MeshView<'_>, pod: &Pod, number: u16) -> u16 {
    view.topo
        .services
        .iter()
        .filter(|s| {
            !view
                .topo
                .endpoints_of(s, std::slice::from_ref(pod))
                .is_empty()
        })
        .flat_map(|s| &s.ports)
        .find(|p| p.port == number)
        .map_or(number, |p| p.target_port)
}

/// One gateway pod's configuration.
pub(super) fn istio_gateway(view: &MeshView<'_>, pod: &Pod, workers: u32) -> ProxyConfig {
    // A TSB-managed gateway's istiod sees only its own Kubernetes cluster (see [`edge`]).
    let own_cluster: Vec<Pod>;
    let scoped;
    let full = view;
    let view = if edge::cluster_scoped(view, pod) {
        own_cluster = view
            .pods
            .iter()
            .filter(|p| p.cluster == pod.cluster)
            .cloned()
            .collect();
        scoped = MeshView {
            pods: &own_cluster,
            // Other pods: clusters cached for the whole view do not apply.
            cache: None,
            ..*view
        };
        &scoped
    } else {
        view
    };
    let mut clusters: Vec<ClusterConfig> = view
        .topo
        .services
        .iter()
        .flat_map(|svc| {
            svc.ports
                .iter()
                .flat_map(|sp| service_clusters(view, pod, svc, sp))
        })
        .collect();
    let mut listeners: Vec<ListenerConfig> = Vec::new();
    for gw in gateways_selecting(view.policies, pod) {
        for server in &gw.servers {
            let listen = listen_port(view, pod, server.port.number);
            if listeners.iter().any(|l| l.address.port() == listen) {
                continue;
            }
            listeners.extend(server_listener(view, pod, gw, server, listen));
        }
    }
    // The edge gateway's clusters are other clusters' ingress gateways: TSB's management
    // plane, not the local istiod, knows them.
    edge::add_listeners(full, pod, &mut listeners, &mut clusters);
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

/// The listener of one gateway `server` on pod port `listen`: a `tcp_proxy` to the cluster of
/// the first bound VirtualService with a `tcp:` rule for the port (none without one), or an
/// HTTP connection manager with a virtual host per bound VirtualService.
fn server_listener(
    view: &MeshView<'_>,
    pod: &Pod,
    gw: &GatewayPolicy,
    server: &GatewayServer,
    listen: u16,
) -> Option<ListenerConfig> {
    let port = server.port.number;
    let bound = bound_virtual_services(view.policies, gw, server);
    let (kind, stat_prefix) = if TCP_PROTOCOLS.contains(&server.port.protocol.as_str()) {
        let (vs, rule) = bound
            .iter()
            .find_map(|vs| tcp_rule(vs, gw, port).map(|r| (*vs, r)))?;
        let cluster = tcp_clusters(view, vs, rule);
        // istiod: the cluster's name for one destination, `<vs>.<namespace>` for
        // weighted clusters (`buildOutboundNetworkFiltersWith*`).
        let stat_prefix = match &cluster {
            ClusterSpecifier::Cluster(c) => c.to_string(),
            ClusterSpecifier::Weighted(_) => format!("{}.{}", vs.name, vs.namespace),
        };
        (ListenerKind::Tcp { cluster }, stat_prefix)
    } else {
        let virtual_hosts = bound
            .iter()
            .map(|vs| gateway_virtual_host(view, pod, vs, gw, port))
            .collect();
        let kind = ListenerKind::Http {
            codec: Codec::Http1,
            routes: RouteTable::new(virtual_hosts),
        };
        (kind, format!("outbound_0.0.0.0_{listen}"))
    };
    Some(ListenerConfig {
        name: format!("0.0.0.0_{listen}"),
        address: view.addr(&pod.name, listen),
        stat_prefix,
        server_name: "istio-envoy".into(),
        kind,
        idle_timeout: None,
    })
}

/// The virtual host an Istio gateway pod has on HTTP server `port` for a VirtualService bound
/// to `gw`: the VirtualService's hosts as domains (`*` matches any), its `http:` rules whose
/// match blocks name no gateway or this one.
fn gateway_virtual_host(
    view: &MeshView<'_>,
    gateway_pod: &Pod,
    vs: &VirtualServicePolicy,
    gw: &GatewayPolicy,
    port: u16,
) -> VirtualHost {
    let sp = ServicePort {
        name: String::new(),
        port,
        target_port: port,
        protocol: Protocol::Http,
    };
    let names_gw = |gateways: &[String]| gateways.is_empty() || names_gateway(gateways, vs, gw);
    let domains = vs
        .hosts
        .iter()
        .flat_map(|h| match h.as_str() {
            "*" => vec!["*".to_string()],
            h => vec![h.to_string(), format!("{h}:{port}")],
        })
        .collect();
    VirtualHost {
        name: format!("{}.{}:{port}", vs.name, vs.namespace),
        domains,
        routes: http_routes(view, gateway_pod, vs, &sp, &names_gw),
    }
}
