//! App Mesh's routing CRDs (`appmesh.k8s.aws/v1beta2`): `VirtualService`, `VirtualRouter`
//! (with its routes), `GatewayRoute`, and a `VirtualNode`'s `backends`.
//!
//! A virtual service's name for clients is `spec.awsName`, else `<name>.<namespace>`; the mesh
//! is `spec.meshRef.name`, else the object's `mesh` label, else the namespace (as for nodes).

use std::collections::BTreeMap;

use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::AppMeshRef;
use meshtwin_model::traffic::appmesh::{
    AppMeshBackends, AppMeshGatewayRoute, AppMeshGatewaySelectors, AppMeshProvider, AppMeshRoute,
    AppMeshVirtualRouter, AppMeshVirtualService,
};
use meshtwin_model::traffic::http::{PathMatch, StringMatch};
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
const GR_SPEC_FIELDS: &[&str] = &[
    "awsName",
    "meshRef",
    "priority",
    "httpRoute",
    "http2Route",
    "grpcRoute",
];
const GR_ROUTE_FIELDS: &[&str] = &["match", "action"];
const GR_MATCH_FIELDS: &[&str] = &[
    "prefix",
    "path",
    "headers",
    "method",
    "queryParameters",
    "hostname",
    "port",
    "serviceName",
    "metadata",
];
const GR_ACTION_FIELDS: &[&str] = &["target", "rewrite"];
const GR_TARGET_FIELDS: &[&str] = &["virtualService", "port"];
const GR_VS_FIELDS: &[&str] = &["virtualServiceRef", "virtualServiceARN"];
const HOSTNAME_FIELDS: &[&str] = &["exact", "suffix"];
const REWRITE_FIELDS: &[&str] = &["prefix", "path", "hostname"];
const REWRITE_PREFIX_FIELDS: &[&str] = &["defaultPrefix", "value"];
const BACKEND_FIELDS: &[&str] = &["virtualService"];
const BACKEND_VS_FIELDS: &[&str] = &["virtualServiceRef", "virtualServiceARN", "clientPolicy"];

struct Head {
    name: String,
    namespace: String,
    mesh: String,
    labels: BTreeMap<String, String>,
    source: SourceRef,
}

