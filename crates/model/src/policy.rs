//! Mesh policy lowered from the users' Istio / App Mesh resources.
//!
//! Lowering applies the mesh's defaults (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`, Istio `getDefaultCircuitBreakerThresholds`, App Mesh listener `connectionPool` (docs/guide.md, App Mesh)): what comes out is what the control
//! plane would hand Envoy, minus the placement (which proxies get which cluster), which the
//! simulator's control plane decides from the topology.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::origin::Origins;
use crate::topology::Protocol;
use crate::SourceRef;

mod appmesh;
pub use appmesh::{AppMeshKind, AppMeshListener, CloudMapDiscovery};

/// Istio's "unlimited" circuit-breaker value (`math.MaxUint32`).
pub const ISTIO_UNLIMITED: u64 = 4_294_967_295;
/// App Mesh's default for unset pool fields.
pub const APPMESH_UNLIMITED: u64 = 2_147_483_647;

/// Envoy `circuit_breakers.thresholds` for one routing priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub max_connections: u64,
    pub max_pending_requests: u64,
    pub max_requests: u64,
    pub max_retries: u64,
    /// `track_remaining`: Envoy publishes `circuit_breakers.<priority>.remaining_*` gauges.
    #[serde(default)]
    pub track_remaining: bool,
}

impl Thresholds {
    /// Envoy's own defaults: 1024 / 1024 / 1024 / 3.
    pub const ENVOY_DEFAULT: Thresholds = Thresholds {
        max_connections: 1024,
        max_pending_requests: 1024,
        max_requests: 1024,
        max_retries: 3,
        track_remaining: false,
    };
    /// What Istio puts on every cluster it builds when the DestinationRule says nothing
    /// (istio/istio `getDefaultCircuitBreakerThresholds`, which a DestinationRule's connection
    /// pool settings then override field by field: `TrackRemaining: true` stays).
    pub const ISTIO_DEFAULT: Thresholds = Thresholds {
        max_connections: ISTIO_UNLIMITED,
        max_pending_requests: ISTIO_UNLIMITED,
        max_requests: ISTIO_UNLIMITED,
        max_retries: ISTIO_UNLIMITED,
        track_remaining: true,
    };
    /// App Mesh's defaults for unset fields.
    pub const APPMESH_DEFAULT: Thresholds = Thresholds {
        max_connections: APPMESH_UNLIMITED,
        max_pending_requests: APPMESH_UNLIMITED,
        max_requests: APPMESH_UNLIMITED,
        max_retries: APPMESH_UNLIMITED,
        track_remaining: false,
    };
}

/// Protocol Envoy speaks to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamProtocol {
    Http1,
    Http2,
    /// Opaque TCP (tcp_proxy).
    Tcp,
}

impl UpstreamProtocol {
    /// The upstream protocol Istio uses for a service port of this protocol (no h2 upgrade).
    pub fn for_port(p: Protocol) -> Self {
        match p {
            Protocol::Http => UpstreamProtocol::Http1,
            Protocol::Http2 | Protocol::Grpc => UpstreamProtocol::Http2,
            Protocol::Tcp => UpstreamProtocol::Tcp,
        }
    }
}

/// Envoy load-balancing policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LbPolicy {
    RoundRobin,
    LeastRequest,
    Random,
}

/// Connection-pool settings of one Envoy cluster, defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolSettings {
    /// DEFAULT-priority thresholds (the HIGH priority keeps Envoy's defaults).
    pub thresholds: Thresholds,
    /// Lifetime streams per upstream connection; `None` = unlimited.
    pub max_requests_per_connection: Option<u32>,
    #[serde(with = "crate::duration::ms")]
    pub connect_timeout: Duration,
    /// Idle upstream connections are closed after this long; `None` disables.
    #[serde(with = "crate::duration::opt_ms")]
    pub idle_timeout: Option<Duration>,
    /// HTTP/2 `max_concurrent_streams` per connection; `None` = Envoy's default (2^31−1).
    pub max_concurrent_streams: Option<u32>,
    /// Upgrade HTTP/1.1 ports to HTTP/2 upstream (`h2UpgradePolicy: UPGRADE`).
    pub h2_upgrade: bool,
}

