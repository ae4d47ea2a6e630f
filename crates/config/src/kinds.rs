//! Every kind meshtwin knows, by API group: those it reads, and those it knows but does not
//! model — each with what the twin therefore does not reproduce. Policy files are the users'
//! own directories, where Istio resources sit beside Deployments and Services, so a known kind
//! is a warning ("ignored: not modelled (why)"), never silently dropped. A kind outside this
//! table, or an `apiVersion` whose group or version does not have the kind, is an error,
//! with the nearest known spelling when there is one: a misspelt `kind: DestinatonRule` or
//! `apiVersion: networking.istio.io/v1beta` must not make a resource vanish.

use crate::decode::{Result, Val};
use crate::suggest;

/// What meshtwin does with a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Lowered into the model.
    Read,
    /// Known, not modelled: a warning saying what the twin does not reproduce.
    Ignored(&'static str),
}

/// A kind in one API group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub kind: &'static str,
    /// The API group; empty for Kubernetes' core group (`apiVersion: v1`).
    pub group: &'static str,
    /// Versions the group serves for the kind, oldest first.
    pub versions: &'static [&'static str],
    pub handling: Handling,
}

const ISTIO_NET: &[&str] = &["v1alpha3", "v1beta1", "v1"];
const ISTIO_SECURITY: &[&str] = &["v1beta1", "v1"];
const V1: &[&str] = &["v1"];
const TSB: &[&str] = &["v2"];
const APPMESH: &[&str] = &["v1beta2"];
const GATEWAY_API: &[&str] = &["v1beta1", "v1"];
const GATEWAY_API_ALPHA: &[&str] = &["v1alpha2"];

const fn read(kind: &'static str, group: &'static str, versions: &'static [&'static str]) -> Known {
    Known {
        kind,
        group,
        versions,
        handling: Handling::Read,
    }
}

const fn ignored(
    kind: &'static str,
    group: &'static str,
    versions: &'static [&'static str],
    why: &'static str,
) -> Known {
    Known {
        kind,
        group,
        versions,
        handling: Handling::Ignored(why),
    }
}

const FROM_TOPOLOGY: &str = "workloads, pods and services come from the topology file";
const NO_TRAFFIC_EFFECT: &str = "it does not change traffic in the twin";
const APPMESH_ROUTING: &str = "backend groups are not read: list each virtual service in \
     the virtual node's backends";
const GATEWAY_API_WHY: &str =
    "the Kubernetes Gateway API is not modelled: use Istio's Gateway and VirtualService";
const TSB_CONFIG: &str = "only TSB gateways (gateway.tsb.tetrate.io/v2 Gateway) are modelled";

