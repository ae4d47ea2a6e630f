//! Which proxy runs beside each workload's app: the injection webhooks' rules applied to
//! the namespace's labels and the pod template's labels and annotations, checked against the
//! pods of the input when there are any (a pod that carries `istio-proxy` was injected,
//! whatever the rules say today — for instance a namespace labelled after its pods started).
//!
//! - Istio (`manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml`,
//!   the webhooks' namespace and object selectors, then `pkg/kube/inject/inject.go`
//!   `injectRequired`): a namespace labelled `istio-injection=enabled`, or `istio.io/rev=<rev>`
//!   without `istio-injection`, injects every pod unless the pod says
//!   `sidecar.istio.io/inject: "false"` (label, or annotation when there is no label); any
//!   other `istio-injection` value injects nothing; a namespace with neither label injects a
//!   pod labelled `sidecar.istio.io/inject: "true"` or `istio.io/rev`. `hostNetwork` pods are
//!   never injected.
//! - Istio gateways: a pod template annotated `inject.istio.io/templates: gateway`, or whose
//!   own `istio-proxy` container runs `proxy router` (`istioctl install`'s
//!   `istio-ingressgateway`), is a standalone gateway Envoy.
//! - App Mesh (the App Mesh controller's sidecar injector): a namespace labelled
//!   `appmesh.k8s.aws/sidecarInjectorWebhook: enabled` injects every pod, a pod annotation
//!   `appmesh.k8s.aws/sidecarInjectorWebhook: disabled | enabled` overrides the namespace; the
//!   Envoy is configured by the `VirtualNode` whose `podSelector` matches the pod. A pod a
//!   `VirtualGateway`'s `podSelector` matches is that gateway's Envoy.

use std::collections::BTreeMap;

use crate::kube::LabelSelector;
use crate::objects::{KubePod, KubeWorkload};

/// The proxy the import gives a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SidecarChoice {
    None,
    Istio,
    IstioGateway,
    AppMesh {
        mesh: String,
        virtual_node: String,
    },
    AppMeshGateway {
        mesh: String,
        virtual_gateway: String,
    },
}

/// A sidecar and the reason for it (written as a comment beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub sidecar: SidecarChoice,
    pub why: String,
}

/// An App Mesh `VirtualNode` or `VirtualGateway`'s pod selector.
#[derive(Debug, Clone)]
pub struct AppMeshSelector {
    pub gateway: bool,
    pub name: String,
    pub namespace: String,
    /// `spec.meshRef.name`, else the object's `mesh` label, else its namespace — the rule
    /// `meshtwin_config::appmesh::crd` names meshes by.
    pub mesh: String,
    pub selector: LabelSelector,
    pub cluster: usize,
}

const ISTIO_INJECT: &str = "sidecar.istio.io/inject";
const APPMESH_INJECT: &str = "appmesh.k8s.aws/sidecarInjectorWebhook";

/// Decide `w`'s proxy from its namespace's labels (`None`: the Namespace is not in the
/// input), the App Mesh selectors, and its pods in the input.
pub fn decide(
    w: &KubeWorkload,
    namespace_labels: Option<&BTreeMap<String, String>>,
    appmesh: &[AppMeshSelector],
    pods: &[&KubePod],
    warn: &mut Vec<String>,
) -> Decision {
    if let Some(d) = istio_gateway(w) {
        return d;
    }
    let empty = BTreeMap::new();
    let ns = namespace_labels.unwrap_or(&empty);
    let (app_mesh, app_mesh_off) = app_mesh(w, ns, appmesh, warn);
    if let Some(d) = app_mesh {
        return d;
    }
    let rule = match (istio_rule(ns, &w.template), app_mesh_off) {
        ((false, _), Some(off)) => (false, off),
        (istio, _) => istio,
    };
    with_pods(w, namespace_labels.is_some(), rule, pods, warn)
}

/// App Mesh's decision: a virtual gateway's or node's Envoy, or `None` — with the reason
/// when App Mesh injection is explicitly off.
fn app_mesh(
    w: &KubeWorkload,
    ns: &BTreeMap<String, String>,
    appmesh: &[AppMeshSelector],
    warn: &mut Vec<String>,
) -> (Option<Decision>, Option<String>) {
    let selected = |gateway: bool| {
        appmesh.iter().find(|s| {
            s.gateway == gateway
                && s.cluster == w.cluster
                && s.namespace == w.namespace
                && !s.selector.is_empty()
                && s.selector.matches(&w.template.labels)
        })
    };
    if let Some(g) = selected(true) {
        let sidecar = SidecarChoice::AppMeshGateway {
            mesh: g.mesh.clone(),
            virtual_gateway: g.name.clone(),
        };
        let why = format!("VirtualGateway {} selects its pods", g.name);
        return (Some(Decision { sidecar, why }), None);
    }
    match appmesh_injection(ns, &w.template.annotations) {
        Some((true, why)) => {
            if let Some(vn) = selected(false) {
                let sidecar = SidecarChoice::AppMesh {
                    mesh: vn.mesh.clone(),
                    virtual_node: vn.name.clone(),
                };
                let why = format!("{why}; VirtualNode {} selects its pods", vn.name);
                return (Some(Decision { sidecar, why }), None);
            }
            warn.push(format!(
                "{} {}/{}: App Mesh injection is on ({why}) but no VirtualNode in the input \
                 selects its pods: imported without a sidecar",
                w.kind.name(),
                w.namespace,
                w.name
            ));
            (None, None)
        }
        Some((false, why)) => (None, Some(why)),
        None => (None, None),
    }
}

