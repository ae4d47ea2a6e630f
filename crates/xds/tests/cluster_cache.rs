//! The control plane's cluster cache (one build of a service's clusters per client locality)
//! gives every proxy exactly the configuration an uncached build gives it — also when a
//! DestinationRule's `failoverPriority` makes the clusters depend on the client's own labels,
//! and when two workloads of one zone differ only in labels no rule names. A sidecar's
//! outbound clusters are cached per workload and zone, its route table per the labels a
//! VirtualService's `sourceLabels` name: replicas share them, and those labels still tell
//! workloads apart.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::{Pod, Topology};
use meshtwin_proxy::config::{ListenerKind, ProxyConfig};
use meshtwin_xds::{build, ClusterCache, MeshView};

const TOPOLOGY: &str = "\
name: cache
latency: {sameZone: 100us, crossZone: 500us, crossRegion: 30ms}
regions:
  - name: r1
    zones:
      - name: z1
        clusters:
          - name: c1
            workloads:
              - {name: blue-client, replicas: 2, labels: {app: client, track: blue}, sidecar: istio}
              - {name: green-client, labels: {app: client, track: green}, sidecar: istio}
              - {name: canary-client, labels: {app: canary, track: blue}, sidecar: istio}
              - {name: web-blue, labels: {app: web, track: blue}, sidecar: istio, app: {port: 80}}
              - {name: web-green, labels: {app: web, track: green}, sidecar: istio, app: {port: 80}}
services:
  - {name: web, ports: [{name: http, port: 80}], selector: {app: web}}
";

const POLICIES: &str = "\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        failoverPriority: [track]
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
    - match: [{sourceLabels: {track: green}}]
      route: [{destination: {host: web}}]
      timeout: 2s
    - route: [{destination: {host: web}}]
";

fn configs(cached: bool) -> BTreeMap<String, ProxyConfig> {
    let topo: Topology = meshtwin_topology::parse_topology("topology.yaml", TOPOLOGY)
        .expect("the topology parses")
        .value;
    let policies: MeshPolicies = meshtwin_config::parse_policies("policies.yaml", POLICIES)
        .expect("the policies parse")
        .value;
    let pods: Vec<Pod> = topo.pods();
    let ips = (pods.iter().enumerate())
        .map(|(i, p)| (p.name.clone(), Ipv4Addr::from(0x0A00_0001u32 + i as u32)))
        .collect();
    let cache = ClusterCache::default();
    let view = MeshView {
        topo: &topo,
        pods: &pods,
        ips: &ips,
        policies: &policies,
        cache: cached.then_some(&cache),
    };
    build(&view)
}

/// The priority of each endpoint (by pod) of the `web` cluster as `client`'s proxy has it.
fn web_priorities(c: &BTreeMap<String, ProxyConfig>, client: &str) -> BTreeMap<String, u32> {
    let cluster = (c[client].clusters.iter())
        .find(|cl| cl.name == "outbound|80||web.default.svc.cluster.local")
        .expect("the web cluster");
    (cluster.endpoints.iter())
        .map(|e| (e.hostname.to_string(), e.priority))
        .collect()
}

#[test]
fn cached_clusters_are_the_clusters_each_client_would_be_built() {
    let (cached, uncached) = (configs(true), configs(false));
    assert_eq!(cached, uncached);
}

#[test]
fn failover_priority_labels_tell_clients_of_one_zone_apart() {
    let c = configs(true);
    let blue = web_priorities(&c, "blue-client-0");
    let green = web_priorities(&c, "green-client-0");
    assert_eq!((blue["web-blue-0"], blue["web-green-0"]), (0, 1));
    assert_eq!((green["web-blue-0"], green["web-green-0"]), (1, 0));
    // `app` differs but no rule names it: the same clusters as the blue client's.
    assert_eq!(web_priorities(&c, "canary-client-0"), blue);
}

/// The routes of the `web` virtual host on `client`'s capture listener.
fn web_routes(c: &BTreeMap<String, ProxyConfig>, client: &str) -> usize {
    let routes = (c[client].listeners.iter())
        .find_map(|l| match &l.kind {
            ListenerKind::Http { routes, .. } if l.name == "virtualOutbound" => Some(routes),
            _ => None,
        })
        .expect("the capture listener");
    (routes.virtual_hosts().iter())
        .find(|vh| vh.domains.iter().any(|d| d == "web"))
        .expect("the web virtual host")
        .routes
        .len()
}

#[test]
fn cached_route_tables_keep_source_labels_apart() {
    let c = configs(true);
    assert_eq!(web_routes(&c, "green-client-0"), 2);
    assert_eq!(web_routes(&c, "blue-client-0"), 1);
    assert_eq!(web_routes(&c, "blue-client-1"), 1);
    // `app` differs but no match names it: the blue client's table.
    assert_eq!(web_routes(&c, "canary-client-0"), 1);
    assert_eq!(c["blue-client-1"].node, "blue-client-1");
}
