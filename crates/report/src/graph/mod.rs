//! The service graph of a run, from its trace: workloads as nodes, grouped by region, zone and
//! Kubernetes cluster; an edge for each caller → callee pair with its request count, error
//! share and p99 latency; edges whose hosts were ejected (or failed health checks) and edges
//! that carried failed-over traffic are marked.
//!
//! - [`build`]: the graph (a petgraph `DiGraph`) from the trace's access logs and requests;
//! - [`layout`]: deterministic positions — one band per group, columns by call depth;
//! - [`svg`]: a standalone SVG string (inline styles, no fonts or scripts to fetch) for
//!   embedding in HTML;
//! - [`legend`]: its legend, wrapped to the drawing's width.

use std::collections::{BTreeMap, BTreeSet};

use meshtwin_model::topology::Topology;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

pub mod build;
pub mod layout;
pub mod legend;
pub mod svg;

pub use build::service_graph;
pub use svg::render_svg;

/// Where a pod runs and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Place {
    pub workload: String,
    pub namespace: String,
    /// The Kubernetes cluster.
    pub cluster: String,
    pub region: String,
    pub zone: String,
}

/// Every pod of the topology, by name.
pub fn places(topo: &Topology) -> BTreeMap<String, Place> {
    topo.pods()
        .into_iter()
        .map(|p| {
            let place = Place {
                workload: p.workload,
                namespace: p.namespace,
                cluster: p.cluster,
                region: p.locality.region,
                zone: p.locality.zone,
            };
            (p.name, place)
        })
        .collect()
}

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A workload of the topology (its pods merged).
    Workload,
    /// A service whose requests reached no host (refused or failed before a host was picked),
    /// when its endpoints span several workloads or none.
    Service,
    /// A host outside the topology (a ServiceEntry endpoint).
    External,
}

/// The band a node is drawn in: `region / zone / cluster` (empty parts when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Group {
    pub region: String,
    pub zone: String,
    pub cluster: String,
}

impl Group {
    /// `region / zone / cluster`, leaving out empty parts; `mesh` when all are empty.
    pub fn label(&self) -> String {
        let parts: Vec<&str> = [&self.region, &self.zone, &self.cluster]
            .into_iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            "mesh".into()
        } else {
            parts.join(" / ")
        }
    }
}

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Workload, service or host name; unique in the graph.
    pub name: String,
    pub kind: NodeKind,
    pub group: Group,
}

/// Traffic from one node to another.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Edge {
    pub requests: u64,
    /// Requests answered 5xx or not at all.
    pub errors: u64,
    /// Each request's duration at the caller (ms), in trace order.
    pub latencies_ms: Vec<f64>,
    /// Callee hosts the caller's outlier detection ejected.
    pub ejected_hosts: BTreeSet<String>,
    /// Callee hosts the caller's active health checks marked unhealthy.
    pub unhealthy_hosts: BTreeSet<String>,
    /// Requests sent to a host of a lower priority (farther locality) than the best the
    /// caller knew: failed-over traffic.
    pub failover_requests: u64,
}

impl Edge {
    /// `errors / requests` (0 without requests).
    pub fn error_share(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    /// The nearest-rank 99th percentile of the latencies; `None` without requests.
    pub fn p99_ms(&self) -> Option<f64> {
        let mut l = self.latencies_ms.clone();
        if l.is_empty() {
            return None;
        }
        l.sort_by(f64::total_cmp);
        let rank = ((0.99 * l.len() as f64).ceil() as usize).clamp(1, l.len());
        Some(l[rank - 1])
    }

    /// Whether the caller took any callee host out of rotation.
    pub fn ejected(&self) -> bool {
        !self.ejected_hosts.is_empty() || !self.unhealthy_hosts.is_empty()
    }
}

/// A run's service graph.
#[derive(Debug, Clone)]
pub struct ServiceGraph {
    pub graph: DiGraph<Node, Edge>,
    /// Load requests that reached no proxy and named no upstream (socket failures): drawn
    /// nowhere, counted here.
    pub unattributed: u64,
}

impl ServiceGraph {
    /// The node named `name`.
    pub fn node(&self, name: &str) -> Option<NodeIndex> {
        self.graph
            .node_indices()
            .find(|i| self.graph[*i].name == name)
    }

    /// The edge `from → to`, by node names.
    pub fn edge(&self, from: &str, to: &str) -> Option<&Edge> {
        let e = self.graph.find_edge(self.node(from)?, self.node(to)?)?;
        Some(&self.graph[e])
    }

    /// Every edge as `(from, to, edge)`, in insertion (name) order.
    pub fn edges(&self) -> Vec<(&str, &str, &Edge)> {
        self.graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                Some((
                    self.graph[a].name.as_str(),
                    self.graph[b].name.as_str(),
                    &self.graph[e],
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
