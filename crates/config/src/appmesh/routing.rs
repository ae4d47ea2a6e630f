//! App Mesh's routing CRDs (`appmesh.k8s.aws/v1beta2`): `VirtualService`, `VirtualRouter`
//! (with its routes) and a `VirtualNode`'s `backends` (`GatewayRoute`: [`super::gateway_route`]).
//!
//! A virtual service's name for clients is `spec.awsName`, else `<name>.<namespace>`; the mesh
//! is `spec.meshRef.name`, else the object's `mesh` label, else the namespace (as for nodes).

use std::collections::BTreeMap;

use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::AppMeshRef;
use meshtwin_model::traffic::appmesh::{
    AppMeshBackends, AppMeshProvider, AppMeshRoute, AppMeshTarget, AppMeshVirtualRouter,
    AppMeshVirtualService,
};
use meshtwin_model::SourceRef;

use super::crd::API_VERSIONS;
use super::route::{self, block_protocol, one_block, ROUTE_BLOCKS};
use crate::decode::{Obj, Result, Val};
use crate::k8s;
use crate::warning::TLS_NOT_MODELLED;

const VS_SPEC_FIELDS: &[&str] = &["awsName", "meshRef", "provider"];
const PROVIDER_FIELDS: &[&str] = &["virtualNode", "virtualRouter"];
const VN_PROVIDER_FIELDS: &[&str] = &["virtualNodeRef", "virtualNodeARN"];
const VR_PROVIDER_FIELDS: &[&str] = &["virtualRouterRef", "virtualRouterARN"];
const VR_SPEC_FIELDS: &[&str] = &["awsName", "meshRef", "listeners", "routes"];
const VR_LISTENER_FIELDS: &[&str] = &["portMapping"];
const PORT_MAPPING_FIELDS: &[&str] = &["port", "protocol"];
const ROUTE_FIELDS: &[&str] = &[
    "name",
    "priority",
    "httpRoute",
    "http2Route",
    "grpcRoute",
    "tcpRoute",
];
const HTTP_ROUTE_FIELDS: &[&str] = &["match", "action", "retryPolicy", "timeout"];
const TCP_ROUTE_FIELDS: &[&str] = &["match", "action", "timeout"];
const ACTION_FIELDS: &[&str] = &["weightedTargets"];
const BACKEND_FIELDS: &[&str] = &["virtualService"];
const BACKEND_VS_FIELDS: &[&str] = &["virtualServiceRef", "virtualServiceARN", "clientPolicy"];

/// Who a routing object is (name, namespace, mesh, labels, where).
pub(super) struct Head {
    pub name: String,
    pub namespace: String,
    pub mesh: String,
    pub labels: BTreeMap<String, String>,
    pub source: SourceRef,
}

pub(super) fn head<'a>(
    object: &Obj<'a>,
    kind: &str,
    fields: &'static [&'static str],
) -> Result<(Head, Obj<'a>)> {
    k8s::api_version(object, kind, API_VERSIONS)?;
    let meta = k8s::metadata(object)?;
    let spec_val = object.req("spec")?;
    let spec = spec_val.map(fields)?;
    let mesh_ref = spec.opt("meshRef", |v| {
        let r = v.map(&["name", "uid"])?;
        r.opt("uid", |u| u.str().map(drop))?;
        r.req_name("name").map(str::to_string)
    })?;
    let mesh = mesh_ref
        .or_else(|| meta.labels.get("mesh").cloned())
        .unwrap_or_else(|| meta.namespace.clone());
    let source = SourceRef {
        file: spec_val.ctx.file.clone(),
        line: spec_val.line(),
    };
    Ok((
        Head {
            name: meta.name,
            namespace: meta.namespace,
            mesh,
            labels: meta.labels,
            source,
        },
        spec,
    ))
}

/// A `VirtualService` object.
pub fn virtual_service(object: &Obj<'_>) -> Result<AppMeshVirtualService> {
    let (h, spec) = head(object, "VirtualService", VS_SPEC_FIELDS)?;
    let aws_name = spec
        .opt("awsName", |v| v.str().map(str::to_string))?
        .unwrap_or_else(|| format!("{}.{}", h.name, h.namespace));
    let provider = match spec.get("provider") {
        None => AppMeshProvider::None,
        Some(p) => {
            let p = p.map(PROVIDER_FIELDS)?;
            match (p.get("virtualNode"), p.get("virtualRouter")) {
                (Some(n), None) => {
                    let n = n.map(VN_PROVIDER_FIELDS)?;
                    AppMeshProvider::VirtualNode(route::reference(
                        &n.req("virtualNodeRef")?,
                        &h.namespace,
                    )?)
                }
                (None, Some(r)) => {
                    let r = r.map(VR_PROVIDER_FIELDS)?;
                    AppMeshProvider::VirtualRouter(route::reference(
                        &r.req("virtualRouterRef")?,
                        &h.namespace,
                    )?)
                }
                _ => {
                    return Err(spec
                        .req("provider")?
                        .error("set one of virtualNode or virtualRouter"))
                }
            }
        }
    };
    Ok(AppMeshVirtualService {
        name: h.name,
        namespace: h.namespace,
        mesh: h.mesh,
        aws_name,
        provider,
        source: h.source,
    })
}

