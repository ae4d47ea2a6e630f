//! AWS App Mesh virtual nodes and virtual gateways, lowered per App Mesh (docs/guide.md, App Mesh)
//!
//! - [`crd`] — the Kubernetes form (`appmesh.k8s.aws/v1beta2` `VirtualNode` / `VirtualGateway`).
//! - [`describe`] — the `aws appmesh describe-virtual-node` / `describe-virtual-gateway` JSON.
//! - [`describe_routing`] — the same two forms of `VirtualService`, `VirtualRouter`, `Route`
//!   and `GatewayRoute`.
//! - [`gateway_route`] — `GatewayRoute`, a gateway's route selectors, `Namespace` labels.
//! - [`listener`] — a listener's `portMapping` and `connectionPool`, shared by both forms.
//! - [`health_check`] — a listener's `healthCheck`.
//! - [`outlier`] — a listener's `outlierDetection`.
//! - [`routing`] — `VirtualService`, `VirtualRouter` and nodes' `backends`;
//!   [`route`] — one route spec (matches, weighted targets, retry policy, timeout).
//! - [`attachment`] — which `VirtualGateway` each `GatewayRoute` CRD lands on, checked.
//! - [`origins`] — where a listener's thresholds, health check and outlier settings came from.

pub mod attachment;
pub mod crd;
pub mod describe;
pub mod describe_routing;
pub mod gateway_route;
pub mod health_check;
pub mod listener;
pub mod origins;
pub mod outlier;
pub mod route;
pub mod routing;

use std::collections::BTreeMap;

use meshtwin_model::policy::AppMeshKind;

/// Who a listener belongs to; everything in [`meshtwin_model::policy::AppMeshListener`]
/// except the listener itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: AppMeshKind,
    pub k8s_name: String,
    pub aws_name: String,
    pub mesh: String,
    pub namespace: String,
    pub dns_hostname: Option<String>,
    pub cloud_map: Option<meshtwin_model::policy::CloudMapDiscovery>,
    pub pod_selector: BTreeMap<String, String>,
}

/// `VirtualNode` / `VirtualGateway`, as in messages.
pub fn kind_name(kind: AppMeshKind) -> &'static str {
    match kind {
        AppMeshKind::VirtualNode => "VirtualNode",
        AppMeshKind::VirtualGateway => "VirtualGateway",
    }
}
