//! Building the graph from the trace, in one pass in trace order:
//!
//! - every access-log line of a proxy calling out (not its `inbound|…` / App Mesh
//!   `cds_ingress_…` cluster to its own app) is a request from the proxy's workload to the
//!   upstream host's workload — or, when no host was picked (a circuit-breaker refusal, no
//!   healthy host), to the workload behind all of the cluster's endpoints, else to the
//!   service;
//! - a load's request whose outermost proxy is not its source pod (a client without a sidecar)
//!   adds the hop from the source to that proxy;
//! - `outlier` ejections and failed `health_check`s mark the caller → host edge;
//! - a request to a host of a lower priority than the best of the cluster's endpoints (at that
//!   moment) is failed-over traffic.

use std::collections::BTreeMap;

use meshtwin_model::event::{EndpointInfo, EventKind, HealthAction, OutlierAction, TraceEvent};
use meshtwin_model::trace::EventSource;
use petgraph::graph::DiGraph;

use super::{Edge, Group, Node, NodeKind, Place, ServiceGraph};
use crate::explain::diagnose::service_of;

/// The graph of `events`; `places` places each pod (see [`super::places`]).
pub fn service_graph(
    events: &(impl EventSource + ?Sized),
    places: &BTreeMap<String, Place>,
) -> ServiceGraph {
    let mut b = Builder::new(places);
    for e in events.events() {
        b.add(&e);
    }
    b.finish()
}

/// [`service_graph`] in a walk shared with other consumers: [`Builder::add`] each event in
/// order, then [`Builder::finish`].
pub struct Builder<'p> {
    places: &'p BTreeMap<String, Place>,
    nodes: BTreeMap<String, Node>,
    edges: BTreeMap<(String, String), Edge>,
    /// The current endpoints of each (proxy, cluster).
    members: BTreeMap<(String, String), std::sync::Arc<[EndpointInfo]>>,
    /// Hosts' localities from endpoint sets (for hosts outside the topology).
    localities: BTreeMap<String, String>,
    /// Per request id, the proxy of its latest (outermost) access-log line.
    outermost: BTreeMap<String, String>,
    unattributed: u64,
}

impl<'p> Builder<'p> {
    /// A graph whose pods `places` places.
    pub fn new(places: &'p BTreeMap<String, Place>) -> Self {
        Builder {
            places,
            nodes: BTreeMap::new(),
            edges: BTreeMap::new(),
            members: BTreeMap::new(),
            localities: BTreeMap::new(),
            outermost: BTreeMap::new(),
            unattributed: 0,
        }
    }

    /// The trace's next event.
    pub fn add(&mut self, e: &TraceEvent) {
        match &e.kind {
            EventKind::Endpoints {
                proxy,
                cluster,
                endpoints,
            } => {
                for ep in endpoints.iter() {
                    self.localities.insert(ep.host.clone(), ep.locality.clone());
                }
                self.members
                    .insert((proxy.clone(), cluster.clone()), endpoints.clone());
            }
            EventKind::AccessLog {
                proxy,
                cluster,
                upstream_host,
                request_id,
                status,
                duration_ms,
                ..
            } => {
                self.outermost.insert(request_id.clone(), proxy.to_string());
                let own = cluster.starts_with("inbound|")
                    || cluster.starts_with("cds_ingress_")
                    || upstream_host.as_deref() == Some(proxy.as_str());
                if !own {
                    self.call(
                        proxy,
                        cluster,
                        upstream_host.as_deref(),
                        *status,
                        *duration_ms,
                    );
                }
            }
            EventKind::Request {
                src_pod,
                request_id,
                upstream_pod,
                status,
                latency_ms,
                ..
            } => {
                let entry = self
                    .outermost
                    .get(request_id)
                    .cloned()
                    .or_else(|| upstream_pod.clone());
                match entry {
                    Some(p) if p == *src_pod => {}
                    Some(p) => {
                        let (from, to) = (self.pod_node(src_pod), self.pod_node(&p));
                        record(self.edge(from, to), *status, *latency_ms);
                    }
                    None => self.unattributed += 1,
                }
            }
            EventKind::Outlier {
                proxy,
                host,
                action,
                ..
            } if *action == OutlierAction::Ejected => {
                let (from, to) = (self.pod_node(proxy), self.pod_node(host));
                self.edge(from, to).ejected_hosts.insert(host.clone());
            }
            EventKind::HealthCheck {
                proxy,
                host,
                action,
                ..
            } if *action == HealthAction::Unhealthy => {
                let (from, to) = (self.pod_node(proxy), self.pod_node(host));
                self.edge(from, to).unhealthy_hosts.insert(host.clone());
            }
            _ => {}
        }
    }

