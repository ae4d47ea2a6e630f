//! Which pods can ever exchange a packet in a run. Only those become hosts of the simulated
//! network: a pod that no load, route, cluster or app call can reach costs nothing, however
//! many of them the topology has (turmoil-net drains every host's egress on every pass).
//!
//! The walk is conservative. Traffic *leaves* a pod from a load running on it or from its
//! app's calls: through its own sidecar (only the route for that authority is followed) or,
//! without a sidecar, straight to the service's pods. Traffic *arriving* at a (pod, port)
//! follows every route of every listener there to every endpoint of every cluster named, and
//! a reached pod's app calls leave from it in turn, and a reached proxy's active health checks
//! arrive at every endpoint of its health-checked clusters. A packet to a pruned pod would be a bug in
//! this walk: the network panics on it rather than dropping it silently.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;

use meshtwin_proxy::config::{ListenerKind, ProxyConfig};
use meshtwin_proxy::router::config::{Action, ClusterSpecifier};

use crate::loadgen::LoadTarget;

/// A (pod, port) a connection can arrive at.
type Node = (String, u16);

struct Walk<'a, C> {
    config_of: C,
    /// Each visited pod's configuration, built once (shared, not copied, per visit).
    configs: BTreeMap<String, Option<Rc<ProxyConfig>>>,
    by_ip: BTreeMap<IpAddr, &'a str>,
    pods: BTreeSet<String>,
    arrivals: Vec<Node>,
    departures: Vec<(String, LoadTarget)>,
}

impl<C: FnMut(&str) -> Option<ProxyConfig>> Walk<'_, C> {
    fn config(&mut self, pod: &str) -> Option<Rc<ProxyConfig>> {
        if !self.configs.contains_key(pod) {
            let c = (self.config_of)(pod);
            // A running proxy health-checks every endpoint of its checked clusters.
            for addr in c.iter().flat_map(health_checked) {
                let n = self.node_of(pod, addr);
                self.arrivals.extend(n);
            }
            self.configs.insert(pod.to_string(), c.map(Rc::new));
        }
        self.configs[pod].clone()
    }

    fn node_of(&self, from: &str, addr: SocketAddr) -> Option<Node> {
        if addr.ip().is_loopback() {
            Some((from.to_string(), addr.port()))
        } else {
            self.by_ip
                .get(&addr.ip())
                .map(|p| (p.to_string(), addr.port()))
        }
    }

    /// Traffic leaving `src` for `target`.
    fn depart(&mut self, src: &str, target: &LoadTarget) {
        self.pods.insert(src.to_string());
        match (self.config(src), target.connect.first()) {
            (Some(cfg), Some(addr)) if addr.ip().is_loopback() => {
                for cluster in routed_clusters(&cfg, addr.port(), Some(&target.authority)) {
                    for ep in endpoints(&cfg, &cluster) {
                        let n = self.node_of(src, ep);
                        self.arrivals.extend(n);
                    }
                }
            }
            _ => {
                let nodes: Vec<Node> = target
                    .connect
                    .iter()
                    .filter_map(|a| self.node_of(src, *a))
                    .collect();
                self.arrivals.extend(nodes);
            }
        }
    }

    /// Traffic arriving at `(pod, port)`.
    fn arrive(&mut self, (pod, port): Node) {
        self.pods.insert(pod.clone());
        let Some(cfg) = self.config(&pod) else {
            return;
        };
        for cluster in routed_clusters(&cfg, port, None) {
            for ep in endpoints(&cfg, &cluster) {
                let n = self.node_of(&pod, ep);
                self.arrivals.extend(n);
            }
        }
    }
}

/// Pods reachable from the loads, and the proxy configurations of those pods.
///
/// `config_of` builds a pod's proxy configuration and is asked only about reached pods, so a
/// mesh of thousands of idle pods is never lowered in full; `calls_of` lists where a pod's app
/// sends its own calls.
pub fn reachable_pods(
    config_of: impl FnMut(&str) -> Option<ProxyConfig>,
    calls_of: impl Fn(&str) -> Vec<LoadTarget>,
    ips: &BTreeMap<String, Ipv4Addr>,
    loads: &[(String, LoadTarget)],
) -> (BTreeSet<String>, BTreeMap<String, ProxyConfig>) {
    let mut w = Walk {
        config_of,
        configs: BTreeMap::new(),
        by_ip: ips
            .iter()
            .map(|(p, ip)| (IpAddr::V4(*ip), p.as_str()))
            .collect(),
        pods: BTreeSet::new(),
        arrivals: Vec::new(),
        departures: loads.to_vec(),
    };
    let (mut arrived, mut calling) = (BTreeSet::new(), BTreeSet::new());
    loop {
        if let Some((src, target)) = w.departures.pop() {
            w.depart(&src, &target);
        } else if let Some(node) = w.arrivals.pop() {
            if arrived.insert(node.clone()) {
                let pod = node.0.clone();
                w.arrive(node);
                if calling.insert(pod.clone()) {
                    w.departures
                        .extend(calls_of(&pod).into_iter().map(|t| (pod.clone(), t)));
                }
            }
        } else {
            break;
        }
    }
    let pods = w.pods;
    let configs = w
        .configs
        .into_iter()
        .filter(|(pod, _)| pods.contains(pod))
        .filter_map(|(pod, c)| c.map(|c| (pod, Rc::unwrap_or_clone(c))))
        .collect();
    (pods, configs)
}

/// Clusters the listeners on `port` route to (only the virtual host of `authority`, if given).
fn routed_clusters(cfg: &ProxyConfig, port: u16, authority: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for l in cfg.listeners.iter().filter(|l| l.address.port() == port) {
        match &l.kind {
            ListenerKind::Http { routes, .. } => {
                let vhosts = routes.virtual_hosts();
                let hosts: Vec<_> = match authority {
                    Some(a) => routes.virtual_host(a).into_iter().collect(),
                    None => vhosts.iter().collect(),
                };
                for r in hosts.iter().flat_map(|v| v.routes.iter()) {
                    let Action::Route(a) = &r.action else {
                        continue;
                    };
                    match &a.cluster {
                        ClusterSpecifier::Cluster(c) => out.push(c.to_string()),
                        ClusterSpecifier::Weighted(w) => {
                            out.extend(w.clusters().iter().map(|c| c.name.clone()))
                        }
                    }
                    // Mirrored requests reach the mirror cluster too.
                    out.extend(a.mirror_policies.iter().map(|m| m.cluster.clone()));
                }
            }
            ListenerKind::Tcp { cluster } => match cluster {
                ClusterSpecifier::Cluster(c) => out.push(c.to_string()),
                ClusterSpecifier::Weighted(w) => {
                    out.extend(w.clusters().iter().map(|c| c.name.clone()))
                }
            },
        }
    }
    out
}

/// Where the proxy's active health checks connect (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`).
fn health_checked(cfg: &ProxyConfig) -> Vec<SocketAddr> {
    cfg.clusters
        .iter()
        .filter_map(|c| c.health_check.as_ref().map(|hc| (c, hc.port)))
        .flat_map(|(c, port)| {
            c.endpoints
                .iter()
                .map(move |e| SocketAddr::new(e.address.ip(), port.unwrap_or(e.address.port())))
        })
        .collect()
}

fn endpoints(cfg: &ProxyConfig, cluster: &str) -> Vec<SocketAddr> {
    cfg.clusters
        .iter()
        .filter(|c| c.name == cluster)
        .flat_map(|c| c.endpoints.iter().map(|e| e.address))
        .collect()
}
