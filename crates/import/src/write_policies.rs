//! The mesh resources of the input → `policies/<namespace>.yaml`, one file per namespace,
//! each resource as written except the API server's bookkeeping: `status`, and in
//! `metadata` `managedFields`, `resourceVersion`, `uid`, `generation`, `creationTimestamp`,
//! `selfLink` and kubectl's `last-applied-configuration` annotation.

use std::collections::BTreeMap;

use meshtwin_config::source::{Node, Value};

use crate::catalog::MeshDoc;
use crate::yaml;

const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
];
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The `(API group, kind)`s the twin reads from a policy file (see
/// `meshtwin_config::policies`); the rest are kept for the user.
const READ_BY_THE_TWIN: &[(&str, &str)] = &[
    ("networking.istio.io", "DestinationRule"),
    ("networking.istio.io", "VirtualService"),
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "ServiceEntry"),
    ("appmesh.k8s.aws", "VirtualNode"),
    ("appmesh.k8s.aws", "VirtualGateway"),
    ("appmesh.k8s.aws", "VirtualService"),
    ("appmesh.k8s.aws", "VirtualRouter"),
    ("appmesh.k8s.aws", "GatewayRoute"),
    ("gateway.tsb.tetrate.io", "Gateway"),
];

fn read_by_the_twin(d: &MeshDoc) -> bool {
    READ_BY_THE_TWIN.contains(&(d.group.as_str(), d.kind.as_str()))
}

/// The policy file of a resource: its namespace's, `cluster-scoped` for App Mesh's `Mesh`.
fn file_stem(d: &MeshDoc) -> &str {
    d.namespace.as_deref().unwrap_or(if d.kind == "Mesh" {
        "cluster-scoped"
    } else {
        "default"
    })
}

/// The kinds among `docs` the twin does not read (App Mesh routes and the like), once each;
/// App Mesh's `Mesh` is left out — the twin names meshes without it.
pub fn unread_kinds(docs: &[MeshDoc]) -> Vec<String> {
    let mut kinds: Vec<String> = docs
        .iter()
        .filter(|d| !read_by_the_twin(d) && d.kind != "Mesh")
        .map(|d| format!("{} {}", d.group, d.kind))
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// `(file name relative to the output directory, text)` per namespace, in namespace order.
/// A namespace with App Mesh GatewayRoutes gets its `Namespace` object too, with its labels in
/// `namespaces` (`(cluster, name)` → labels; what a VirtualGateway's `namespaceSelector`
/// matches).
pub fn policy_files(
    docs: &[MeshDoc],
    namespaces: &BTreeMap<(usize, String), BTreeMap<String, String>>,
) -> Vec<(String, String)> {
    let ns_labels = |ns: &str| {
        namespaces
            .iter()
            .find(|((_, n), _)| n == ns)
            .map(|(_, l)| l)
    };
    let mut by_ns: BTreeMap<&str, Vec<&MeshDoc>> = BTreeMap::new();
    for d in docs {
        by_ns.entry(file_stem(d)).or_default().push(d);
    }
    by_ns
        .into_iter()
        .map(|(ns, docs)| {
            let routes = docs.iter().any(|d| {
                (d.group.as_str(), d.kind.as_str()) == ("appmesh.k8s.aws", "GatewayRoute")
            });
            let mut text = file_text(ns, &docs);
            if let Some(labels) = ns_labels(ns).filter(|_| routes) {
                text.push_str(&namespace_doc(ns, labels));
            }
            (format!("policies/{ns}.yaml"), text)
        })
        .collect()
}

/// A `Namespace` object with its labels (label keys and values need no YAML escaping beyond
/// quotes: Kubernetes restricts them to letters, digits, `-`, `_`, `.` and `/`).
fn namespace_doc(ns: &str, labels: &BTreeMap<String, String>) -> String {
    let mut out = format!(
        "---\n# Namespace {ns}: its labels are what a VirtualGateway's namespaceSelector matches\n\
         apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
    );
    if !labels.is_empty() {
        out.push_str("  labels:\n");
        for (k, v) in labels {
            out.push_str(&format!("    \"{k}\": \"{v}\"\n"));
        }
    }
    out
}

fn file_text(ns: &str, docs: &[&MeshDoc]) -> String {
    let whose = if ns == "cluster-scoped" {
        "The cluster-scoped mesh resources".to_string()
    } else {
        format!("The mesh resources of namespace {ns}")
    };
    let mut out = format!(
        "# {whose}, imported by `meshtwin import kubernetes` as \
         they were\n# written (the API server's status and bookkeeping fields left out). \
         Edit them to try a change.\n"
    );
    for d in docs {
        let note = if read_by_the_twin(d) {
            String::new()
        } else {
            " — kept here, not read by the twin yet".into()
        };
        out.push_str(&format!(
            "---\n# {} {} ({}){note}\n",
            d.kind, d.name, d.origin
        ));
        yaml::write_node(&clean(&d.doc.root), 0, &mut out);
    }
    out
}

/// The object without the server's fields.
fn clean(root: &Node) -> Node {
    let mut node = root.clone();
    let Value::Map(top) = &mut node.value else {
        return node;
    };
    top.shift_remove("status");
    if let Some(Node {
        value: Value::Map(meta),
        ..
    }) = top.get_mut("metadata")
    {
        for key in SERVER_METADATA {
            meta.shift_remove(*key);
        }
        if let Some(Node {
            value: Value::Map(annotations),
            ..
        }) = meta.get_mut("annotations")
        {
            annotations.shift_remove(LAST_APPLIED);
            if annotations.is_empty() {
                meta.shift_remove("annotations");
            }
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::Origin;
    use meshtwin_config::source::parse_documents;

    #[test]
    fn server_fields_are_dropped_and_the_rest_is_kept() {
        let text = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: shop\n  uid: 1234\n  resourceVersion: \"99\"\n  managedFields: [{manager: kubectl}]\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\n  labels: {team: a}\nspec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\nstatus: {}\n";
        let doc = parse_documents("dump.yaml", text).unwrap().remove(0);
        let files = policy_files(
            &[MeshDoc {
                doc,
                group: "networking.istio.io".into(),
                kind: "DestinationRule".into(),
                name: "reviews".into(),
                namespace: Some("shop".into()),
                origin: Origin {
                    file: "dump.yaml".into(),
                    line: 1,
                },
            }],
            &BTreeMap::new(),
        );
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "policies/shop.yaml");
        let body = files[0].1.split("---\n").nth(1).unwrap();
        assert_eq!(
            body,
            "# DestinationRule reviews (dump.yaml:1)\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: shop\n  labels:\n    team: a\nspec:\n  host: reviews\n  subsets:\n    - name: v1\n      labels:\n        version: v1\n"
        );
    }
}
