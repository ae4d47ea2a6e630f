//! Tetrate Service Bridge `Gateway` (`gateway.tsb.tetrate.io/v2`), lowered: which gateway
//! pods it configures and, per HTTP server, where requests for its hostname go — to a
//! service in the gateway's own cluster (an ingress gateway, TSB's "tier 2") or to other
//! clusters' ingress gateways (an edge gateway, "tier 1"; seed 004). TSB translates it into
//! Istio resources in each cluster; the simulator's control plane places the result.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::SourceRef;

/// One TSB `Gateway`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsbGatewayPolicy {
    pub name: String,
    /// The TSB hierarchy it lives in (`organization/tenant/workspace/group`, parts that were
    /// not written left empty); with `name` it identifies the resource for apply / delete.
    pub scope: String,
    /// `spec.workloadSelector`: the gateway pods' Kubernetes namespace and labels.
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub http: Vec<TsbHttpServer>,
    pub source: SourceRef,
}

/// One `spec.http[]` server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsbHttpServer {
    pub name: String,
    /// The port on the gateway workload (or its Service's port).
    pub port: u16,
    pub hostname: String,
    /// `routing.rules[].route`, in order (the first one applies: rules carry no match in
    /// what the twin reads).
    pub routes: Vec<TsbRoute>,
}

/// Where a rule forwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TsbRoute {
    /// `clusterDestination`: other clusters' ingress gateways exposing the hostname.
    Clusters(ClusterList),
    /// `serviceDestination`: `host` is `<namespace>/<fqdn>`.
    Service {
        namespace: String,
        fqdn: String,
        port: Option<u16>,
    },
}

/// The three forms of `clusterDestination` (seed 004).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterList {
    /// `clusterDestination: {}`: every cluster with an ingress gateway whose Gateway exposes
    /// the same hostname.
    Automatic,
    /// Names without weights: like automatic, restricted to these clusters.
    Named(Vec<String>),
    /// Names with weights: traffic split strictly by weight, no failover.
    Weighted(Vec<(String, u32)>),
}
