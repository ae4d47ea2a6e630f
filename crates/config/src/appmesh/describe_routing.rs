//! App Mesh routing objects as the AWS CLI prints and takes them: `aws appmesh
//! describe-virtual-service` / `describe-virtual-router` / `describe-route` /
//! `describe-gateway-route` output (`{"virtualService": {…}}`, …) and the matching `create-*
//! --cli-input-json` bodies (`{"meshName", "virtualServiceName", "spec"}`, …). Field names
//! from the App Mesh API reference (`VirtualServiceSpec`, `VirtualRouterSpec`, `RouteSpec`,
//! `GatewayRouteSpec`).
//!
//! The API names objects by their App Mesh names. A virtual node or router name
//! `<k8s name>_<namespace>` (the controller's convention) is split as in [`super::describe`];
//! a virtual service keeps its App Mesh name (a DNS name), which is how clients and gateway
//! routes find it. A route names its virtual router; a gateway route names its virtual
//! gateway, which is the only gateway taking it.

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::{
    AppMeshProvider, AppMeshRef, AppMeshRouterRoute, AppMeshTarget, AppMeshVirtualRouter,
    AppMeshVirtualService,
};
use meshtwin_model::SourceRef;

use super::describe::METADATA_FIELDS;
use super::gateway_route::gateway_route_spec;
use super::route::ROUTE_BLOCKS;
use super::routing::{route_spec, Head};
use crate::decode::{Obj, Result, Val};

/// Top-level keys of the four describe outputs.
pub const TOP_KEYS: &[&str] = &["virtualService", "virtualRouter", "route", "gatewayRoute"];

/// Name keys of the four create bodies, most specific first (a route body also names its
/// router, a gateway route body its gateway).
pub const BODY_NAME_KEYS: &[&str] = &[
    "routeName",
    "gatewayRouteName",
    "virtualRouterName",
    "virtualServiceName",
];

const VS_DESCRIBE: &[&str] = &[
    "meshName",
    "metadata",
    "spec",
    "status",
    "virtualServiceName",
];
const VR_DESCRIBE: &[&str] = &[
    "meshName",
    "metadata",
    "spec",
    "status",
    "virtualRouterName",
];
const ROUTE_DESCRIBE: &[&str] = &[
    "meshName",
    "metadata",
    "routeName",
    "spec",
    "status",
    "virtualRouterName",
];
const GR_DESCRIBE: &[&str] = &[
    "gatewayRouteName",
    "meshName",
    "metadata",
    "spec",
    "status",
    "virtualGatewayName",
];
const VS_BODY: &[&str] = &[
    "clientToken",
    "meshName",
    "meshOwner",
    "spec",
    "tags",
    "virtualServiceName",
];
const VR_BODY: &[&str] = &[
    "clientToken",
    "meshName",
    "meshOwner",
    "spec",
    "tags",
    "virtualRouterName",
];
const ROUTE_BODY: &[&str] = &[
    "clientToken",
    "meshName",
    "meshOwner",
    "routeName",
    "spec",
    "tags",
    "virtualRouterName",
];
const GR_BODY: &[&str] = &[
    "clientToken",
    "gatewayRouteName",
    "meshName",
    "meshOwner",
    "spec",
    "tags",
    "virtualGatewayName",
];
const VS_SPEC_FIELDS: &[&str] = &["provider"];
const PROVIDER_FIELDS: &[&str] = &["virtualNode", "virtualRouter"];
const VR_SPEC_FIELDS: &[&str] = &["listeners"];
const ROUTE_SPEC_FIELDS: &[&str] = &[
    "priority",
    "httpRoute",
    "http2Route",
    "grpcRoute",
    "tcpRoute",
];
const GR_SPEC_FIELDS: &[&str] = &["priority", "httpRoute", "http2Route", "grpcRoute"];
const TARGET_FIELDS: &[&str] = &["virtualNode", "weight", "port"];

/// What a document without `kind` is, by its top-level keys (`has`): a describe key, or a
/// create body's name key; with the object label used in messages.
pub fn kind_of(has: impl Fn(&str) -> bool) -> Option<(&'static str, &'static str)> {
    let key = TOP_KEYS
        .iter()
        .find(|k| has(k))
        .or_else(|| BODY_NAME_KEYS.iter().find(|k| has(k)))
        .copied()?;
    let label = match key {
        "virtualService" | "virtualServiceName" => "VirtualService",
        "virtualRouter" | "virtualRouterName" => "VirtualRouter",
        "route" | "routeName" => "Route",
        _ => "GatewayRoute",
    };
    Some((key, label))
}

