//! What the control plane hands one proxy: its listeners (with their route tables, see
//! [`crate::router::config`]) and clusters (a tiny xDS).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use meshtwin_model::event::{EndpointInfo, Name};

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
            cluster: crate::router::config::ClusterSpecifier::Cluster(cluster.into()),
        }
    }
}

/// One upstream endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: SocketAddr,
    /// Name shown in traces (the pod name in the twin).
    pub hostname: Name,
    /// Where it runs (empty: unknown).
    pub locality: Locality,
    /// Its priority as the control plane assigned it (Istio's locality LB; 0 otherwise).
    pub priority: u32,
    /// `load_balancing_weight` (≥ 1).
    pub weight: u32,
}

impl Endpoint {
    /// An endpoint of weight 1 at priority 0 in no particular locality.
    pub fn new(address: SocketAddr, hostname: impl Into<Name>) -> Self {
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
    pub endpoints: EndpointList,
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

/// A cluster's endpoint set, shared: the control plane builds a service's list once per push
/// (per client locality and labels) and every proxy given the cluster — its configuration, the
/// cluster built from it, that cluster's hosts — holds that one list, as does the trace's
/// `endpoints` event, whose form of the list is made once ([`EndpointList::trace_info`]).
/// Reads as a slice; equal when the endpoints are.
#[derive(Clone)]
pub struct EndpointList(pub(crate) Arc<SharedEndpoints>);

pub(crate) struct SharedEndpoints {
    endpoints: Box<[Endpoint]>,
    trace_info: OnceLock<Arc<[EndpointInfo]>>,
}

impl EndpointList {
    /// Whether `other` is this very list (held twice), not merely a list of equal endpoints.
    pub fn is_shared_with(&self, other: &EndpointList) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The list as the trace's `endpoints` event shows it, made on first use and shared by
    /// every event of this list.
    pub fn trace_info(&self) -> Arc<[EndpointInfo]> {
        let info = self.0.trace_info.get_or_init(|| {
            (self.0.endpoints.iter())
                .map(|e| EndpointInfo {
                    address: e.address.to_string(),
                    host: e.hostname.to_string(),
                    locality: e.locality_name(),
                    priority: e.priority,
                })
                .collect()
        });
        info.clone()
    }
}

impl std::ops::Deref for EndpointList {
    type Target = [Endpoint];

    fn deref(&self) -> &[Endpoint] {
        &self.0.endpoints
    }
}

impl From<Vec<Endpoint>> for EndpointList {
    fn from(endpoints: Vec<Endpoint>) -> Self {
        Self(Arc::new(SharedEndpoints {
            endpoints: endpoints.into_boxed_slice(),
            trace_info: OnceLock::new(),
        }))
    }
}

impl FromIterator<Endpoint> for EndpointList {
    fn from_iter<I: IntoIterator<Item = Endpoint>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

impl PartialEq for EndpointList {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || **self == **other
    }
}

impl Eq for EndpointList {}

impl std::fmt::Debug for EndpointList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> EndpointList {
        let zone = Locality {
            region: "us-east".into(),
            zone: "us-east-a".into(),
            subzone: String::new(),
        };
        vec![Endpoint::new(([10, 0, 0, 1], 80).into(), "db-0").at(zone)].into()
    }

    #[test]
    fn every_holder_of_a_list_shares_its_trace_form() {
        let pushed = list();
        let given = pushed.clone();
        assert!(Arc::ptr_eq(&pushed.trace_info(), &given.trace_info()));
        let info = &pushed.trace_info()[0];
        assert_eq!(
            (
                info.address.as_str(),
                info.host.as_str(),
                info.locality.as_str()
            ),
            ("10.0.0.1:80", "db-0", "us-east/us-east-a")
        );
    }

    #[test]
    fn lists_are_equal_when_their_endpoints_are() {
        assert_eq!(list(), list());
        let mut other = list().to_vec();
        other[0].priority = 1;
        assert_ne!(list(), EndpointList::from(other));
    }
}