    /// One proxy → upstream request.
    fn call(&mut self, proxy: &str, cluster: &str, host: Option<&str>, status: u16, ms: f64) {
        let key = (proxy.to_string(), cluster.to_string());
        let failover = host.is_some_and(|h| {
            let eps = self.members.get(&key).map_or(&[][..], |e| &e[..]);
            let best = eps.iter().map(|e| e.priority).min();
            let mine = eps.iter().find(|e| e.host == h).map(|e| e.priority);
            matches!((best, mine), (Some(b), Some(m)) if m > b)
        });
        let from = self.pod_node(proxy);
        let to = match host {
            Some(h) => self.pod_node(h),
            None => self.cluster_node(&key),
        };
        let edge = self.edge(from, to);
        record(edge, status, ms);
        edge.failover_requests += u64::from(failover);
    }

    fn edge(&mut self, from: String, to: String) -> &mut Edge {
        self.edges.entry((from, to)).or_default()
    }

    /// The node of a pod (or host), added when new; its name.
    fn pod_node(&mut self, pod: &str) -> String {
        let node = match self.place_of(pod) {
            Some(p) => Node {
                name: p.workload.clone(),
                kind: NodeKind::Workload,
                group: Group {
                    region: p.region.clone(),
                    zone: p.zone.clone(),
                    cluster: p.cluster.clone(),
                },
            },
            None => {
                let loc = self.localities.get(pod).cloned().unwrap_or_default();
                let mut parts = loc.split('/');
                Node {
                    name: pod.to_string(),
                    kind: NodeKind::External,
                    group: Group {
                        region: parts.next().unwrap_or("").to_string(),
                        zone: parts.next().unwrap_or("").to_string(),
                        cluster: String::new(),
                    },
                }
            }
        };
        let name = node.name.clone();
        self.nodes.entry(name.clone()).or_insert(node);
        name
    }

    /// A pod's place; a pod the topology does not list (a replica a timeline `scale` added)
    /// takes its workload's (the name without its `-<index>`).
    fn place_of(&self, pod: &str) -> Option<&Place> {
        self.places.get(pod).or_else(|| {
            let (workload, index) = pod.rsplit_once('-')?;
            index.parse::<u32>().ok()?;
            self.places.values().find(|p| p.workload == workload)
        })
    }

    /// Where a request that reached no host was headed: the one node behind all of the
    /// cluster's endpoints, else the service.
    fn cluster_node(&mut self, key: &(String, String)) -> String {
        let hosts: Vec<String> = self
            .members
            .get(key)
            .map(|eps| eps.iter().map(|e| e.host.clone()).collect())
            .unwrap_or_default();
        let mut names: Vec<String> = hosts.iter().map(|h| self.pod_node(h)).collect();
        names.sort();
        names.dedup();
        if let [one] = names.as_slice() {
            return one.clone();
        }
        let name = format!("{} (service)", service_of(&key.1));
        self.nodes.entry(name.clone()).or_insert(Node {
            name: name.clone(),
            kind: NodeKind::Service,
            group: Group::default(),
        });
        name
    }

    pub fn finish(self) -> ServiceGraph {
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        for (name, node) in self.nodes {
            index.insert(name, graph.add_node(node));
        }
        for ((from, to), edge) in self.edges {
            graph.add_edge(index[&from], index[&to], edge);
        }
        ServiceGraph {
            graph,
            unattributed: self.unattributed,
        }
    }
}

/// Count one request on an edge.
fn record(edge: &mut Edge, status: u16, ms: f64) {
    edge.requests += 1;
    edge.errors += u64::from(status == 0 || status >= 500);
    edge.latencies_ms.push(ms);
}
