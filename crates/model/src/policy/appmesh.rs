//! App Mesh virtual node / virtual gateway listeners, lowered: what each listener's own
//! Envoy serves (ingress thresholds, health check, outlier detection, timeouts) and how its
//! endpoints are discovered.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{HealthCheck, OutlierDetection, Thresholds};
use crate::topology::Protocol;
use crate::SourceRef;
use crate::{duration::opt_ms, origin::Origins};

/// Which App Mesh object a listener belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppMeshKind {
    VirtualNode,
    VirtualGateway,
}

/// A virtual node's `serviceDiscovery.awsCloudMap`: its endpoints are the instances of the
/// Cloud Map service whose attributes include all of `attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudMapDiscovery {
    pub namespace_name: String,
    pub service_name: String,
    pub attributes: BTreeMap<String, String>,
}

/// One App Mesh virtual node / virtual gateway listener, lowered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshListener {
    pub kind: AppMeshKind,
    /// Kubernetes object name (`green`, `ingress-gw`).
    pub k8s_name: String,
    /// App Mesh name (`green_howto-k8s-connection-pools`); defaults to `<k8s_name>_<namespace>`.
    pub aws_name: String,
    pub mesh: String,
    pub namespace: String,
    pub port: u16,
    pub protocol: Protocol,
    /// Thresholds for the ingress cluster (`cds_ingress_…`), App Mesh defaults where unset.
    pub thresholds: Thresholds,
    /// Whether the listener had a `connectionPool` at all.
    pub has_connection_pool: bool,
    pub health_check: Option<HealthCheck>,
    pub outlier_detection: Option<OutlierDetection>,
    /// DNS service discovery hostname, when the virtual node has one.
    pub dns_hostname: Option<String>,
    /// AWS Cloud Map service discovery, when the virtual node uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_map: Option<CloudMapDiscovery>,
    /// Pod selector labels (CRD form), when present.
    pub pod_selector: BTreeMap<String, String>,
    /// `timeout.<protocol>.perRequest`: its Envoy's ingress route timeout (`None`: 15 s).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_ms")]
    pub request_timeout: Option<Duration>,
    /// `timeout.<protocol>.idle`: its Envoy's ingress `stream_idle_timeout` (http, http2,
    /// grpc) or ingress `tcp_proxy` `idle_timeout` (tcp); `None`: none.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_ms")]
    pub idle_timeout: Option<Duration>,
    pub source: SourceRef,
    /// Where the thresholds, health-check and outlier-detection settings came from.
    #[serde(skip)]
    pub origins: Origins,
}
