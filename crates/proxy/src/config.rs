//! What the control plane hands one proxy: its listeners (with their route tables, see
//! [`crate::router::config`]) and clusters (a tiny xDS).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use meshtwin_model::policy::{
    HealthCheck, LbPolicy, OutlierDetection, PoolSettings, UpstreamProtocol,
};
use meshtwin_model::topology::Locality;

/// A whole proxy's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// The node name (the pod name in the twin).
    pub node: String,
    /// Envoy worker threads; each has its own connection pools.
    pub workers: u32,
    /// How new downstream connections are spread over the workers.
    /// Envoy-version switches (listener balance, outlier-detection rules).
    pub envoy: meshtwin_model::topology::EnvoySettings,
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
    /// HTTP: the connection manager's `stream_idle_timeout` — a request that sees no bytes
    /// either way for this long is answered 408 `SI` (a route's `idle_timeout` overrides it).
    /// TCP: the `tcp_proxy`'s `idle_timeout` — the connection is closed. `None`: off (the
    /// twin's default; Envoy's own defaults of 5 min / 1 h are not applied).
    pub idle_timeout: Option<std::time::Duration>,
}

/// HTTP connection manager with routes, or an opaque TCP proxy (`tcp_proxy`) to one cluster
/// or to weighted clusters, picked once per downstream connection (istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`).
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerKind {
    Http {
        codec: Codec,
        routes: crate::router::config::RouteTable,
    },
    Tcp {
        cluster: crate::router::config::ClusterSpecifier,
    },
}

impl ListenerKind {
    /// A TCP proxy to one cluster.
    pub fn tcp_to(cluster: &str) -> Self {
        ListenerKind::Tcp {
            cluster: crate::router::config::ClusterSpecifier::Cluster(cluster.to_string()),
        }
    }
}

/// One upstream endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: SocketAddr,
    /// Name shown in traces (the pod name in the twin).
    pub hostname: String,
    /// Where it runs (empty: unknown).
    pub locality: Locality,
    /// Its priority as the control plane assigned it (Istio's locality LB; 0 otherwise).
    pub priority: u32,
    /// `load_balancing_weight` (≥ 1).
    pub weight: u32,
}

impl Endpoint {
    /// An endpoint of weight 1 at priority 0 in no particular locality.
    pub fn new(address: SocketAddr, hostname: impl Into<String>) -> Self {
        Self {
            address,
            hostname: hostname.into(),
            locality: Locality::default(),
            priority: 0,
            weight: 1,
        }
    }

    /// The same endpoint in `locality`.
    pub fn at(mut self, locality: Locality) -> Self {
        self.locality = locality;
        self
    }

    /// `region/zone/subzone`, trailing empty parts left out.
    pub fn locality_name(&self) -> String {
        let l = &self.locality;
        let mut parts = vec![l.region.as_str(), l.zone.as_str(), l.subzone.as_str()];
        while parts.last() == Some(&"") {
            parts.pop();
        }
        parts.join("/")
    }
}

/// An upstream cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// Envoy's cluster name as the mesh names it (`outbound|8000||httpbin.default.svc.cluster.local`).
    pub name: String,
    /// The endpoint set, shared: the control plane builds a service's list once per push and
    /// every proxy given the cluster (and the cluster it builds from it) holds that one list.
    pub endpoints: Arc<[Endpoint]>,
    pub protocol: UpstreamProtocol,
    pub pool: PoolSettings,
    pub lb_policy: LbPolicy,
    /// Outlier detection (`None`: off).
    pub outlier_detection: Option<OutlierDetection>,
    /// Locality weights per (priority, locality) when the control plane sets
    /// `locality_weighted_lb_config` (Istio's `distribute` / explicit failover); empty: off.
    pub locality_weights: BTreeMap<(u32, Locality), u32>,
    /// Active health checking (`None`: off; App Mesh `healthCheck`, App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh)).
    pub health_check: Option<HealthCheck>,
}