fn head<'a>(
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
    let priority = r.opt("priority", |p| Ok(p.int_in(0, 1000)? as u32))?;
    let (block, b) = one_block(&r, v, ROUTE_BLOCKS)?;
    let protocol = block_protocol(block);
    let (matcher, retries, timeout, action) = if protocol == Protocol::Tcp {
        let t = b.map(TCP_ROUTE_FIELDS)?;
        let mut m = catch_all();
        m.port = t
            .opt("match", |x| {
                x.map(&["port"])?
                    .opt("port", |p| Ok(p.int_in(1, 65535)? as u16))
            })?
            .flatten();
        if let Some(x) = t.get("timeout") {
            route::timeout(&x)?;
        }
        (m, None, None, t.req("action")?)
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
            t.opt("timeout", route::timeout)?.flatten(),
            t.req("action")?,
        )
    };
    Ok(AppMeshRoute {
        name,
        protocol,
        priority,
        matcher,
        targets: route::targets(&action.map(ACTION_FIELDS)?, namespace)?,
        retries,
        timeout,
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

/// A `GatewayRoute` object.
pub fn gateway_route(object: &Obj<'_>) -> Result<AppMeshGatewayRoute> {
    let (h, spec) = head(object, "GatewayRoute", GR_SPEC_FIELDS)?;
    let spec_val = object.req("spec")?;
    let (block, b) = one_block(&spec, &spec_val, &["httpRoute", "http2Route", "grpcRoute"])?;
    let protocol = block_protocol(block);
    let r = b.map(GR_ROUTE_FIELDS)?;
    let mv = r.req("match")?;
    let m = mv.map(GR_MATCH_FIELDS)?;
    let hostname = m.opt("hostname", |hn| {
        let hn = hn.map(HOSTNAME_FIELDS)?;
        match (hn.get("exact"), hn.get("suffix")) {
            (Some(e), None) => Ok(StringMatch::Exact(e.str()?.to_string())),
            (None, Some(s)) => Ok(StringMatch::Regex(format!(
                ".*{}",
                ::regex::escape(s.str()?)
            ))),
            _ => Err(mv.error("hostname: set exactly one of exact or suffix")),
        }
    })?;
    let matcher = if protocol == Protocol::Grpc {
        route::grpc_match(&mv)?
    } else {
        route::http_match(&mv)?
    };
    let action = r.req("action")?.map(GR_ACTION_FIELDS)?;
    let target = action.req("target")?.map(GR_TARGET_FIELDS)?;
    let vs = target.req("virtualService")?.map(GR_VS_FIELDS)?;
    let target_ref = route::reference(&vs.req("virtualServiceRef")?, &h.namespace)?;
    let (prefix_rewrite, hostname_rewrite) = rewrite(&action, &matcher.path)?;
    Ok(AppMeshGatewayRoute {
        name: h.name,
        namespace: h.namespace,
        mesh: h.mesh,
        protocol,
        priority: spec.opt("priority", |p| Ok(p.int_in(0, 1000)? as u32))?,
        matcher,
        hostname,
        target: target_ref,
        prefix_rewrite,
        hostname_rewrite,
        labels: h.labels,
        gateway: None,
        source: h.source,
    })
}

/// A `VirtualGateway`'s `namespaceSelector` and `gatewayRouteSelector` (their `matchLabels`;
/// [`super::crd`] warns about `matchExpressions`).
pub fn gateway_selectors(object: &Obj<'_>) -> Result<AppMeshGatewaySelectors> {
    let meta = k8s::metadata(object)?;
    let spec_val = object.req("spec")?;
    let spec = spec_val.map(super::crd::GATEWAY_SPEC_FIELDS)?;
    let labels = |v: &Val<'_>| -> Result<BTreeMap<String, String>> {
        let s = v.map(&["matchLabels", "matchExpressions"])?;
        Ok(s.opt("matchLabels", Val::string_map)?.unwrap_or_default())
    };
    Ok(AppMeshGatewaySelectors {
        gateway: AppMeshRef {
            name: meta.name,
            namespace: meta.namespace,
        },
        namespace_selector: spec.opt("namespaceSelector", labels)?,
        route_selector: spec.opt("gatewayRouteSelector", labels)?,
        source: SourceRef {
            file: spec_val.ctx.file.clone(),
            line: spec_val.line(),
        },
    })
}

/// A Kubernetes `Namespace`: its name and labels.
pub fn namespace(object: &Obj<'_>) -> Result<(String, BTreeMap<String, String>)> {
    k8s::api_version(object, "Namespace", &["v1"])?;
    let meta = k8s::metadata(object)?;
    for key in ["spec", "status"] {
        if let Some(v) = object.get(key) {
            v.entries()?;
        }
    }
    Ok((meta.name, meta.labels))
}

/// `action.rewrite` → (the path the matched prefix becomes, whether the host is rewritten to
/// the target's name). App Mesh's defaults: a prefix match's prefix becomes `/`
/// (`defaultPrefix: ENABLED`) and the hostname becomes the virtual service's
/// (`defaultTargetHostname: ENABLED`) (App Mesh API reference, `HttpGatewayRouteRewrite`).
fn rewrite(action: &Obj<'_>, path: &PathMatch) -> Result<(Option<String>, bool)> {
    let default_prefix = matches!(path, PathMatch::Prefix(_)).then(|| "/".to_string());
    let Some(rw) = action.get("rewrite") else {
        return Ok((default_prefix, true));
    };
    let rw = rw.map(REWRITE_FIELDS)?;
    let hostname = rw
        .opt("hostname", |h| {
            let h = h.map(&["defaultTargetHostname"])?;
            Ok(h.opt("defaultTargetHostname", |d| {
                d.one_of(&["ENABLED", "DISABLED"])
            })? != Some("DISABLED"))
        })?
        .unwrap_or(true);
    if let Some(p) = rw.get("path") {
        let exact = p.map(&["exact"])?.req("exact")?.str()?.to_string();
        return Ok((Some(exact), hostname));
    }
    let prefix = match rw.get("prefix") {
        None => default_prefix,
        Some(p) => {
            let p = p.map(REWRITE_PREFIX_FIELDS)?;
            match (
                p.get("value"),
                p.opt("defaultPrefix", |d| d.one_of(&["ENABLED", "DISABLED"]))?,
            ) {
                (Some(v), _) => Some(v.str()?.to_string()),
                (None, Some("DISABLED")) => None,
                (None, _) => default_prefix,
            }
        }
    };
    Ok((prefix, hostname))
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
