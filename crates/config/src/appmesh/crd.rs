//! App Mesh's Kubernetes CRDs (`appmesh.k8s.aws/v1beta2`): `VirtualNode` and `VirtualGateway`.
//!
//! Names as the App Mesh controller derives them: `aws_name` is `spec.awsName`, else
//! `<metadata.name>_<namespace>`; the mesh is `spec.meshRef.name`, else the object's `mesh`
//! label, else the namespace (the walkthroughs name the mesh after the namespace).

use std::collections::BTreeMap;

use meshtwin_model::policy::{AppMeshKind, AppMeshListener, CloudMapDiscovery};

use super::{listener, Identity};
use crate::decode::{Obj, Result, Val};
use crate::k8s;
use crate::warning::TLS_NOT_MODELLED;

/// The only CRD version whose schema meshtwin reads.
pub const API_VERSIONS: &[&str] = &["appmesh.k8s.aws/v1beta2"];

pub(super) const NODE_SPEC_FIELDS: &[&str] = &[
    "awsName",
    "meshRef",
    "podSelector",
    "listeners",
    "serviceDiscovery",
    "backends",
    "backendDefaults",
    "logging",
];
pub(super) const GATEWAY_SPEC_FIELDS: &[&str] = &[
    "awsName",
    "meshRef",
    "namespaceSelector",
    "podSelector",
    "gatewayRouteSelector",
    "listeners",
    "logging",
    "backendDefaults",
];
const MESH_REF_FIELDS: &[&str] = &["name", "uid"];
const SELECTOR_FIELDS: &[&str] = &["matchLabels", "matchExpressions"];
const DISCOVERY_FIELDS: &[&str] = &["dns", "awsCloudMap"];
const DNS_FIELDS: &[&str] = &["hostname", "responseType", "ipPreference"];
const CLOUD_MAP_FIELDS: &[&str] = &["namespaceName", "serviceName", "attributes", "ipPreference"];

/// Lower a `VirtualNode` or `VirtualGateway` object (envelope opened as `object`).
pub fn lower(object: &Obj<'_>, kind: AppMeshKind) -> Result<Vec<AppMeshListener>> {
    k8s::api_version(object, super::kind_name(kind), API_VERSIONS)?;
    let meta = k8s::metadata(object)?;
    let spec = object.req("spec")?.map(match kind {
        AppMeshKind::VirtualNode => NODE_SPEC_FIELDS,
        AppMeshKind::VirtualGateway => GATEWAY_SPEC_FIELDS,
    })?;
    let aws_name = spec
        .opt("awsName", |v| v.name().map(str::to_string))?
        .unwrap_or_else(|| format!("{}_{}", meta.name, meta.namespace));
    let mesh_ref = spec.opt("meshRef", |v| {
        let r = v.map(MESH_REF_FIELDS)?;
        r.opt("uid", |u| u.str().map(drop))?;
        r.req_name("name").map(str::to_string)
    })?;
    let mesh = mesh_ref
        .or_else(|| meta.labels.get("mesh").cloned())
        .unwrap_or_else(|| meta.namespace.clone());
    let pod_selector = spec.opt("podSelector", selector)?.unwrap_or_default();
    if let Some(ns) = spec.get("namespaceSelector") {
        selector(&ns)?;
    }
    if let Some(gr) = spec.get("gatewayRouteSelector") {
        selector(&gr)?;
    }
    unmodelled_spec_fields(&spec)?;
    let (dns_hostname, cloud_map) = spec
        .opt("serviceDiscovery", service_discovery)?
        .unwrap_or_default();
    let id = Identity {
        kind,
        k8s_name: meta.name,
        aws_name,
        mesh,
        namespace: meta.namespace,
        dns_hostname,
        cloud_map,
        pod_selector,
    };
    listener::lower_all(&spec, &id)
}

/// A node's or gateway's `backends`, `backendDefaults` and `logging`: type-checked (backends
/// are read by [`super::routing::node_backends`]); `backendDefaults` (client TLS) is a
/// warning, logging changes no traffic.
pub fn unmodelled_spec_fields(spec: &Obj<'_>) -> Result<()> {
    spec.ignored("backendDefaults", TLS_NOT_MODELLED);
    for key in ["backends", "backendDefaults", "logging"] {
        if let Some(v) = spec.get(key) {
            if v.seq().is_err() {
                v.entries()?;
            }
        }
    }
    Ok(())
}

/// `{matchLabels: {...}, matchExpressions: [...]}` → the match labels.
fn selector(v: &Val<'_>) -> Result<BTreeMap<String, String>> {
    let s = v.map(SELECTOR_FIELDS)?;
    if s.ignored(
        "matchExpressions",
        "only matchLabels select pods: the selector may select more pods than it should",
    )
    .is_some()
    {
        s.list("matchExpressions")?;
    }
    Ok(s.opt("matchLabels", Val::string_map)?.unwrap_or_default())
}

/// `serviceDiscovery` → the DNS hostname (DNS discovery) or the Cloud Map service and
/// attributes (`awsCloudMap`).
pub fn service_discovery(v: &Val<'_>) -> Result<(Option<String>, Option<CloudMapDiscovery>)> {
    let sd = v.map(DISCOVERY_FIELDS)?;
    if sd.present(DISCOVERY_FIELDS).len() > 1 {
        return Err(v.error("set one of dns or awsCloudMap"));
    }
    let cloud_map = sd.opt("awsCloudMap", |c| {
        let c = c.map(CLOUD_MAP_FIELDS)?;
        c.opt("ipPreference", |v| v.str().map(drop))?;
        let attributes = c
            .opt("attributes", |a| {
                a.seq()?
                    .iter()
                    .map(|kv| {
                        let kv = kv.map(&["key", "value"])?;
                        Ok((
                            kv.req_name("key")?.to_string(),
                            kv.req("value")?.str()?.to_string(),
                        ))
                    })
                    .collect::<Result<BTreeMap<_, _>>>()
            })?
            .unwrap_or_default();
        Ok(CloudMapDiscovery {
            namespace_name: c.req_name("namespaceName")?.to_string(),
            service_name: c.req_name("serviceName")?.to_string(),
            attributes,
        })
    })?;
    let dns = sd.opt("dns", |d| {
        let d = d.map(DNS_FIELDS)?;
        d.opt("responseType", |v| {
            v.one_of(&["LOADBALANCER", "ENDPOINTS"]).map(drop)
        })?;
        d.opt("ipPreference", |v| v.str().map(drop))?;
        d.req_name("hostname").map(str::to_string)
    })?;
    Ok((dns, cloud_map))
}