/// The key naming the object of kind `label` (`VirtualService` → `virtualServiceName`).
pub fn name_key(label: &str) -> &'static str {
    match label {
        "VirtualService" => "virtualServiceName",
        "VirtualRouter" => "virtualRouterName",
        "Route" => "routeName",
        _ => "gatewayRouteName",
    }
}

/// Lower a describe output (`key` one of [`TOP_KEYS`]) or a create body (`key` one of
/// [`BODY_NAME_KEYS`]) into `out`.
pub fn lower(root: &Val<'_>, key: &str, out: &mut MeshPolicies) -> Result<()> {
    let (obj_val, describe) = if TOP_KEYS.contains(&key) {
        let top = root.map(TOP_KEYS)?;
        if top.present(TOP_KEYS).len() > 1 {
            return Err(root.error(format!("expected one of {}", TOP_KEYS.join(", "))));
        }
        (top.req(key)?, true)
    } else {
        (root.clone(), false)
    };
    let (names, fields): (&[&str], &'static [&'static str]) = match (key, describe) {
        ("virtualService", _) => (&["virtualServiceName"], VS_DESCRIBE),
        ("virtualServiceName", _) => (&["virtualServiceName"], VS_BODY),
        ("virtualRouter", _) => (&["virtualRouterName"], VR_DESCRIBE),
        ("virtualRouterName", _) => (&["virtualRouterName"], VR_BODY),
        ("route", _) => (&["routeName"], ROUTE_DESCRIBE),
        ("routeName", _) => (&["routeName"], ROUTE_BODY),
        (_, true) => (&["gatewayRouteName"], GR_DESCRIBE),
        (_, false) => (&["gatewayRouteName"], GR_BODY),
    };
    let obj = obj_val.map(fields)?;
    if describe {
        if let Some(m) = obj.get("metadata") {
            m.map(METADATA_FIELDS)?;
        }
        if let Some(s) = obj.get("status") {
            s.map(&["status"])?.opt("status", |v| v.str().map(drop))?;
        }
    } else {
        for k in ["clientToken", "meshOwner"] {
            obj.opt(k, |v| v.str().map(drop))?;
        }
        if let Some(t) = obj.get("tags") {
            t.seq()?;
        }
    }
    // A create body may leave the mesh to `--mesh-name` (the walkthroughs' route bodies do);
    // objects are then found by name alone.
    let mesh = match obj.get("meshName") {
        Some(m) => m.name()?.to_string(),
        None if !describe => String::new(),
        None => obj.req_name("meshName")?.to_string(),
    };
    let source = SourceRef {
        file: obj_val.ctx.file.clone(),
        line: obj.req("spec")?.line(),
    };
    let routing = &mut out.appmesh_routing;
    match names[0] {
        "virtualServiceName" => routing
            .virtual_services
            .push(virtual_service(&obj, mesh, source)?),
        "virtualRouterName" => routing
            .virtual_routers
            .push(virtual_router(&obj, mesh, source)?),
        "routeName" => routing.routes.push(route(&obj)?),
        _ => routing
            .gateway_routes
            .push(gateway_route(&obj, mesh, source)?),
    }
    Ok(())
}

/// `<k8s name>_<namespace>` → that node or router; another name → itself in `default`.
pub fn split_name(aws_name: &str) -> AppMeshRef {
    match aws_name.rsplit_once('_') {
        Some((n, ns)) if !n.is_empty() && !ns.is_empty() => AppMeshRef {
            name: n.to_string(),
            namespace: ns.to_string(),
        },
        _ => AppMeshRef {
            name: aws_name.to_string(),
            namespace: "default".to_string(),
        },
    }
}

