//! Which pods can ever exchange a packet in a run. Only those become hosts of the simulated
//! network: a pod that no load, route or cluster can reach costs nothing, however many of
//! them the topology has (turmoil-net drains every host's egress on every scheduler pass).
//!
//! The walk is conservative: from each load's source, follow the first hop (the source's
//! sidecar routes the load's authority; without a sidecar, kube-proxy picks the service's
//! pods), then every route of every listener a reached (pod, port) has, to every endpoint of
//! every cluster those routes name. A packet to a pruned pod would be a bug in this walk, and
//! the network panics on it rather than dropping it silently.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use meshtwin_proxy::config::{ListenerKind, ProxyConfig};
use meshtwin_proxy::route::select_virtual_host;

use crate::loadgen::LoadTarget;

/// A (pod, port) a connection can arrive at.
type Node = (String, u16);

/// Pods reachable from the loads.
/// `config_of` builds a pod's proxy configuration; it is asked only about reached pods, so a
/// mesh of thousands of idle pods is never lowered in full.
pub fn reachable_pods(
    mut config_of: impl FnMut(&str) -> Option<ProxyConfig>,
    ips: &BTreeMap<String, Ipv4Addr>,
    loads: &[(String, LoadTarget)],
) -> (BTreeSet<String>, BTreeMap<String, ProxyConfig>) {
    let mut configs: BTreeMap<String, Option<ProxyConfig>> = BTreeMap::new();
    let mut config = |pod: &str| -> Option<ProxyConfig> {
        configs
            .entry(pod.to_string())
            .or_insert_with(|| config_of(pod))
            .clone()
    };
    let by_ip: BTreeMap<IpAddr, &str> = ips
        .iter()
        .map(|(p, ip)| (IpAddr::V4(*ip), p.as_str()))
        .collect();
    let node_of = |from: &str, addr: SocketAddr| -> Option<Node> {
        if addr.ip().is_loopback() {
            Some((from.to_string(), addr.port()))
        } else {
            by_ip.get(&addr.ip()).map(|p| (p.to_string(), addr.port()))
        }
    };
    let mut pods = BTreeSet::new();
    let mut queue: Vec<Node> = Vec::new();
    for (src, target) in loads {
        pods.insert(src.clone());
        match (config(src), target.connect.first()) {
            // The source's own sidecar: only the route for the load's authority is used.
            (Some(cfg), Some(addr)) if addr.ip().is_loopback() => {
                for cluster in routed_clusters(&cfg, addr.port(), Some(&target.authority)) {
                    for ep in endpoints(&cfg, &cluster) {
                        queue.extend(node_of(src, ep));
                    }
                }
            }
            _ => queue.extend(target.connect.iter().filter_map(|a| node_of(src, *a))),
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(node) = queue.pop() {
        if !seen.insert(node.clone()) {
            continue;
        }
        let (pod, port) = node;
        pods.insert(pod.clone());
        let Some(cfg) = config(&pod) else {
            continue;
        };
        for cluster in routed_clusters(&cfg, port, None) {
            for ep in endpoints(&cfg, &cluster) {
                queue.extend(node_of(&pod, ep));
            }
        }
    }
    let configs = configs
        .into_iter()
        .filter(|(pod, _)| pods.contains(pod))
        .filter_map(|(pod, c)| c.map(|c| (pod, c)))
        .collect();
    (pods, configs)
}

/// Clusters the listeners on `port` route to (only the virtual host of `authority`, if given).
fn routed_clusters(cfg: &ProxyConfig, port: u16, authority: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for l in cfg.listeners.iter().filter(|l| l.address.port() == port) {
        match &l.kind {
            ListenerKind::Http { virtual_hosts, .. } => {
                let hosts: Vec<_> = match authority {
                    Some(a) => select_virtual_host(virtual_hosts, a).into_iter().collect(),
                    None => virtual_hosts.iter().collect(),
                };
                out.extend(
                    hosts
                        .iter()
                        .flat_map(|v| v.routes.iter().map(|r| r.cluster.clone())),
                );
            }
            ListenerKind::Tcp { cluster } => out.push(cluster.clone()),
        }
    }
    out
}

fn endpoints(cfg: &ProxyConfig, cluster: &str) -> Vec<SocketAddr> {
    cfg.clusters
        .iter()
        .filter(|c| c.name == cluster)
        .flat_map(|c| c.endpoints.iter().map(|e| e.address))
        .collect()
}
