//! Every document of the input sorted by what it is: objects that shape the topology, mesh
//! resources for the policy files, and the rest — skipped, each with its reason.
//!
//! A document must be a Kubernetes object (`apiVersion`, `kind`, `metadata.name`); `kind:
//! List` is flattened by [`meshtwin_config::source`]. An object written twice for the same
//! cluster (two overlapping dumps) counts once, the later one, as `kubectl apply` would.

use std::collections::BTreeMap;

use meshtwin_config::decode::{Ctx, Result};
use meshtwin_config::source::{Document, Value};

use crate::injection::AppMeshSelector;
use crate::kube::{field, label_selector, string};
use crate::objects::{self, KubePod, KubeWorkload, Meta, Node, Origin, WorkloadKind};
use crate::services::{self, KubeService};

/// The cluster's own namespaces: nothing in them is imported.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Istio kinds written to the policy files (the twin reads them).
const ISTIO_KINDS: &[&str] = &[
    "DestinationRule",
    "VirtualService",
    "Gateway",
    "ServiceEntry",
];

/// An object left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub reason: String,
    /// `Kind namespace/name` or `Kind name`.
    pub object: String,
    pub origin: Origin,
}

/// A mesh resource, kept as written.
#[derive(Debug, Clone)]
pub struct MeshDoc {
    pub doc: Document,
    /// The API group (`networking.istio.io`, `appmesh.k8s.aws`, …).
    pub group: String,
    pub kind: String,
    pub name: String,
    /// The namespace; `None` for a cluster-scoped resource (App Mesh's `Mesh`).
    pub namespace: Option<String>,
    pub origin: Origin,
}

/// The input, sorted.
#[derive(Debug, Default)]
pub struct Catalog {
    /// `(cluster, namespace)` → the Namespace's labels.
    pub namespaces: BTreeMap<(usize, String), BTreeMap<String, String>>,
    /// `(cluster, name)` → Node.
    pub nodes: BTreeMap<(usize, String), Node>,
    pub workloads: Vec<KubeWorkload>,
    /// Workloads left out (control planes, system namespaces): their pods are skipped too.
    pub skipped_workloads: Vec<KubeWorkload>,
    pub pods: Vec<KubePod>,
    pub services: Vec<KubeService>,
    pub mesh: Vec<MeshDoc>,
    pub appmesh: Vec<AppMeshSelector>,
    pub skipped: Vec<Skipped>,
}

/// The document's `kind` and `apiVersion`, and a context naming the object in errors.
fn envelope(doc: &Document) -> Result<(String, String, Ctx)> {
    let file_ctx = Ctx::new(doc.file.as_str());
    let root = file_ctx.root(&doc.root);
    let Value::Map(_) = &doc.root.value else {
        return Err(root.error(format!(
            "expected a Kubernetes object (apiVersion, kind, metadata), found {}",
            doc.root.value.describe()
        )));
    };
    let kind = match field(&root, "kind")? {
        Some(k) => k.name()?.to_string(),
        None => return Err(root.error("missing field `kind` (expected a Kubernetes object)")),
    };
    let api = match field(&root, "apiVersion")? {
        Some(a) => a.name()?.to_string(),
        None => return Err(root.error("missing field `apiVersion`")),
    };
    let name = crate::kube::path(&root, "metadata.name")
        .ok()
        .flatten()
        .and_then(|n| n.str().ok().map(str::to_string));
    let ctx = file_ctx.with_object(format!("{kind} {}", name.as_deref().unwrap_or("?")));
    Ok((kind, api, ctx))
}

/// Replace the item `same` finds, else append (`kubectl apply` of a later file).
fn upsert<T>(items: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    match items.iter().position(|x| same(x, &item)) {
        Some(i) => items[i] = item,
        None => items.push(item),
    }
}

