//! Policy files → [`MeshPolicies`]: dispatch each document on its `kind`.
//!
//! Read: Istio `DestinationRule`, `VirtualService`, `Gateway`, `ServiceEntry`; Tetrate Service
//! Bridge `Gateway` (`gateway.tsb.tetrate.io/v2`, told from Istio's by its API group); App Mesh
//! `VirtualNode` / `VirtualGateway` (CRD form and `aws appmesh describe-*` JSON). Every other
//! kind (`VirtualRouter`, `Deployment`, `Service`, ...) is accepted and skipped:
//! later issues read them. A document without `kind` is an error. Istio resources are read
//! as current Istio reads them unless an [`IstioCompat`] says otherwise.

use std::path::Path;

use meshtwin_model::policy::{AppMeshKind, MeshPolicies};
use meshtwin_model::traffic::IstioCompat;

use crate::appmesh::{crd, describe};
use crate::decode::{Ctx, Result};
use crate::error::ConfigError;
use crate::istio::{destination_rule, gateway, service_entry, virtual_service};
use crate::k8s;
use crate::source::{self, Document, Node, Value};
use crate::tsb;

/// Load every policy in a file (YAML, multi-document YAML, `kind: List`, or JSON).
pub fn load_policies(path: &Path) -> std::result::Result<MeshPolicies, ConfigError> {
    load_policies_with(path, &IstioCompat::default())
}

/// Like [`load_policies`], reading Istio resources as the given Istio release would.
pub fn load_policies_with(
    path: &Path,
    compat: &IstioCompat,
) -> std::result::Result<MeshPolicies, ConfigError> {
    lower_documents(&source::load_documents(path)?, compat)
}

/// Like [`load_policies`], from text; `file` is used in errors.
pub fn parse_policies(file: &str, text: &str) -> std::result::Result<MeshPolicies, ConfigError> {
    parse_policies_with(file, text, &IstioCompat::default())
}

/// Like [`parse_policies`], reading Istio resources as the given Istio release would.
pub fn parse_policies_with(
    file: &str,
    text: &str,
    compat: &IstioCompat,
) -> std::result::Result<MeshPolicies, ConfigError> {
    lower_documents(&source::parse_documents(file, text)?, compat)
}

/// Lower already-parsed documents (read by [`source`]) as [`load_policies`] does: errors
/// point at the documents' own files and lines (`meshtwin import` lowers the mesh resources
/// of a cluster dump where they were written).
pub fn lower_policy_documents(docs: &[Document]) -> std::result::Result<MeshPolicies, ConfigError> {
    lower_documents(docs, &IstioCompat::default())
}

fn lower_documents(docs: &[Document], compat: &IstioCompat) -> Result<MeshPolicies> {
    let mut out = MeshPolicies::default();
    for doc in docs {
        lower_document(doc, &mut out, compat)?;
    }
    Ok(out)
}

/// A string field of a mapping node, without error reporting (for labelling objects).
fn peek<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(m) => m.get(key),
        _ => None,
    }
}

fn peek_str<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match peek(node, key).map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

fn lower_document(doc: &Document, out: &mut MeshPolicies, compat: &IstioCompat) -> Result<()> {
    let file_ctx = Ctx::new(doc.file.as_str());
    let root = file_ctx.root(&doc.root);
    let Value::Map(map) = &doc.root.value else {
        return Err(root.error(format!(
            "expected a Kubernetes object or `aws appmesh describe-*` output, found {}",
            doc.root.value.describe()
        )));
    };
    if !map.contains_key("kind") {
        for (key, kind, name_key) in [
            ("virtualNode", AppMeshKind::VirtualNode, "virtualNodeName"),
            (
                "virtualGateway",
                AppMeshKind::VirtualGateway,
                "virtualGatewayName",
            ),
        ] {
            if let Some(inner) = map.get(key) {
                let ctx =
                    file_ctx.with_object(describe::object_label(kind, peek_str(inner, name_key)));
                out.appmesh_listeners
                    .extend(describe::lower(&ctx.root(&doc.root))?);
                return Ok(());
            }
        }
        return Err(root.error(
            "document has no `kind` (expected a Kubernetes object such as a DestinationRule, \
             or `aws appmesh describe-virtual-node` / `describe-virtual-gateway` output)",
        ));
    }
    let kind_val = ctx_kind(&file_ctx, &doc.root)?;
    let name = peek(&doc.root, "metadata").and_then(|m| peek_str(m, "name"));
    let ctx = file_ctx.with_object(format!("{kind_val} {}", name.unwrap_or("?")));
    let root = ctx.root(&doc.root);
    let api = peek_str(&doc.root, "apiVersion").unwrap_or("");
    match kind_val.as_str() {
        "DestinationRule" => {
            let object = root.map(k8s::OBJECT_FIELDS)?;
            out.destination_rules
                .push(destination_rule::lower(&object)?);
        }
        "VirtualService" if api.starts_with("networking.istio.io/") => {
            let object = root.map(k8s::OBJECT_FIELDS)?;
            out.virtual_services
                .push(virtual_service::lower(&object, compat)?);
        }
        // Istio's and TSB's gateways share the kind: the API group tells them apart.
        "Gateway" if api.starts_with("gateway.tsb.tetrate.io/") => {
            let object = root.map(k8s::OBJECT_FIELDS)?;
            out.tsb_gateways.push(tsb::gateway::lower(&object)?);
        }
        "Gateway" if api.starts_with("networking.istio.io/") => {
            let object = root.map(k8s::OBJECT_FIELDS)?;
            out.gateways.push(gateway::lower(&object)?);
        }
        "ServiceEntry" if api.starts_with("networking.istio.io/") => {
            let object = root.map(k8s::OBJECT_FIELDS)?;
            out.service_entries.push(service_entry::lower(&object)?);
        }
        "VirtualNode" | "VirtualGateway" if api.starts_with("appmesh.k8s.aws/") => {
            let kind = if kind_val == "VirtualNode" {
                AppMeshKind::VirtualNode
            } else {
                AppMeshKind::VirtualGateway
            };
            let object = root.map(k8s::OBJECT_FIELDS)?;
            out.appmesh_listeners.extend(crd::lower(&object, kind)?);
        }
        _ => {}
    }
    Ok(())
}

/// The document's `kind`, which must be a non-empty string.
fn ctx_kind(ctx: &Ctx, root: &Node) -> Result<String> {
    let root = ctx.root(root);
    let Some(kind) = peek(root.node, "kind") else {
        return Err(root.error("missing field `kind`"));
    };
    let v = crate::decode::Val {
        node: kind,
        path: "kind".into(),
        ctx,
    };
    Ok(v.name()?.to_string())
}