fn virtual_service(
    obj: &Obj<'_>,
    mesh: String,
    source: SourceRef,
) -> Result<AppMeshVirtualService> {
    let aws_name = obj.req_name("virtualServiceName")?.to_string();
    let spec = obj.req("spec")?.map(VS_SPEC_FIELDS)?;
    let provider = match spec.get("provider") {
        None => AppMeshProvider::None,
        Some(p) => {
            let pv = p.map(PROVIDER_FIELDS)?;
            match (pv.get("virtualNode"), pv.get("virtualRouter")) {
                (Some(n), None) => AppMeshProvider::VirtualNode(split_name(
                    n.map(&["virtualNodeName"])?.req_name("virtualNodeName")?,
                )),
                (None, Some(r)) => AppMeshProvider::VirtualRouter(split_name(
                    r.map(&["virtualRouterName"])?
                        .req_name("virtualRouterName")?,
                )),
                _ => return Err(p.error("set one of virtualNode or virtualRouter")),
            }
        }
    };
    let ns = split_name(&aws_name).namespace;
    Ok(AppMeshVirtualService {
        name: aws_name.clone(),
        namespace: ns,
        mesh,
        aws_name,
        provider,
        source,
    })
}

fn virtual_router(obj: &Obj<'_>, mesh: String, source: SourceRef) -> Result<AppMeshVirtualRouter> {
    let r = split_name(obj.req_name("virtualRouterName")?);
    let spec = obj.req("spec")?.map(VR_SPEC_FIELDS)?;
    let listeners = spec
        .list("listeners")?
        .iter()
        .map(|l| {
            let pm = l.map(&["portMapping"])?.req("portMapping")?;
            let pm = pm.map(&["port", "protocol"])?;
            let port = pm.req("port")?.int_in(1, 65535)? as u16;
            let proto = super::listener::protocol(
                pm.req("protocol")?
                    .one_of(&["http", "http2", "grpc", "tcp"])?,
            );
            Ok((port, proto))
        })
        .collect::<Result<Vec<(u16, Protocol)>>>()?;
    Ok(AppMeshVirtualRouter {
        name: r.name,
        namespace: r.namespace,
        mesh,
        listeners,
        routes: Vec::new(),
        source,
    })
}

fn route(obj: &Obj<'_>) -> Result<AppMeshRouterRoute> {
    let router = split_name(obj.req_name("virtualRouterName")?);
    let name = obj.req_name("routeName")?.to_string();
    let spec_val = obj.req("spec")?;
    let spec = spec_val.map(ROUTE_SPEC_FIELDS)?;
    debug_assert!(ROUTE_BLOCKS.iter().all(|b| ROUTE_SPEC_FIELDS.contains(b)));
    let route = route_spec(&spec, &spec_val, name, &targets)?;
    Ok(AppMeshRouterRoute { router, route })
}

/// `weightedTargets: [{virtualNode: "<name>", weight, port}]`.
fn targets(action: &Obj<'_>) -> Result<Vec<AppMeshTarget>> {
    let list = action.list("weightedTargets")?;
    if list.is_empty() {
        return Err(action
            .req("weightedTargets")?
            .error("needs at least one weighted target"));
    }
    list.iter()
        .map(|t| {
            let t = t.map(TARGET_FIELDS)?;
            Ok(AppMeshTarget {
                node: split_name(t.req_name("virtualNode")?),
                weight: t.req("weight")?.int_in(0, 100)? as u32,
                port: t.opt("port", |p| Ok(p.int_in(1, 65535)? as u16))?,
            })
        })
        .collect()
}

fn gateway_route(
    obj: &Obj<'_>,
    mesh: String,
    source: SourceRef,
) -> Result<meshtwin_model::traffic::appmesh::AppMeshGatewayRoute> {
    let aws_name = obj.req_name("gatewayRouteName")?.to_string();
    let gateway = obj.req_name("virtualGatewayName")?.to_string();
    let spec_val = obj.req("spec")?;
    let spec = spec_val.map(GR_SPEC_FIELDS)?;
    let me = split_name(&aws_name);
    let head = Head {
        name: me.name,
        namespace: me.namespace,
        mesh,
        labels: Default::default(),
        source,
    };
    let mut gr = gateway_route_spec(&spec, &spec_val, head, &|vs| {
        Ok(AppMeshRef {
            name: vs
                .map(&["virtualServiceName"])?
                .req_name("virtualServiceName")?
                .to_string(),
            namespace: String::new(),
        })
    })?;
    gr.gateway = Some(gateway);
    Ok(gr)
}