impl Catalog {
    /// Sort one document of cluster `cluster` into the catalog.
    pub fn add(&mut self, doc: &Document, cluster: usize) -> Result<()> {
        let (kind, api, ctx) = envelope(doc)?;
        let root = ctx.root(&doc.root);
        let m = objects::meta(&root)?;
        let origin = Origin {
            file: doc.file.clone(),
            line: doc.root.line,
        };
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        let ns = m.namespace.clone().unwrap_or_else(|| "default".into());
        let label = match &m.namespace {
            Some(n) => format!("{kind} {n}/{}", m.name),
            None => format!("{kind} {}", m.name),
        };
        let skip = |reason: &str| Skipped {
            reason: reason.to_string(),
            object: label.clone(),
            origin: origin.clone(),
        };
        let namespaced = !matches!(kind.as_str(), "Namespace" | "Node");
        if namespaced && SYSTEM_NAMESPACES.contains(&ns.as_str()) && group != "networking.istio.io"
        {
            self.skipped.push(skip("in a Kubernetes system namespace"));
            if let Some(k) = workload_kind(group, &kind) {
                let w = objects::workload(&root, k, m, cluster, origin)?;
                self.skipped_workloads.push(w);
            }
            return Ok(());
        }
        match (group, kind.as_str()) {
            ("", "Namespace") => {
                self.namespaces.insert((cluster, m.name), m.labels);
            }
            ("", "Node") => {
                let n = objects::node(&root, m)?;
                self.nodes.insert((cluster, n.name.clone()), n);
            }
            ("", "Pod") => self.add_pod(&root, m, cluster, origin)?,
            ("", "Service") => {
                let s = services::service(&root, m, cluster, origin)?;
                upsert(&mut self.services, s, |a, b| {
                    (a.cluster, &a.namespace, &a.name) == (b.cluster, &b.namespace, &b.name)
                });
            }
            _ => {
                if let Some(k) = workload_kind(group, &kind) {
                    return self.add_workload(&root, k, m, cluster, origin, &label);
                }
                if let Some(reason) = mesh_kind(group, &kind) {
                    if reason.is_empty() {
                        self.add_mesh(doc, &root, (group, &kind), m, cluster, origin)?;
                    } else {
                        self.skipped.push(skip(&reason));
                    }
                    return Ok(());
                }
                self.skipped.push(skip(&other_reason(group, &kind, &m)));
            }
        }
        Ok(())
    }

    fn add_pod(
        &mut self,
        root: &meshtwin_config::decode::Val<'_>,
        m: Meta,
        cluster: usize,
        origin: Origin,
    ) -> Result<()> {
        let bare = m.owner.is_none();
        let p = objects::pod(root, m, cluster, origin.clone())?;
        if bare {
            // A pod no controller owns (`kubectl run`): a workload of its own.
            let w = KubeWorkload {
                kind: WorkloadKind::Pod,
                name: p.name.clone(),
                namespace: p.namespace.clone(),
                replicas: Some(1),
                selector: crate::kube::LabelSelector::default(),
                template: p.spec.clone(),
                cluster,
                origin,
            };
            upsert(&mut self.workloads, w, same_workload);
        }
        upsert(&mut self.pods, p, |a, b| {
            (a.cluster, &a.namespace, &a.name) == (b.cluster, &b.namespace, &b.name)
        });
        Ok(())
    }

    fn add_workload(
        &mut self,
        root: &meshtwin_config::decode::Val<'_>,
        kind: WorkloadKind,
        m: Meta,
        cluster: usize,
        origin: Origin,
        label: &str,
    ) -> Result<()> {
        let w = objects::workload(root, kind, m, cluster, origin.clone())?;
        let control_plane = w.template.containers.iter().any(|c| c.name == "discovery")
            || w.template.labels.get("app").map(String::as_str) == Some("istiod")
            || w.template
                .labels
                .get("app.kubernetes.io/name")
                .map(String::as_str)
                == Some("appmesh-controller");
        if control_plane {
            self.skipped.push(Skipped {
                reason: "a mesh control plane: the twin's own control plane stands for it".into(),
                object: label.to_string(),
                origin,
            });
            self.skipped_workloads.push(w);
            return Ok(());
        }
        upsert(&mut self.workloads, w, same_workload);
        Ok(())
    }