/// A `VirtualRouter` object with its routes, sorted by priority (unset last), then file order.
pub fn virtual_router(object: &Obj<'_>) -> Result<AppMeshVirtualRouter> {
    let (h, spec) = head(object, "VirtualRouter", VR_SPEC_FIELDS)?;
    let listeners = spec
        .list("listeners")?
        .iter()
        .map(|l| {
            let pm = l
                .map(VR_LISTENER_FIELDS)?
                .req("portMapping")?
                .map(PORT_MAPPING_FIELDS)?;
            let port = pm.req("port")?.int_in(1, 65535)? as u16;
            let proto = super::listener::protocol(
                pm.req("protocol")?
                    .one_of(&["http", "http2", "grpc", "tcp"])?,
            );
            Ok((port, proto))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut routes = spec
        .opt("routes", |r| {
            r.seq()?
                .iter()
                .map(|r| router_route(r, &h.namespace))
                .collect::<Result<Vec<_>>>()
        })?
        .unwrap_or_default();
    routes.sort_by_key(|r| r.priority.unwrap_or(u32::MAX));
    Ok(AppMeshVirtualRouter {
        name: h.name,
        namespace: h.namespace,
        mesh: h.mesh,
        listeners,
        routes,
        source: h.source,
    })
}

fn router_route(v: &Val<'_>, namespace: &str) -> Result<AppMeshRoute> {
    let r = v.map(ROUTE_FIELDS)?;
    let name = r.req_name("name")?.to_string();
    route_spec(&r, v, name, &|action| route::targets(action, namespace))
}

/// What a weighted target list lowers to (the CRD names nodes by reference, the API by name).
pub(super) type Targets<'t> = &'t dyn Fn(&Obj<'_>) -> Result<Vec<AppMeshTarget>>;

/// One route's `priority` and route block, `r` being the route (CRD) or its `spec` (API).
pub(super) fn route_spec(
    r: &Obj<'_>,
    v: &Val<'_>,
    name: String,
    targets: Targets<'_>,
) -> Result<AppMeshRoute> {
    let priority = r.opt("priority", |p| Ok(p.int_in(0, 1000)? as u32))?;
    let (block, b) = one_block(r, v, ROUTE_BLOCKS)?;
    let protocol = block_protocol(block);
    let (matcher, retries, (timeout, idle_timeout), action) = if protocol == Protocol::Tcp {
        let t = b.map(TCP_ROUTE_FIELDS)?;
        let mut m = catch_all();
        m.port = t
            .opt("match", |x| {
                x.map(&["port"])?
                    .opt("port", |p| Ok(p.int_in(1, 65535)? as u16))
            })?
            .flatten();
        // `TcpTimeout` has `idle` only: the client's tcp_proxy `idle_timeout`.
        let idle = t
            .opt("timeout", |x| {
                x.map(&["idle"])?.opt("idle", route::duration)
            })?
            .flatten();
        (m, None, (None, idle), t.req("action")?)
    } else {
        let t = b.map(HTTP_ROUTE_FIELDS)?;
        let m = match t.get("match") {
            Some(m) if protocol == Protocol::Grpc => route::grpc_match(&m)?,
            Some(m) => route::http_match(&m)?,
            None => return Err(b.error("match: required")),
        };
        (
            m,
            t.opt("retryPolicy", route::retry_policy)?,
            t.opt("timeout", route::timeout)?.unwrap_or_default(),
            t.req("action")?,
        )
    };
    Ok(AppMeshRoute {
        name,
        protocol,
        priority,
        matcher,
        targets: targets(&action.map(ACTION_FIELDS)?)?,
        retries,
        timeout,
        idle_timeout,
    })
}

/// A match-everything HTTP match (a tcp route's).
fn catch_all() -> meshtwin_model::traffic::http::HttpMatch {
    meshtwin_model::traffic::http::HttpMatch {
        name: None,
        path: meshtwin_model::traffic::http::PathMatch::Prefix("/".into()),
        case_sensitive: true,
        headers: Vec::new(),
        query_params: Vec::new(),
        port: None,
        source_labels: Default::default(),
        source_namespace: None,
        gateways: Vec::new(),
    }
}

/// A `VirtualNode`'s `backends` (CRD form): the virtual services it may call. `None` when it
/// lists none.
pub fn node_backends(object: &Obj<'_>) -> Result<Option<AppMeshBackends>> {
    let meta = k8s::metadata(object)?;
    let Some(spec) = object.get("spec") else {
        return Ok(None);
    };
    let Some(list) = spec.map(super::crd::NODE_SPEC_FIELDS)?.get("backends") else {
        return Ok(None);
    };
    let mut virtual_services = Vec::new();
    for b in list.seq()? {
        let vs = b
            .map(BACKEND_FIELDS)?
            .req("virtualService")?
            .map(BACKEND_VS_FIELDS)?;
        if let Some(cp) = vs.ignored("clientPolicy", TLS_NOT_MODELLED) {
            cp.entries()?;
        }
        virtual_services.push(match (vs.get("virtualServiceRef"), vs.get("virtualServiceARN")) {
            (Some(r), None) => route::reference(&r, &meta.namespace)?,
            (None, Some(arn)) => {
                let a = arn.str()?;
                let name = a
                    .rsplit_once("/virtualService/")
                    .map(|(_, n)| n)
                    .ok_or_else(|| arn.error("expected a virtual service ARN (…:mesh/<mesh>/virtualService/<name>)"))?;
                AppMeshRef {
                    name: name.to_string(),
                    namespace: meta.namespace.clone(),
                }
            }
            _ => return Err(b.error("virtualService: set one of virtualServiceRef or virtualServiceARN")),
        });
    }
    Ok(Some(AppMeshBackends {
        node: AppMeshRef {
            name: meta.name,
            namespace: meta.namespace,
        },
        virtual_services,
    }))
}
