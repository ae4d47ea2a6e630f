//! Tests of the sidecar decisions.

use super::*;
use crate::objects::PodSpec;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn template(l: &[(&str, &str)], a: &[(&str, &str)]) -> PodSpec {
    PodSpec {
        labels: labels(l),
        annotations: labels(a),
        ..PodSpec::default()
    }
}

#[test]
fn an_enabled_namespace_injects_unless_the_pod_opts_out() {
    let ns = labels(&[("istio-injection", "enabled")]);
    assert!(istio_rule(&ns, &template(&[], &[])).0);
    assert!(!istio_rule(&ns, &template(&[], &[(ISTIO_INJECT, "false")])).0);
    // The label wins over the annotation.
    assert!(
        istio_rule(
            &ns,
            &template(&[(ISTIO_INJECT, "true")], &[(ISTIO_INJECT, "false")])
        )
        .0
    );
}

#[test]
fn a_revision_label_injects_and_a_disabled_namespace_does_not() {
    assert!(istio_rule(&labels(&[("istio.io/rev", "1-22")]), &template(&[], &[])).0);
    let disabled = labels(&[("istio-injection", "disabled"), ("istio.io/rev", "x")]);
    assert!(!istio_rule(&disabled, &template(&[(ISTIO_INJECT, "true")], &[])).0);
}

#[test]
fn an_unlabelled_namespace_injects_only_pods_labelled_for_it() {
    let none = labels(&[]);
    assert!(!istio_rule(&none, &template(&[], &[])).0);
    // The webhook's object selector reads labels: an annotation alone is not enough.
    assert!(!istio_rule(&none, &template(&[], &[(ISTIO_INJECT, "true")])).0);
    assert!(istio_rule(&none, &template(&[(ISTIO_INJECT, "true")], &[])).0);
    assert!(istio_rule(&none, &template(&[("istio.io/rev", "canary")], &[])).0);
}

#[test]
fn host_network_pods_are_never_injected() {
    let mut t = template(&[], &[]);
    t.host_network = true;
    assert!(!istio_rule(&labels(&[("istio-injection", "enabled")]), &t).0);
}

fn workload_and_pod(proxy: bool) -> (KubeWorkload, KubePod) {
    use crate::kube::LabelSelector;
    use crate::objects::{Container, Origin, WorkloadKind};
    let origin = Origin {
        file: "f".into(),
        line: 1,
    };
    let w = KubeWorkload {
        kind: WorkloadKind::Deployment,
        name: "web".into(),
        namespace: "shop".into(),
        replicas: Some(1),
        selector: LabelSelector::default(),
        template: template(&[("app", "web")], &[]),
        cluster: 0,
        origin: origin.clone(),
    };
    let mut spec = w.template.clone();
    let container = |name: &str| Container {
        name: name.into(),
        ports: Vec::new(),
        args: Vec::new(),
    };
    spec.containers.push(container("web"));
    if proxy {
        spec.containers.push(container("istio-proxy"));
    }
    let pod = KubePod {
        name: "web-1".into(),
        namespace: "shop".into(),
        owner: None,
        node_name: Some("n".into()),
        phase: Some("Running".into()),
        spec,
        cluster: 0,
        origin,
    };
    (w, pod)
}

#[test]
fn running_pods_win_over_the_labels_and_the_difference_is_a_warning() {
    let enabled = labels(&[("istio-injection", "enabled")]);
    let (w, pod) = workload_and_pod(false);
    let mut warn = Vec::new();
    let d = decide(&w, Some(&enabled), &[], &[&pod], &mut warn);
    assert_eq!(d.sidecar, SidecarChoice::None);
    assert_eq!(warn.len(), 1, "{warn:?}");
    assert!(warn[0].contains("imported as they run"), "{warn:?}");
    let (w, pod) = workload_and_pod(true);
    let mut warn = Vec::new();
    let d = decide(&w, Some(&enabled), &[], &[&pod], &mut warn);
    assert_eq!(d.sidecar, SidecarChoice::Istio);
    assert!(warn.is_empty(), "{warn:?}");
}

#[test]
fn app_mesh_pod_annotations_override_the_namespace() {
    let ns = labels(&[(APPMESH_INJECT, "enabled")]);
    assert_eq!(
        appmesh_injection(&ns, &labels(&[])).map(|d| d.0),
        Some(true)
    );
    let off = labels(&[(APPMESH_INJECT, "disabled")]);
    assert_eq!(appmesh_injection(&ns, &off).map(|d| d.0), Some(false));
    assert_eq!(appmesh_injection(&labels(&[]), &labels(&[])), None);
}