/// Istio's rule `(inject, why)` checked against the pods of the input, which win.
fn with_pods(
    w: &KubeWorkload,
    namespace_known: bool,
    (rule, why): (bool, String),
    pods: &[&KubePod],
    warn: &mut Vec<String>,
) -> Decision {
    let label = format!("{} {}/{}", w.kind.name(), w.namespace, w.name);
    let decision = |on: bool, why: String| Decision {
        sidecar: if on {
            SidecarChoice::Istio
        } else {
            SidecarChoice::None
        },
        why,
    };
    let injected = pods.iter().filter(|p| has_istio_proxy(p)).count();
    match injected {
        0 if pods.is_empty() => {
            if !namespace_known && !rule {
                warn.push(format!(
                    "{label}: Namespace {} is not in the input (nor its pods): its injection \
                     labels are unknown, imported without a sidecar",
                    w.namespace
                ));
            }
            decision(rule, why)
        }
        n if n == pods.len() || n == 0 => {
            let seen = n > 0;
            let how = if seen { "with" } else { "without" };
            if seen != rule && namespace_known {
                warn.push(format!(
                    "{label}: {why}, but its pods run {how} istio-proxy (created before the \
                     labels changed?): imported as they run"
                ));
            }
            let why = if seen == rule {
                format!("{why}; its pods run {how} istio-proxy")
            } else {
                format!("its pods run {how} istio-proxy")
            };
            decision(seen, why)
        }
        n => {
            warn.push(format!(
                "{label}: {n} of its {} pods run istio-proxy: imported as the rules say ({why})",
                pods.len()
            ));
            decision(rule, why)
        }
    }
}

/// Whether a namespace with these labels injects Istio's sidecar into a pod that says nothing.
pub fn namespace_injects_istio(labels: &BTreeMap<String, String>) -> bool {
    istio_rule(labels, &crate::objects::PodSpec::default()).0
}

/// Whether a pod runs Istio's `istio-proxy` (as a container, or as a native sidecar).
fn has_istio_proxy(p: &KubePod) -> bool {
    p.spec.all_containers().any(|c| c.name == "istio-proxy")
}

fn istio_gateway(w: &KubeWorkload) -> Option<Decision> {
    let t = &w.template;
    if t.annotations
        .get("inject.istio.io/templates")
        .is_some_and(|v| v.split(',').any(|s| s.trim() == "gateway"))
    {
        return Some(Decision {
            sidecar: SidecarChoice::IstioGateway,
            why: "an Istio gateway (inject.istio.io/templates: gateway)".into(),
        });
    }
    t.containers
        .iter()
        .any(|c| c.name == "istio-proxy" && c.args.iter().any(|a| a == "router"))
        .then(|| Decision {
            sidecar: SidecarChoice::IstioGateway,
            why: "an Istio gateway (its istio-proxy runs `proxy router`)".into(),
        })
}

/// App Mesh's injection switch: `Some((on, why))` when the namespace or the pod says.
fn appmesh_injection(
    ns: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Option<(bool, String)> {
    if let Some(v) = annotations.get(APPMESH_INJECT) {
        return Some((
            v == "enabled",
            format!("pod annotation {APPMESH_INJECT}: {v}"),
        ));
    }
    ns.get(APPMESH_INJECT).map(|v| {
        (
            v == "enabled",
            format!("namespace label {APPMESH_INJECT}={v}"),
        )
    })
}

/// Istio's injection decision for a pod template in a namespace with labels `ns`.
fn istio_rule(ns: &BTreeMap<String, String>, t: &crate::objects::PodSpec) -> (bool, String) {
    if t.host_network {
        return (false, "hostNetwork pods are never injected".into());
    }
    // The label is the newer API; when both are written the label wins (injectRequired).
    let object = t
        .labels
        .get(ISTIO_INJECT)
        .map(|v| (v, "label"))
        .or_else(|| t.annotations.get(ISTIO_INJECT).map(|v| (v, "annotation")));
    let opted_out = |why: String| match object {
        Some((v, kind)) if v == "false" => (
            false,
            format!("{why}, but pod {kind} {ISTIO_INJECT}: \"false\""),
        ),
        _ => (true, why),
    };
    match (ns.get("istio-injection"), ns.get("istio.io/rev")) {
        (Some(v), _) if v == "enabled" => {
            opted_out("namespace label istio-injection=enabled".into())
        }
        (Some(v), _) => (false, format!("namespace label istio-injection={v}")),
        (None, Some(rev)) => opted_out(format!("namespace label istio.io/rev={rev}")),
        (None, None) => {
            let label = t.labels.get(ISTIO_INJECT).map(String::as_str);
            match (label, t.labels.get("istio.io/rev")) {
                (Some("false"), _) => (false, format!("pod label {ISTIO_INJECT}: \"false\"")),
                (_, Some(rev)) => (true, format!("pod label istio.io/rev={rev}")),
                (Some("true"), None) => (true, format!("pod label {ISTIO_INJECT}: \"true\"")),
                _ => (
                    false,
                    "no injection label on the namespace or the pod".into(),
                ),
            }
        }
    }
}

#[cfg(test)]
#[path = "injection_tests.rs"]
mod tests;