/// The table. Kinds that share a name in different groups (Istio's, TSB's and the Gateway
/// API's `Gateway`; Istio's and App Mesh's `VirtualService`) are told apart by the group.
pub const KINDS: &[Known] = &[
    // Istio (networking.istio.io), read.
    read("DestinationRule", "networking.istio.io", ISTIO_NET),
    read("VirtualService", "networking.istio.io", ISTIO_NET),
    read("Gateway", "networking.istio.io", ISTIO_NET),
    read("ServiceEntry", "networking.istio.io", ISTIO_NET),
    // Istio, known.
    ignored(
        "Sidecar",
        "networking.istio.io",
        ISTIO_NET,
        "every proxy gets configuration for every service, as without a Sidecar: its egress \
         hosts, ingress listeners and outbound traffic policy are not applied",
    ),
    ignored(
        "EnvoyFilter",
        "networking.istio.io",
        &["v1alpha3"],
        "its patches to Envoy's configuration are not applied",
    ),
    ignored(
        "WorkloadEntry",
        "networking.istio.io",
        ISTIO_NET,
        FROM_TOPOLOGY,
    ),
    ignored(
        "WorkloadGroup",
        "networking.istio.io",
        ISTIO_NET,
        FROM_TOPOLOGY,
    ),
    ignored(
        "ProxyConfig",
        "networking.istio.io",
        &["v1beta1"],
        "proxy settings such as concurrency come from the topology's `sidecar:`",
    ),
    ignored(
        "PeerAuthentication",
        "security.istio.io",
        ISTIO_SECURITY,
        "mTLS is not modelled: traffic is neither encrypted nor authenticated, and no \
         connection fails for its mode",
    ),
    ignored(
        "RequestAuthentication",
        "security.istio.io",
        ISTIO_SECURITY,
        "JWTs are not checked: no request is rejected for its token",
    ),
    ignored(
        "AuthorizationPolicy",
        "security.istio.io",
        ISTIO_SECURITY,
        "access control is not modelled: no request is denied (403) or allowed by it",
    ),
    ignored(
        "Telemetry",
        "telemetry.istio.io",
        &["v1alpha1", "v1"],
        "telemetry settings do not change traffic; the twin's trace and stats are its own",
    ),
    ignored(
        "WasmPlugin",
        "extensions.istio.io",
        &["v1alpha1"],
        "Wasm filters are not run",
    ),
    // Tetrate Service Bridge.
    read("Gateway", "gateway.tsb.tetrate.io", TSB),
    ignored("IngressGateway", "gateway.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("Tier1Gateway", "gateway.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("EgressGateway", "gateway.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("Group", "gateway.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("Group", "traffic.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("TrafficSetting", "traffic.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("ServiceRoute", "traffic.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("Group", "security.tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored(
        "SecuritySetting",
        "security.tsb.tetrate.io",
        TSB,
        TSB_CONFIG,
    ),
    ignored("Organization", "tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("Tenant", "tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("Workspace", "tsb.tetrate.io", TSB, TSB_CONFIG),
    ignored("WorkspaceSetting", "tsb.tetrate.io", TSB, TSB_CONFIG),
    // AWS App Mesh controller (appmesh.k8s.aws).
    read("VirtualNode", "appmesh.k8s.aws", APPMESH),
    read("VirtualGateway", "appmesh.k8s.aws", APPMESH),
    ignored(
        "Mesh",
        "appmesh.k8s.aws",
        APPMESH,
        "the mesh is named by meshRef or the namespace; its egress filter is not applied",
    ),
    read("VirtualService", "appmesh.k8s.aws", APPMESH),
    read("VirtualRouter", "appmesh.k8s.aws", APPMESH),
    read("GatewayRoute", "appmesh.k8s.aws", APPMESH),
    ignored("BackendGroup", "appmesh.k8s.aws", APPMESH, APPMESH_ROUTING),
    // Kubernetes Gateway API.
    ignored(
        "Gateway",
        "gateway.networking.k8s.io",
        GATEWAY_API,
        GATEWAY_API_WHY,
    ),
    ignored(
        "GatewayClass",
        "gateway.networking.k8s.io",
        GATEWAY_API,
        GATEWAY_API_WHY,
    ),
    ignored(
        "HTTPRoute",
        "gateway.networking.k8s.io",
        GATEWAY_API,
        GATEWAY_API_WHY,
    ),
    ignored(
        "GRPCRoute",
        "gateway.networking.k8s.io",
        &["v1alpha2", "v1"],
        GATEWAY_API_WHY,
    ),
    ignored(
        "ReferenceGrant",
        "gateway.networking.k8s.io",
        &["v1alpha2", "v1beta1"],
        GATEWAY_API_WHY,
    ),
    ignored(
        "TCPRoute",
        "gateway.networking.k8s.io",
        GATEWAY_API_ALPHA,
        GATEWAY_API_WHY,
    ),
    ignored(
        "TLSRoute",
        "gateway.networking.k8s.io",
        GATEWAY_API_ALPHA,
        GATEWAY_API_WHY,
    ),
    ignored(
        "UDPRoute",
        "gateway.networking.k8s.io",
        GATEWAY_API_ALPHA,
        GATEWAY_API_WHY,
    ),
    // Kubernetes kinds that sit in the same manifests.
    // Its labels are what an App Mesh VirtualGateway's namespaceSelector matches.
    read("Namespace", "", V1),
    ignored("Service", "", V1, FROM_TOPOLOGY),
    ignored("Endpoints", "", V1, FROM_TOPOLOGY),
    ignored("Pod", "", V1, FROM_TOPOLOGY),
    ignored("Node", "", V1, FROM_TOPOLOGY),
    ignored("Event", "", V1, NO_TRAFFIC_EFFECT),
    ignored("LimitRange", "", V1, NO_TRAFFIC_EFFECT),
    ignored("ResourceQuota", "", V1, NO_TRAFFIC_EFFECT),
    ignored("ServiceAccount", "", V1, NO_TRAFFIC_EFFECT),
    ignored("ConfigMap", "", V1, NO_TRAFFIC_EFFECT),
    ignored("Secret", "", V1, NO_TRAFFIC_EFFECT),
    ignored("PersistentVolumeClaim", "", V1, NO_TRAFFIC_EFFECT),
    ignored("Deployment", "apps", V1, FROM_TOPOLOGY),
    ignored("StatefulSet", "apps", V1, FROM_TOPOLOGY),
    ignored("DaemonSet", "apps", V1, FROM_TOPOLOGY),
    ignored("ReplicaSet", "apps", V1, FROM_TOPOLOGY),
    ignored("ControllerRevision", "apps", V1, NO_TRAFFIC_EFFECT),
    ignored("Job", "batch", V1, FROM_TOPOLOGY),
    ignored("CronJob", "batch", V1, FROM_TOPOLOGY),
    ignored("EndpointSlice", "discovery.k8s.io", V1, FROM_TOPOLOGY),
    ignored(
        "HorizontalPodAutoscaler",
        "autoscaling",
        &["v1", "v2"],
        "the twin does not autoscale: replicas come from the topology and the timeline's `scale`",
    ),
    ignored("PodDisruptionBudget", "policy", V1, NO_TRAFFIC_EFFECT),
    ignored(
        "NetworkPolicy",
        "networking.k8s.io",
        V1,
        "network policies are not enforced: no connection is refused by them",
    ),
    ignored(
        "Ingress",
        "networking.k8s.io",
        V1,
        "Kubernetes Ingress is not modelled: use an Istio Gateway",
    ),
    ignored("Role", "rbac.authorization.k8s.io", V1, NO_TRAFFIC_EFFECT),
    ignored(
        "RoleBinding",
        "rbac.authorization.k8s.io",
        V1,
        NO_TRAFFIC_EFFECT,
    ),
    ignored(
        "ClusterRole",
        "rbac.authorization.k8s.io",
        V1,
        NO_TRAFFIC_EFFECT,
    ),
    ignored(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        V1,
        NO_TRAFFIC_EFFECT,
    ),
    ignored(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        V1,
        NO_TRAFFIC_EFFECT,
    ),
];

/// `group/version`, or `version` for the core group.
fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Every `apiVersion` that has `kind`, in table order.
fn api_versions_of(kind: &str) -> Vec<String> {
    KINDS
        .iter()
        .filter(|k| k.kind == kind)
        .flat_map(|k| k.versions.iter().map(|v| api_version(k.group, v)))
        .collect()
}

/// What the object with this `kind` and `apiVersion` is: the table's entry, or an error at
/// the offending field (with a did-you-mean when a known spelling is near).
pub fn classify(kind: &Val<'_>, api: Option<&Val<'_>>, root: &Val<'_>) -> Result<&'static Known> {
    let name = kind.name()?;
    if !KINDS.iter().any(|k| k.kind == name) {
        return Err(
            kind.error(match suggest::nearest(name, KINDS.iter().map(|k| k.kind)) {
                Some(near) => format!("unknown kind {name:?}; did you mean {near}?"),
                None => format!(
                "unknown kind {name:?}: not an Istio, App Mesh, Tetrate Service Bridge or common \
                 Kubernetes kind (the README's Inputs section lists the kinds meshtwin knows)"
            ),
            }),
        );
    }
    let Some(api) = api else {
        return Err(root.error("missing field `apiVersion`"));
    };
    let written = api.name()?;
    let (group, version) = written.rsplit_once('/').unwrap_or(("", written));
    if let Some(known) = KINDS
        .iter()
        .find(|k| k.kind == name && k.group == group && k.versions.contains(&version))
    {
        return Ok(known);
    }
    let supported = api_versions_of(name);
    let mut message = format!(
        "unsupported apiVersion {written:?} for {name} (supported: {})",
        supported.join(", ")
    );
    if let Some(near) = suggest::nearest(written, supported.iter().map(String::as_str)) {
        message.push_str(&format!("; did you mean {near}?"));
    }
    Err(api.error(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_group_is_listed_once() {
        for (i, a) in KINDS.iter().enumerate() {
            for b in &KINDS[i + 1..] {
                assert!(
                    (a.kind, a.group) != (b.kind, b.group),
                    "{} in {:?} listed twice",
                    a.kind,
                    a.group
                );
            }
        }
    }

    #[test]
    fn the_read_kinds_are_the_ones_the_lowering_handles() {
        let read: Vec<String> = KINDS
            .iter()
            .filter(|k| k.handling == Handling::Read)
            .map(|k| format!("{} {}", k.group, k.kind))
            .collect();
        assert_eq!(
            read,
            [
                "networking.istio.io DestinationRule",
                "networking.istio.io VirtualService",
                "networking.istio.io Gateway",
                "networking.istio.io ServiceEntry",
                "gateway.tsb.tetrate.io Gateway",
                "appmesh.k8s.aws VirtualNode",
                "appmesh.k8s.aws VirtualGateway",
                "appmesh.k8s.aws VirtualService",
                "appmesh.k8s.aws VirtualRouter",
                "appmesh.k8s.aws GatewayRoute",
                " Namespace",
            ]
        );
    }
}
