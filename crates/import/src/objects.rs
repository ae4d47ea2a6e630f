//! The Kubernetes objects the import reads — Namespaces, Nodes, Deployments, StatefulSets,
//! DaemonSets and Pods — decoded into the few fields that shape the mesh (Services are in
//! [`crate::services`]).

use std::collections::BTreeMap;

use meshtwin_config::decode::{Result, Val};

use crate::kube::{self, field, label_selector, list, path, string, string_map, LabelSelector};

/// Where an object was written: `file:line` of its document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub file: String,
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The part of `metadata` every object has.
#[derive(Debug, Clone)]
pub struct Meta {
    pub name: String,
    /// `None` for cluster-scoped objects (Namespace, Node); `default` when a namespaced
    /// object does not say, as `kubectl apply` would.
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The controlling owner (`ownerReferences[]` with `controller: true`, else the first).
    pub owner: Option<(String, String)>,
}

/// Read `metadata` (its `name` is required).
pub fn meta(root: &Val<'_>) -> Result<Meta> {
    let m = path(root, "metadata")?.ok_or_else(|| root.error("missing field `metadata`"))?;
    let name = field(&m, "name")?
        .ok_or_else(|| m.error("missing field `name`"))?
        .name()?
        .to_string();
    let mut owner = None;
    for o in list(&m, "ownerReferences")? {
        let kind = string(&o, "kind")?.unwrap_or_default();
        let oname = string(&o, "name")?.unwrap_or_default();
        let controller = field(&o, "controller")?.map(|c| c.bool()).transpose()?;
        if owner.is_none() || controller == Some(true) {
            owner = Some((kind, oname));
        }
    }
    Ok(Meta {
        name,
        namespace: string(&m, "namespace")?,
        labels: string_map(&m, "labels")?,
        annotations: string_map(&m, "annotations")?,
        owner,
    })
}

/// A Node: its labels (the locality) and whether ordinary pods may run on it.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `NoSchedule` / `NoExecute` taint keys.
    pub taints: Vec<String>,
    pub unschedulable: bool,
}

/// Decode a Node.
pub fn node(root: &Val<'_>, m: Meta) -> Result<Node> {
    let mut taints = Vec::new();
    for t in list(root, "spec.taints")? {
        let effect = string(&t, "effect")?.unwrap_or_default();
        if effect == "NoSchedule" || effect == "NoExecute" {
            taints.push(string(&t, "key")?.unwrap_or_default());
        }
    }
    Ok(Node {
        name: m.name,
        labels: m.labels,
        taints,
        unschedulable: path(root, "spec.unschedulable")?
            .map(|u| u.bool())
            .transpose()?
            .unwrap_or(false),
    })
}

/// One container: its name, ports and command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    /// `(name, containerPort)` for TCP ports.
    pub ports: Vec<(Option<String>, u16)>,
    /// `command` then `args`.
    pub args: Vec<String>,
}

/// A toleration: `key` (empty with `Exists` tolerates every taint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toleration {
    pub key: String,
    pub exists: bool,
}

/// What a pod (or a workload's pod template) says about where and how it runs.
#[derive(Debug, Clone, Default)]
pub struct PodSpec {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub containers: Vec<Container>,
    /// Init containers (Istio's native-sidecar `istio-proxy` is one).
    pub init_containers: Vec<Container>,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    /// `topologySpreadConstraints[].topologyKey`, in order.
    pub spread_keys: Vec<String>,
    pub host_network: bool,
    /// Whether `affinity` says anything (node or pod affinity is not used for placement).
    pub has_affinity: bool,
}

fn container(v: &Val<'_>) -> Result<Container> {
    let name = string(v, "name")?.unwrap_or_default();
    let mut ports = Vec::new();
    for p in list(v, "ports")? {
        let proto = string(&p, "protocol")?.unwrap_or_else(|| "TCP".into());
        let number =
            field(&p, "containerPort")?.ok_or_else(|| p.error("missing field `containerPort`"))?;
        let number = kube::port(&number)?;
        if proto == "TCP" {
            ports.push((string(&p, "name")?, number));
        }
    }
    let mut args = Vec::new();
    for key in ["command", "args"] {
        if let Some(a) = field(v, key)? {
            args.extend(a.strings()?);
        }
    }
    Ok(Container { name, ports, args })
}