impl PoolSettings {
    /// An Istio-built cluster with no DestinationRule: unlimited thresholds, mesh
    /// `connectTimeout` 10 s, idle timeout 1 h.
    pub fn istio_default() -> Self {
        Self {
            thresholds: Thresholds::ISTIO_DEFAULT,
            max_requests_per_connection: None,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(3600)),
            max_concurrent_streams: None,
            h2_upgrade: false,
        }
    }

    /// An App Mesh cluster with no listener connection pool.
    pub fn appmesh_default() -> Self {
        Self {
            thresholds: Thresholds::APPMESH_DEFAULT,
            max_requests_per_connection: None,
            connect_timeout: Duration::from_secs(1),
            idle_timeout: Some(Duration::from_secs(3600)),
            max_concurrent_streams: None,
            h2_upgrade: false,
        }
    }
}

/// Outlier detection as Envoy's `OutlierDetection`, after the mesh's mapping (istiod `pilot/pkg/networking/core/cluster_traffic_policy.go` `applyOutlierDetection`, App Mesh listener `outlierDetection` (docs/guide.md, App Mesh)).
/// Parsed and kept now; enforced by the outlier-detection issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutlierDetection {
    pub consecutive_5xx: Option<u32>,
    pub consecutive_gateway_failure: Option<u32>,
    pub consecutive_local_origin_failure: Option<u32>,
    pub split_external_local_origin_errors: bool,
    #[serde(with = "crate::duration::ms")]
    pub interval: Duration,
    #[serde(with = "crate::duration::ms")]
    pub base_ejection_time: Duration,
    #[serde(with = "crate::duration::opt_ms")]
    pub max_ejection_time: Option<Duration>,
    pub max_ejection_percent: u32,
    pub enforcing_consecutive_5xx: u32,
    pub enforcing_consecutive_gateway_failure: u32,
    pub enforcing_success_rate: u32,
    /// Panic threshold for the cluster (Istio: `minHealthPercent`, default 0 when outlier
    /// detection is present).
    pub healthy_panic_threshold: Option<u32>,
}

/// Active health checking (App Mesh `healthCheck`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub protocol: Protocol,
    pub path: Option<String>,
    pub port: Option<u16>,
    #[serde(with = "crate::duration::ms")]
    pub interval: Duration,
    #[serde(with = "crate::duration::ms")]
    pub timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

/// Istio `loadBalancer.localityLbSetting`, lowered (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`). Absent ⇒ the mesh default
/// (enabled, no distribute, failover by proximity).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalityLb {
    /// `enabled: false` turns locality load balancing off for this destination.
    pub enabled: Option<bool>,
    pub distribute: Vec<LocalityDistribute>,
    pub failover: Vec<LocalityFailover>,
    /// Label names (optionally `label=value`).
    pub failover_priority: Vec<String>,
}

/// `distribute: [{from, to: {locality: weight}}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalityDistribute {
    pub from: String,
    pub to: BTreeMap<String, u32>,
}

/// `failover: [{from: region, to: region}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalityFailover {
    pub from: String,
    pub to: String,
}

/// Istio `trafficPolicy` block, lowered. `None` parts were absent in the YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrafficPolicy {
    /// Cluster settings with Istio's defaults filled in wherever the DR is silent.
    pub pool: PoolSettings,
    pub lb_policy: LbPolicy,
    /// `loadBalancer.localityLbSetting`, when written.
    #[serde(default)]
    pub locality_lb: Option<LocalityLb>,
    pub outlier_detection: Option<OutlierDetection>,
    /// `portLevelSettings`: port → policy (already merged over the top-level one).
    pub port_level: BTreeMap<u16, TrafficPolicyForPort>,
    /// Where the pool and outlier-detection settings came from (defaults included).
    #[serde(skip)]
    pub origins: Origins,
}

/// A `portLevelSettings` entry, already merged over the top-level policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrafficPolicyForPort {
    pub pool: PoolSettings,
    pub lb_policy: LbPolicy,
    #[serde(default)]
    pub locality_lb: Option<LocalityLb>,
    pub outlier_detection: Option<OutlierDetection>,
    /// Where the pool and outlier-detection settings came from (defaults included).
    #[serde(skip)]
    pub origins: Origins,
}

/// A DestinationRule subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subset {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// The subset's effective policy (the subset's blocks merged over the top-level ones).
    pub traffic_policy: TrafficPolicy,
}