    fn add_mesh(
        &mut self,
        doc: &Document,
        root: &meshtwin_config::decode::Val<'_>,
        (group, kind): (&str, &str),
        m: Meta,
        cluster: usize,
        origin: Origin,
    ) -> Result<()> {
        let namespace = m.namespace.clone().unwrap_or_else(|| "default".into());
        if matches!(kind, "VirtualNode" | "VirtualGateway") && group == "appmesh.k8s.aws" {
            let selector = match crate::kube::path(root, "spec.podSelector")? {
                Some(s) => label_selector(&s)?,
                None => crate::kube::LabelSelector::default(),
            };
            let mesh = string(root, "spec.meshRef.name")?
                .or_else(|| m.labels.get("mesh").cloned())
                .unwrap_or_else(|| namespace.clone());
            self.appmesh.push(AppMeshSelector {
                gateway: kind == "VirtualGateway",
                name: m.name.clone(),
                namespace: namespace.clone(),
                mesh,
                selector,
                cluster,
            });
        }
        self.mesh.push(MeshDoc {
            doc: doc.clone(),
            group: group.to_string(),
            kind: kind.to_string(),
            name: m.name,
            namespace: m.namespace,
            origin,
        });
        Ok(())
    }
}

fn same_workload(a: &KubeWorkload, b: &KubeWorkload) -> bool {
    (a.cluster, a.kind, &a.namespace, &a.name) == (b.cluster, b.kind, &b.namespace, &b.name)
}

fn workload_kind(group: &str, kind: &str) -> Option<WorkloadKind> {
    let apps = matches!(group, "apps" | "extensions");
    match kind {
        "Deployment" if apps => Some(WorkloadKind::Deployment),
        "StatefulSet" if apps => Some(WorkloadKind::StatefulSet),
        "DaemonSet" if apps => Some(WorkloadKind::DaemonSet),
        _ => None,
    }
}

/// For a mesh API group: `Some("")` to write the resource to the policy files, `Some(reason)`
/// to skip it; `None` for other groups.
fn mesh_kind(group: &str, kind: &str) -> Option<String> {
    match group {
        "networking.istio.io" if ISTIO_KINDS.contains(&kind) => Some(String::new()),
        "networking.istio.io"
        | "security.istio.io"
        | "telemetry.istio.io"
        | "extensions.istio.io" => Some(format!("Istio {kind}: not modelled by the twin")),
        "appmesh.k8s.aws" => Some(String::new()),
        "gateway.tsb.tetrate.io" if kind == "Gateway" => Some(String::new()),
        g if g.ends_with("tetrate.io") => Some(format!("Tetrate {kind}: not modelled by the twin")),
        "gateway.networking.k8s.io" => Some(format!(
            "Kubernetes Gateway API {kind}: not modelled by the twin"
        )),
        _ => None,
    }
}

fn other_reason(group: &str, kind: &str, m: &Meta) -> String {
    match (group, kind) {
        ("apps", "ReplicaSet") => match &m.owner {
            Some((k, n)) if k == "Deployment" => {
                format!("managed by Deployment {n}, imported from it")
            }
            _ => "a ReplicaSet no Deployment owns: not imported".into(),
        },
        ("apps", "ControllerRevision") => "a controller's history".into(),
        ("batch", _) => "batch work, not a server".into(),
        ("autoscaling", _) => "autoscaling is not modelled: replicas as currently set".into(),
        ("", "Endpoints") | ("discovery.k8s.io", "EndpointSlice") => {
            "derived from Services and Pods".into()
        }
        (
            "",
            "ConfigMap"
            | "Secret"
            | "ServiceAccount"
            | "Event"
            | "PersistentVolumeClaim"
            | "PersistentVolume"
            | "LimitRange"
            | "ResourceQuota",
        ) => "not part of the traffic model".into(),
        _ => format!(
            "kind {kind} ({group_or_core}) is not read by the import",
            group_or_core = if group.is_empty() { "core" } else { group }
        ),
    }
}
