//! Policy files → [`MeshPolicies`]: dispatch each document on its `kind` and `apiVersion`.
//!
//! Read: Istio `DestinationRule`, `VirtualService`, `Gateway`, `ServiceEntry`; Tetrate Service
//! Bridge `Gateway` (`gateway.tsb.tetrate.io/v2`, told from Istio's by its API group); App Mesh
//! `VirtualNode` / `VirtualGateway` (CRD form and `aws appmesh describe-*` JSON). Other kinds
//! meshtwin knows (see [`crate::kinds`]) are warnings saying what is not modelled; unknown
//! kinds, malformed or unknown `apiVersion`s and documents without `kind` are errors, and so
//! is a file with no object at all (`kubectl apply -f` refuses it: "no objects passed to
//! apply"). Istio resources are read as current Istio reads them unless an [`IstioCompat`]
//! says otherwise.

use std::path::Path;

use indexmap::IndexMap;
use meshtwin_model::policy::{AppMeshKind, MeshPolicies};
use meshtwin_model::traffic::IstioCompat;

use crate::appmesh::{crd, describe, describe_routing, gateway_route, routing};
use crate::decode::{Ctx, Obj, Result, Val};
use crate::error::ConfigError;
use crate::istio::{destination_rule, gateway, service_entry, virtual_service};
use crate::k8s;
use crate::kinds::{self, Handling};
use crate::names::shorten;
use crate::source::{self, Document, Node, Value};
use crate::tsb;
use crate::warning::Loaded;

/// The outcome of loading policies: the policies and the warnings about what they contain
/// that the twin does not model.
pub type LoadedPolicies = Loaded<MeshPolicies>;

/// Load every policy in a file (YAML, multi-document YAML, `kind: List`, or JSON).
pub fn load_policies(path: &Path) -> std::result::Result<LoadedPolicies, ConfigError> {
    load_policies_with(path, &IstioCompat::default())
}

/// Like [`load_policies`], reading Istio resources as the given Istio release would.
pub fn load_policies_with(
    path: &Path,
    compat: &IstioCompat,
) -> std::result::Result<LoadedPolicies, ConfigError> {
    let file = path.display().to_string();
    lower_documents(&file, &source::load_documents(path)?, compat)
}

/// Like [`load_policies`], from text; `file` is used in errors.
pub fn parse_policies(file: &str, text: &str) -> std::result::Result<LoadedPolicies, ConfigError> {
    parse_policies_with(file, text, &IstioCompat::default())
}

/// Like [`parse_policies`], reading Istio resources as the given Istio release would.
pub fn parse_policies_with(
    file: &str,
    text: &str,
    compat: &IstioCompat,
) -> std::result::Result<LoadedPolicies, ConfigError> {
    lower_documents(file, &source::parse_documents(file, text)?, compat)
}

/// Lower already-parsed documents (read by [`source`]) as [`load_policies`] does: errors
/// and warnings point at the documents' own files and lines (`meshtwin import` lowers the
/// mesh resources of a cluster dump where they were written).
pub fn lower_policy_documents(
    docs: &[Document],
) -> std::result::Result<LoadedPolicies, ConfigError> {
    let mut out = Loaded {
        value: MeshPolicies::default(),
        warnings: Vec::new(),
    };
    for doc in docs {
        let one = lower_documents(
            &doc.file,
            std::slice::from_ref(doc),
            &IstioCompat::default(),
        )?;
        out.value.extend(one.value);
        out.warnings.extend(one.warnings);
    }
    Ok(out)
}