/// An Istio `DestinationRule`, lowered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationPolicy {
    pub name: String,
    pub namespace: String,
    /// The `host` as written (short name, `name.ns`, FQDN or external host).
    pub host: String,
    pub traffic_policy: TrafficPolicy,
    pub subsets: Vec<Subset>,
    pub source: SourceRef,
    /// 1-based line of `spec.host` in `source.file`, so a host that names no service can be
    /// reported at the field.
    #[serde(default)]
    pub host_line: u32,
}

/// Everything the policy files said, lowered, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeshPolicies {
    pub destination_rules: Vec<DestinationPolicy>,
    pub appmesh_listeners: Vec<AppMeshListener>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_services: Vec<crate::traffic::VirtualServicePolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<crate::traffic::gateway::GatewayPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_entries: Vec<crate::traffic::service_entry::ServiceEntryPolicy>,
    /// Tetrate Service Bridge `Gateway`s (`gateway.tsb.tetrate.io/v2`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tsb_gateways: Vec<crate::traffic::tsb::TsbGatewayPolicy>,
    /// App Mesh `VirtualService`, `VirtualRouter`, `GatewayRoute` and virtual nodes' backends.
    #[serde(
        default,
        skip_serializing_if = "crate::traffic::appmesh::AppMeshRouting::is_empty"
    )]
    pub appmesh_routing: crate::traffic::appmesh::AppMeshRouting,
}

impl MeshPolicies {
    /// Append another file's policies.
    ///
    /// Like `kubectl apply`, a resource with the name and namespace of one already loaded
    /// replaces it in place (seed 001 applies `virtual-service-reviews-test-v2.yaml` over the
    /// `reviews` VirtualService of `virtual-service-all-v1.yaml`).
    pub fn extend(&mut self, other: MeshPolicies) {
        apply(&mut self.destination_rules, other.destination_rules, |d| {
            (d.name.clone(), d.namespace.clone())
        });
        apply(&mut self.appmesh_listeners, other.appmesh_listeners, |l| {
            (
                format!("{:?}/{}/{}", l.kind, l.k8s_name, l.port),
                l.namespace.clone(),
            )
        });
        apply(&mut self.virtual_services, other.virtual_services, |v| {
            (v.name.clone(), v.namespace.clone())
        });
        apply(&mut self.gateways, other.gateways, |g| {
            (g.name.clone(), g.namespace.clone())
        });
        apply(&mut self.service_entries, other.service_entries, |e| {
            (e.name.clone(), e.namespace.clone())
        });
        apply(&mut self.tsb_gateways, other.tsb_gateways, |g| {
            (g.name.clone(), g.scope.clone())
        });
        self.appmesh_routing.extend(other.appmesh_routing);
    }
}

impl MeshPolicies {
    /// Like `kubectl delete -f`: remove every resource of `other` (same kind, name and
    /// namespace) from these.
    pub fn remove(&mut self, other: &MeshPolicies) {
        fn drop_all<T>(list: &mut Vec<T>, gone: &[T], key: impl Fn(&T) -> (String, String)) {
            list.retain(|x| !gone.iter().any(|g| key(g) == key(x)));
        }
        drop_all(&mut self.destination_rules, &other.destination_rules, |d| {
            (d.name.clone(), d.namespace.clone())
        });
        drop_all(&mut self.appmesh_listeners, &other.appmesh_listeners, |l| {
            (
                format!("{:?}/{}/{}", l.kind, l.k8s_name, l.port),
                l.namespace.clone(),
            )
        });
        drop_all(&mut self.virtual_services, &other.virtual_services, |v| {
            (v.name.clone(), v.namespace.clone())
        });
        drop_all(&mut self.gateways, &other.gateways, |g| {
            (g.name.clone(), g.namespace.clone())
        });
        drop_all(&mut self.service_entries, &other.service_entries, |e| {
            (e.name.clone(), e.namespace.clone())
        });
        drop_all(&mut self.tsb_gateways, &other.tsb_gateways, |g| {
            (g.name.clone(), g.scope.clone())
        });
        self.appmesh_routing.remove(&other.appmesh_routing);
    }
}

/// Append `new` to `list`, replacing items with the same key in place.
fn apply<T>(list: &mut Vec<T>, new: Vec<T>, key: impl Fn(&T) -> (String, String)) {
    for item in new {
        match list.iter().position(|x| key(x) == key(&item)) {
            Some(i) => list[i] = item,
            None => list.push(item),
        }
    }
}
