//! App Mesh's `GatewayRoute` CRD (and, through [`gateway_route_spec`], the API's gateway route
//! spec), a `VirtualGateway`'s route selectors, and the Kubernetes `Namespace` labels those
//! select on.

use std::collections::BTreeMap;

use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::{AppMeshGatewayRoute, AppMeshGatewaySelectors, AppMeshRef};
use meshtwin_model::traffic::http::{PathMatch, StringMatch};
use meshtwin_model::SourceRef;

use super::route::{self, block_protocol, one_block};
use super::routing::{head, Head};
use crate::decode::{Obj, Result, Val};
use crate::k8s;

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

/// A `GatewayRoute` object.
pub fn gateway_route(object: &Obj<'_>) -> Result<AppMeshGatewayRoute> {
    let (h, spec) = head(object, "GatewayRoute", GR_SPEC_FIELDS)?;
    let spec_val = object.req("spec")?;
    let ns = h.namespace.clone();
    gateway_route_spec(&spec, &spec_val, h, &|vs| {
        let vs = vs.map(GR_VS_FIELDS)?;
        route::reference(&vs.req("virtualServiceRef")?, &ns)
    })
}

/// A gateway route's `priority` and route block; `target` reads `action.target.virtualService`.
pub(super) fn gateway_route_spec(
    spec: &Obj<'_>,
    spec_val: &Val<'_>,
    h: Head,
    target: &dyn Fn(&Val<'_>) -> Result<AppMeshRef>,
) -> Result<AppMeshGatewayRoute> {
    let (block, b) = one_block(spec, spec_val, &["httpRoute", "http2Route", "grpcRoute"])?;
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
    let t = action.req("target")?.map(GR_TARGET_FIELDS)?;
    let target_ref = target(&t.req("virtualService")?)?;
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