fn lower_documents(file: &str, docs: &[Document], compat: &IstioCompat) -> Result<LoadedPolicies> {
    if docs.is_empty() {
        return Err(ConfigError::file(
            file,
            1,
            "no objects in the file (kubectl apply -f: \"no objects passed to apply\")",
        ));
    }
    let ctx = Ctx::new(file);
    let mut out = MeshPolicies::default();
    for doc in docs {
        lower_document(&ctx, doc, &mut out, compat)?;
    }
    Ok(Loaded {
        value: out,
        warnings: ctx.take_warnings(),
    })
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

fn lower_document(
    file_ctx: &Ctx,
    doc: &Document,
    out: &mut MeshPolicies,
    compat: &IstioCompat,
) -> Result<()> {
    let root = file_ctx.root(&doc.root);
    let Value::Map(map) = &doc.root.value else {
        // The kind of value only: a path to an unrelated file must not print its content.
        return Err(root.error(format!(
            "expected a Kubernetes object or `aws appmesh describe-*` output, found {}",
            doc.root.value.kind_name()
        )));
    };
    if !map.contains_key("kind") {
        return lower_appmesh_cli_output(file_ctx, doc, map, out);
    }
    // `Kind name` labels every message about the object (both cut to a readable length).
    let name = peek(&doc.root, "metadata").and_then(|m| peek_str(m, "name"));
    let ctx = match peek_str(&doc.root, "kind") {
        Some(kind) => file_ctx.with_object(format!(
            "{} {}",
            shorten(kind),
            shorten(name.unwrap_or("?"))
        )),
        None => file_ctx.clone(),
    };
    let root = ctx.root(&doc.root);
    let kind_node = &map["kind"];
    let kind_val = Val {
        node: kind_node,
        path: "kind".into(),
        ctx: &ctx,
    };
    let api_val = peek(&doc.root, "apiVersion").map(|node| Val {
        node,
        path: "apiVersion".into(),
        ctx: &ctx,
    });
    let known = kinds::classify(&kind_val, api_val.as_ref(), &root)?;
    if let Handling::Ignored(why) = known.handling {
        root.warn(format!("ignored: not modelled ({why})"));
        return Ok(());
    }
    let object = root.map(k8s::OBJECT_FIELDS)?;
    lower_object(known, &object, out, compat)
}

/// A document without `kind`: `aws appmesh describe-virtual-node` / `describe-virtual-gateway`
/// output, or a `create-virtual-node` / `create-virtual-gateway --cli-input-json` body.
fn lower_appmesh_cli_output(
    file_ctx: &Ctx,
    doc: &Document,
    map: &IndexMap<String, Node>,
    out: &mut MeshPolicies,
) -> Result<()> {
    if let Some((key, label)) = describe_routing::kind_of(|k| map.contains_key(k)) {
        // The name sits in the describe wrapper, or at the top of a create body.
        let inner = map
            .get(key)
            .filter(|_| describe_routing::TOP_KEYS.contains(&key));
        let name = peek_str(
            inner.unwrap_or(&doc.root),
            describe_routing::name_key(label),
        );
        let ctx = file_ctx.with_object(format!("{label} {}", shorten(name.unwrap_or("?"))));
        return describe_routing::lower(&ctx.root(&doc.root), key, out);
    }
    for (key, kind, name_key) in [
        ("virtualNode", AppMeshKind::VirtualNode, "virtualNodeName"),
        (
            "virtualGateway",
            AppMeshKind::VirtualGateway,
            "virtualGatewayName",
        ),
    ] {
        let lowered = if let Some(inner) = map.get(key) {
            let ctx = file_ctx.with_object(describe::object_label(kind, peek_str(inner, name_key)));
            describe::lower(&ctx.root(&doc.root))?
        } else if map.contains_key(name_key) {
            let ctx =
                file_ctx.with_object(describe::object_label(kind, peek_str(&doc.root, name_key)));
            describe::lower_body(&ctx.root(&doc.root), kind)?
        } else {
            continue;
        };
        out.appmesh_listeners.extend(lowered.0);
        out.appmesh_routing.backends.extend(lowered.1);
        return Ok(());
    }
    Err(file_ctx.root(&doc.root).error(
        "document has no `kind` (expected a Kubernetes object such as a DestinationRule, \
         `aws appmesh describe-*` output of a virtual node, gateway, service or router, a \
         route or a gateway route, or the matching `create-* --cli-input-json` body)",
    ))
}

/// A Kubernetes object of a kind the twin reads, lowered into its place in `out`.
fn lower_object(
    known: &kinds::Known,
    object: &Obj<'_>,
    out: &mut MeshPolicies,
    compat: &IstioCompat,
) -> Result<()> {
    match (known.group, known.kind) {
        ("networking.istio.io", "DestinationRule") => out
            .destination_rules
            .push(destination_rule::lower(object, compat)?),
        ("networking.istio.io", "VirtualService") => out
            .virtual_services
            .push(virtual_service::lower(object, compat)?),
        ("networking.istio.io", "Gateway") => out.gateways.push(gateway::lower(object)?),
        ("networking.istio.io", "ServiceEntry") => {
            out.service_entries.push(service_entry::lower(object)?)
        }
        ("gateway.tsb.tetrate.io", "Gateway") => {
            out.tsb_gateways.push(tsb::gateway::lower(object)?)
        }
        ("appmesh.k8s.aws", "VirtualNode") => {
            out.appmesh_listeners
                .extend(crd::lower(object, AppMeshKind::VirtualNode)?);
            if let Some(b) = routing::node_backends(object)? {
                out.appmesh_routing.backends.push(b);
            }
        }
        ("appmesh.k8s.aws", "VirtualService") => out
            .appmesh_routing
            .virtual_services
            .push(routing::virtual_service(object)?),
        ("appmesh.k8s.aws", "VirtualRouter") => out
            .appmesh_routing
            .virtual_routers
            .push(routing::virtual_router(object)?),
        ("appmesh.k8s.aws", "GatewayRoute") => out
            .appmesh_routing
            .gateway_routes
            .push(gateway_route::gateway_route(object)?),
        ("appmesh.k8s.aws", "VirtualGateway") => {
            out.appmesh_listeners
                .extend(crd::lower(object, AppMeshKind::VirtualGateway)?);
            out.appmesh_routing
                .gateways
                .push(gateway_route::gateway_selectors(object)?);
        }
        ("", "Namespace") => {
            let (name, labels) = gateway_route::namespace(object)?;
            out.appmesh_routing.namespaces.insert(name, labels);
        }
        (group, kind) => {
            unreachable!("kinds::KINDS reads {kind} in {group:?} but nothing lowers it")
        }
    }
    Ok(())
}
