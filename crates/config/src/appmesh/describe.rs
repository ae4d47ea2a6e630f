//! `aws appmesh describe-virtual-node` / `describe-virtual-gateway` output (JSON), as printed
//! by the AWS CLI: `{"virtualNode": {"meshName", "metadata", "spec", "status",
//! "virtualNodeName"}}`; and `create-virtual-node` / `create-virtual-gateway
//! --cli-input-json` bodies, `{"meshName", "virtualNodeName", "spec"}` (no wrapper, no
//! `kind`). A node's `backends` name virtual services by their App Mesh names.
//!
//! There is no Kubernetes object here, so the Kubernetes name and namespace are recovered
//! from the App Mesh controller's naming convention `<k8s name>_<namespace>`
//! (`green_howto-k8s-connection-pools` → `green` in `howto-k8s-connection-pools`); a name
//! without `_` is taken as the Kubernetes name in namespace `default`.

use meshtwin_model::policy::{AppMeshKind, AppMeshListener};
use meshtwin_model::traffic::appmesh::{AppMeshBackends, AppMeshRef};

use super::{crd, listener, Identity};
use crate::decode::{Obj, Result, Val};
use crate::warning::TLS_NOT_MODELLED;

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
/// The fields of a `describe-*` answer's `metadata` (every App Mesh object has the same).
pub(super) const METADATA_FIELDS: &[&str] = &[
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

/// `aws appmesh create-virtual-node` / `create-virtual-gateway --cli-input-json` body fields.
const NODE_BODY_FIELDS: &[&str] = &[
    "clientToken",
    "meshName",
    "meshOwner",
    "spec",
    "tags",
    "virtualNodeName",
];
const GATEWAY_BODY_FIELDS: &[&str] = &[
    "clientToken",
    "meshName",
    "meshOwner",
    "spec",
    "tags",
    "virtualGatewayName",
];
const BACKEND_FIELDS: &[&str] = &["virtualService"];
const BACKEND_VS_FIELDS: &[&str] = &["virtualServiceName", "clientPolicy"];

/// What a describe output or a create body lowers to: the listeners, and a node's backends.
pub type Lowered = (Vec<AppMeshListener>, Option<AppMeshBackends>);

/// Lower a describe output; `root` is the whole document.
pub fn lower(root: &Val<'_>) -> Result<Lowered> {
    let top = root.map(TOP_KEYS)?;
    let (key, kind, fields) = if top.has("virtualNode") {
        ("virtualNode", AppMeshKind::VirtualNode, NODE_FIELDS)
    } else {
        (
            "virtualGateway",
            AppMeshKind::VirtualGateway,
            GATEWAY_FIELDS,
        )
    };
    if top.present(TOP_KEYS).len() > 1 {
        return Err(root.error("expected one of virtualNode or virtualGateway, found both"));
    }
    let obj = top.req(key)?.map(fields)?;
    if let Some(m) = obj.get("metadata") {
        m.map(METADATA_FIELDS)?;
    }
    if let Some(s) = obj.get("status") {
        s.map(STATUS_FIELDS)?.opt("status", |v| v.str().map(drop))?;
    }
    lower_object(&obj, kind)
}

/// Lower a `create-virtual-node` / `create-virtual-gateway --cli-input-json` body (the form
/// the walkthroughs keep in their repositories): `{meshName, virtualNodeName, spec}`.
pub fn lower_body(root: &Val<'_>, kind: AppMeshKind) -> Result<Lowered> {
    let obj = root.map(match kind {
        AppMeshKind::VirtualNode => NODE_BODY_FIELDS,
        AppMeshKind::VirtualGateway => GATEWAY_BODY_FIELDS,
    })?;
    for key in ["clientToken", "meshOwner"] {
        obj.opt(key, |v| v.str().map(drop))?;
    }
    if let Some(t) = obj.get("tags") {
        t.seq()?;
    }
    lower_object(&obj, kind)
}

fn lower_object(obj: &Obj<'_>, kind: AppMeshKind) -> Result<Lowered> {
    let (name_key, spec_fields) = match kind {
        AppMeshKind::VirtualNode => ("virtualNodeName", NODE_SPEC_FIELDS),
        AppMeshKind::VirtualGateway => ("virtualGatewayName", GATEWAY_SPEC_FIELDS),
    };
    let mesh = obj.req_name("meshName")?.to_string();
    let aws_name = obj.req_name(name_key)?.to_string();
    let spec = obj.req("spec")?.map(spec_fields)?;
    crd::unmodelled_spec_fields(&spec)?;
    let (k8s_name, namespace) = match aws_name.rsplit_once('_') {
        Some((n, ns)) if !n.is_empty() && !ns.is_empty() => (n.to_string(), ns.to_string()),
        _ => (aws_name.clone(), "default".to_string()),
    };
    let backends = match spec.get("backends") {
        Some(list) if kind == AppMeshKind::VirtualNode => Some(AppMeshBackends {
            node: AppMeshRef {
                name: k8s_name.clone(),
                namespace: namespace.clone(),
            },
            virtual_services: list
                .seq()?
                .iter()
                .map(|b| backend(b, &namespace))
                .collect::<Result<_>>()?,
        }),
        _ => None,
    };
    let (dns_hostname, cloud_map) = spec
        .opt("serviceDiscovery", crd::service_discovery)?
        .unwrap_or_default();
    let id = Identity {
        kind,
        k8s_name,
        aws_name,
        mesh,
        namespace,
        dns_hostname,
        cloud_map,
        pod_selector: Default::default(),
    };
    Ok((listener::lower_all(&spec, &id)?, backends))
}

/// `{virtualService: {virtualServiceName}}`: the virtual service by its App Mesh name.
fn backend(v: &Val<'_>, namespace: &str) -> Result<AppMeshRef> {
    let vs = v
        .map(BACKEND_FIELDS)?
        .req("virtualService")?
        .map(BACKEND_VS_FIELDS)?;
    if let Some(cp) = vs.ignored("clientPolicy", TLS_NOT_MODELLED) {
        cp.entries()?;
    }
    Ok(AppMeshRef {
        name: vs.req_name("virtualServiceName")?.to_string(),
        namespace: namespace.to_string(),
    })
}
