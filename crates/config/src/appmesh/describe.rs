//! `aws appmesh describe-virtual-node` / `describe-virtual-gateway` output (JSON), as printed
//! by the AWS CLI: `{"virtualNode": {"meshName", "metadata", "spec", "status",
//! "virtualNodeName"}}`.
//!
//! There is no Kubernetes object here, so the Kubernetes name and namespace are recovered
//! from the App Mesh controller's naming convention `<k8s name>_<namespace>`
//! (`green_howto-k8s-connection-pools` → `green` in `howto-k8s-connection-pools`); a name
//! without `_` is taken as the Kubernetes name in namespace `default`.

use meshtwin_model::policy::{AppMeshKind, AppMeshListener};

use super::{crd, listener, Identity};
use crate::decode::{Result, Val};

/// Top-level keys of the two outputs.
pub const TOP_KEYS: &[&str] = &["virtualNode", "virtualGateway"];

const NODE_FIELDS: &[&str] = &["meshName", "metadata", "spec", "status", "virtualNodeName"];
const GATEWAY_FIELDS: &[&str] = &[
    "meshName",
    "metadata",
    "spec",
    "status",
    "virtualGatewayName",
];
const METADATA_FIELDS: &[&str] = &[
    "arn",
    "createdAt",
    "lastUpdatedAt",
    "meshOwner",
    "resourceOwner",
    "uid",
    "version",
];
const STATUS_FIELDS: &[&str] = &["status"];
const NODE_SPEC_FIELDS: &[&str] = &[
    "backends",
    "backendDefaults",
    "listeners",
    "logging",
    "serviceDiscovery",
];
const GATEWAY_SPEC_FIELDS: &[&str] = &["backendDefaults", "listeners", "logging"];

/// The object name used in errors, e.g. `VirtualNode green_howto-k8s-connection-pools`.
pub fn object_label(kind: AppMeshKind, name: Option<&str>) -> String {
    let name = crate::names::shorten(name.unwrap_or("?"));
    format!("{} {name}", super::kind_name(kind))
}

/// Lower a describe output; `root` is the whole document.
pub fn lower(root: &Val<'_>) -> Result<Vec<AppMeshListener>> {
    let top = root.map(TOP_KEYS)?;
    let (key, kind, fields, name_key, spec_fields) = if top.has("virtualNode") {
        (
            "virtualNode",
            AppMeshKind::VirtualNode,
            NODE_FIELDS,
            "virtualNodeName",
            NODE_SPEC_FIELDS,
        )
    } else {
        (
            "virtualGateway",
            AppMeshKind::VirtualGateway,
            GATEWAY_FIELDS,
            "virtualGatewayName",
            GATEWAY_SPEC_FIELDS,
        )
    };
    if top.present(TOP_KEYS).len() > 1 {
        return Err(root.error("expected one of virtualNode or virtualGateway, found both"));
    }
    let obj = top.req(key)?.map(fields)?;
    let mesh = obj.req_name("meshName")?.to_string();
    let aws_name = obj.req_name(name_key)?.to_string();
    if let Some(m) = obj.get("metadata") {
        m.map(METADATA_FIELDS)?;
    }
    if let Some(s) = obj.get("status") {
        s.map(STATUS_FIELDS)?.opt("status", |v| v.str().map(drop))?;
    }
    let spec = obj.req("spec")?.map(spec_fields)?;
    crd::unmodelled_spec_fields(&spec)?;
    let (k8s_name, namespace) = match aws_name.rsplit_once('_') {
        Some((n, ns)) if !n.is_empty() && !ns.is_empty() => (n.to_string(), ns.to_string()),
        _ => (aws_name.clone(), "default".to_string()),
    };
    let id = Identity {
        kind,
        k8s_name,
        aws_name,
        mesh,
        namespace,
        dns_hostname: spec
            .opt("serviceDiscovery", crd::service_discovery)?
            .flatten(),
        pod_selector: Default::default(),
    };
    listener::lower_all(&spec, &id)
}
