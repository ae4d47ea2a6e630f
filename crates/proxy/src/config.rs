//! What the control plane hands one proxy: its listeners (with their route tables, see
//! [`crate::router::config`]) and clusters (a tiny xDS).

use std::net::SocketAddr;

use meshtwin_model::policy::{LbPolicy, OutlierDetection, PoolSettings, UpstreamProtocol};

/// A whole proxy's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// The node name (the pod name in the twin).
    pub node: String,
    /// Envoy worker threads; each has its own connection pools.
    pub workers: u32,
    /// How new downstream connections are spread over the workers.
    pub listener_balance: meshtwin_model::topology::ListenerBalance,
    /// Time the proxy spends processing a request before routing it (Envoy's own latency).
    pub processing_delay: std::time::Duration,
    /// Time a new downstream connection spends in accept and the listener filter chain
    /// before its first request is read.
    pub accept_delay: std::time::Duration,
    pub listeners: Vec<ListenerConfig>,
    pub clusters: Vec<ClusterConfig>,
}

/// Downstream codec of an HTTP listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Http1,
    Http2,
}

/// A listener: an address and what to do with connections on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerConfig {
    pub name: String,
    pub address: SocketAddr,
    /// `http.<stat_prefix>.*` for the connection manager.
    pub stat_prefix: String,
    /// Value of the `server` header on responses and local replies (`envoy`, `istio-envoy`).
    pub server_name: String,
    pub kind: ListenerKind,
}

/// HTTP connection manager with routes, or an opaque TCP proxy to one cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerKind {
    Http {
        codec: Codec,
        routes: crate::router::config::RouteTable,
    },
    Tcp {
        cluster: String,
    },
}

/// One upstream endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: SocketAddr,
    /// Name shown in traces (the pod name in the twin).
    pub hostname: String,
}

/// An upstream cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// Envoy's cluster name as the mesh names it (`outbound|8000||httpbin.default.svc.cluster.local`).
    pub name: String,
    pub endpoints: Vec<Endpoint>,
    pub protocol: UpstreamProtocol,
    pub pool: PoolSettings,
    pub lb_policy: LbPolicy,
    /// Outlier detection (`None`: off).
    pub outlier_detection: Option<OutlierDetection>,
}