/// Decode a pod's `metadata` labels/annotations (from `m`) and its `spec` (at `spec`).
pub fn pod_spec(spec: Option<Val<'_>>, m: &Meta) -> Result<PodSpec> {
    let mut out = PodSpec {
        labels: m.labels.clone(),
        annotations: m.annotations.clone(),
        ..PodSpec::default()
    };
    let Some(spec) = spec else { return Ok(out) };
    for c in list(&spec, "containers")? {
        out.containers.push(container(&c)?);
    }
    for c in list(&spec, "initContainers")? {
        out.init_containers.push(container(&c)?);
    }
    out.node_selector = string_map(&spec, "nodeSelector")?;
    for t in list(&spec, "tolerations")? {
        let op = string(&t, "operator")?.unwrap_or_else(|| "Equal".into());
        out.tolerations.push(Toleration {
            key: string(&t, "key")?.unwrap_or_default(),
            exists: op == "Exists",
        });
    }
    for c in list(&spec, "topologySpreadConstraints")? {
        let key =
            field(&c, "topologyKey")?.ok_or_else(|| c.error("missing field `topologyKey`"))?;
        out.spread_keys.push(key.name()?.to_string());
    }
    out.host_network = field(&spec, "hostNetwork")?
        .map(|h| h.bool())
        .transpose()?
        .unwrap_or(false);
    out.has_affinity = field(&spec, "affinity")?.is_some();
    Ok(out)
}

impl PodSpec {
    /// Whether the pod may run on `node` (its `nodeSelector`, the node's `NoSchedule` /
    /// `NoExecute` taints against the pod's tolerations, cordoned nodes).
    pub fn fits(&self, node: &Node) -> bool {
        !node.unschedulable
            && self
                .node_selector
                .iter()
                .all(|(k, v)| node.labels.get(k) == Some(v))
            && node.taints.iter().all(|key| {
                self.tolerations
                    .iter()
                    .any(|t| (t.exists && t.key.is_empty()) || t.key == *key)
            })
    }

    /// Every container, init containers last.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.containers.iter().chain(&self.init_containers)
    }
}

/// Which controller a workload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    /// A pod no controller owns (`kubectl run`).
    Pod,
}

impl WorkloadKind {
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Pod => "Pod",
        }
    }
}

/// A Deployment, StatefulSet or DaemonSet (or a pod without a controller).
#[derive(Debug, Clone)]
pub struct KubeWorkload {
    pub kind: WorkloadKind,
    pub name: String,
    pub namespace: String,
    /// `spec.replicas` (default 1); `None` for a DaemonSet (one pod per fitting node).
    pub replicas: Option<u32>,
    pub selector: LabelSelector,
    pub template: PodSpec,
    pub cluster: usize,
    pub origin: Origin,
}

/// Decode a workload object.
pub fn workload(
    root: &Val<'_>,
    kind: WorkloadKind,
    m: Meta,
    cluster: usize,
    origin: Origin,
) -> Result<KubeWorkload> {
    let spec = path(root, "spec")?.ok_or_else(|| root.error("missing field `spec`"))?;
    let replicas = match kind {
        WorkloadKind::DaemonSet => None,
        _ => Some(match field(&spec, "replicas")? {
            Some(r) => r.u32_in(0, 10_000)?,
            None => 1,
        }),
    };
    let selector = match field(&spec, "selector")? {
        Some(s) => label_selector(&s)?,
        None => LabelSelector::default(),
    };
    let tmeta = match path(&spec, "template.metadata")? {
        Some(tm) => Meta {
            name: String::new(),
            namespace: None,
            labels: string_map(&tm, "labels")?,
            annotations: string_map(&tm, "annotations")?,
            owner: None,
        },
        None => Meta {
            name: String::new(),
            namespace: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            owner: None,
        },
    };
    let template = pod_spec(path(&spec, "template.spec")?, &tmeta)?;
    let selector = if selector.is_empty() {
        // Old `extensions/v1beta1` objects default the selector to the template's labels.
        LabelSelector {
            match_labels: template.labels.clone(),
            expressions: Vec::new(),
        }
    } else {
        selector
    };
    Ok(KubeWorkload {
        kind,
        name: m.name,
        namespace: m.namespace.unwrap_or_else(|| "default".into()),
        replicas,
        selector,
        template,
        cluster,
        origin,
    })
}

/// A running (or pending) Pod.
#[derive(Debug, Clone)]
pub struct KubePod {
    pub name: String,
    pub namespace: String,
    pub owner: Option<(String, String)>,
    pub node_name: Option<String>,
    /// `status.phase` (`Running`, `Pending`, `Succeeded`, `Failed`), when the dump has it.
    pub phase: Option<String>,
    pub spec: PodSpec,
    pub cluster: usize,
    pub origin: Origin,
}

/// Decode a Pod.
pub fn pod(root: &Val<'_>, m: Meta, cluster: usize, origin: Origin) -> Result<KubePod> {
    let spec = path(root, "spec")?;
    let node_name = match &spec {
        Some(s) => string(s, "nodeName")?.filter(|n| !n.is_empty()),
        None => None,
    };
    Ok(KubePod {
        spec: pod_spec(spec, &m)?,
        name: m.name,
        namespace: m.namespace.unwrap_or_else(|| "default".into()),
        owner: m.owner,
        node_name,
        phase: string(root, "status.phase")?,
        cluster,
        origin,
    })
}
