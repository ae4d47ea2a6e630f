//! Istio `ServiceEntry` hosts on a client sidecar (seed 002): one `outbound|<port>||<host>`
//! cluster per entry port, whose endpoints are the entry's endpoints resolved through the
//! twin's DNS (`resolution: DNS` — Envoy's `STRICT_DNS`: every address a name resolves to is
//! a host with that endpoint's locality, labels and port overrides), the DestinationRule for the
//! host (pool, LB, outlier detection, locality LB), and a virtual host for `host` / `host:port`
//! with the VirtualService's routes or Istio's default route.

use std::collections::BTreeMap;

use meshtwin_model::policy::{DestinationPolicy, LbPolicy, PoolSettings, UpstreamProtocol};
use meshtwin_model::topology::{Pod, Protocol, ServicePort};
use meshtwin_model::traffic::service_entry::{EntryPort, Resolution, ServiceEntryPolicy};
use meshtwin_proxy::config::{ClusterConfig, Endpoint};
use meshtwin_proxy::router::config::VirtualHost;

use super::locality;
use super::routes::{default_route, for_mesh, http_routes};
use super::MeshView;

/// The clusters and virtual hosts every ServiceEntry gives `client`.
pub(super) fn entries(view: &MeshView<'_>, client: &Pod) -> (Vec<ClusterConfig>, Vec<VirtualHost>) {
    let mut clusters = Vec::new();
    let mut vhosts = Vec::new();
    for se in &view.policies.service_entries {
        for host in &se.hosts {
            for port in &se.ports {
                let name = format!("outbound|{}||{host}", port.number);
                let dr = view
                    .policies
                    .destination_rules
                    .iter()
                    .find(|d| d.host == *host);
                let mut cluster = cluster(view, se, port, &name, dr);
                let labels = endpoint_labels(view, se, port);
                let setting =
                    dr.and_then(|d| match d.traffic_policy.port_level.get(&port.number) {
                        Some(p) => p.locality_lb.clone(),
                        None => d.traffic_policy.locality_lb.clone(),
                    });
                locality::apply(client, &mut cluster, &labels, setting.as_ref());
                clusters.push(cluster);
                vhosts.push(vhost(view, client, host, port, &name));
            }
        }
    }
    (clusters, vhosts)
}

fn protocol(p: &EntryPort) -> Protocol {
    match p.protocol.as_str() {
        "HTTP2" => Protocol::Http2,
        "GRPC" => Protocol::Grpc,
        "HTTP" => Protocol::Http,
        _ => Protocol::Tcp,
    }
}

/// The pods a name resolves to in the twin's DNS (workloads listing it under `dns:`).
pub(super) fn resolve<'a>(view: &'a MeshView<'_>, name: &str) -> Vec<&'a Pod> {
    view.pods
        .iter()
        .filter(|p| {
            view.topo
                .workloads
                .iter()
                .any(|w| w.name == p.workload && w.dns.iter().any(|d| d == name))
        })
        .collect()
}

/// Each entry endpoint's resolved pods, in order (DNS_ROUND_ROBIN keeps the first address).
fn resolved<'a>(view: &'a MeshView<'_>, se: &'a ServiceEntryPolicy) -> Vec<(usize, &'a Pod)> {
    let mut out = Vec::new();
    for (i, ep) in se.endpoints.iter().enumerate() {
        let pods = match se.resolution {
            Resolution::Dns => resolve(view, &ep.address),
            Resolution::DnsRoundRobin => resolve(view, &ep.address).into_iter().take(1).collect(),
            Resolution::Static => view
                .pods
                .iter()
                .filter(|p| view.ips[&p.name].to_string() == ep.address)
                .collect(),
            Resolution::None => Vec::new(),
        };
        out.extend(pods.into_iter().map(|p| (i, p)));
    }
    out
}

fn cluster(
    view: &MeshView<'_>,
    se: &ServiceEntryPolicy,
    port: &EntryPort,
    name: &str,
    dr: Option<&DestinationPolicy>,
) -> ClusterConfig {
    let endpoints = resolved(view, se)
        .into_iter()
        .map(|(i, pod)| {
            let ep = &se.endpoints[i];
            let mut e = Endpoint::new(
                view.addr(&pod.name, port.endpoint_port(ep)),
                pod.name.clone(),
            )
            .at(ep.locality.clone().unwrap_or_else(|| pod.locality.clone()));
            e.weight = ep.weight.unwrap_or(1).max(1);
            e
        })
        .collect();
    let (pool, lb_policy, outlier_detection) = match dr {
        Some(d) => match d.traffic_policy.port_level.get(&port.number) {
            Some(p) => (p.pool.clone(), p.lb_policy, p.outlier_detection.clone()),
            None => (
                d.traffic_policy.pool.clone(),
                d.traffic_policy.lb_policy,
                d.traffic_policy.outlier_detection.clone(),
            ),
        },
        None => (PoolSettings::istio_default(), LbPolicy::LeastRequest, None),
    };
    ClusterConfig {
        name: name.to_string(),
        endpoints,
        protocol: UpstreamProtocol::for_port(protocol(port)),
        pool,
        lb_policy,
        outlier_detection,
        locality_weights: Default::default(),
        // Istio configures no active health checks (istiod `pilot/pkg/networking/core/cluster_builder.go` (no active health checks)).
        health_check: None,
    }
}

/// Labels of the resolved endpoints (the entry endpoint's labels), in cluster order.
fn endpoint_labels(
    view: &MeshView<'_>,
    se: &ServiceEntryPolicy,
    _port: &EntryPort,
) -> Vec<BTreeMap<String, String>> {
    resolved(view, se)
        .into_iter()
        .map(|(i, _)| se.endpoints[i].labels.clone())
        .collect()
}

fn vhost(
    view: &MeshView<'_>,
    client: &Pod,
    host: &str,
    port: &EntryPort,
    cluster: &str,
) -> VirtualHost {
    let mut domains = vec![format!("{host}:{}", port.number)];
    if port.number == 80 {
        domains.push(host.to_string());
    }
    let sp = ServicePort {
        name: port.name.clone(),
        port: port.number,
        target_port: port.target_port.unwrap_or(port.number),
        protocol: protocol(port),
    };
    let vs = view.policies.virtual_services.iter().find(|vs| {
        (vs.gateways.is_empty() || vs.gateways.iter().any(|g| g == "mesh"))
            && vs.hosts.iter().any(|h| h == host)
    });
    let routes = match vs {
        Some(vs) => http_routes(view, client, vs, &sp, &for_mesh),
        None => vec![default_route(view, cluster)],
    };
    VirtualHost {
        name: format!("{host}:{}", port.number),
        domains,
        routes,
    }
}
