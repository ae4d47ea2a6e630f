//! TSB `Gateway` (`gateway.tsb.tetrate.io/v2`) → [`TsbGatewayPolicy`].
//!
//! Field names and rules follow TSB's API reference (`tsb/gateway/v2/gateway`): every server
//! of one Gateway routes either to clusters (`clusterDestination`, an edge / tier-1 gateway)
//! or to services (`serviceDestination`, an ingress / tier-2 gateway), never both; a cluster
//! names one cluster (`name`) — cluster `labels` and `network` are not modelled; weights are
//! given for every cluster or for none. Server features that do not change where a request
//! goes are accepted: `tls` and CORS with a warning (not modelled), descriptions silently;
//! the ones that would (matches, redirects, rewrites, timeouts, authentication, ...) are
//! errors rather than ignored.

use std::collections::BTreeSet;

use meshtwin_model::traffic::tsb::{ClusterList, TsbGatewayPolicy, TsbHttpServer, TsbRoute};
use meshtwin_model::SourceRef;

use super::{metadata, GATEWAY_API_VERSIONS};
use crate::decode::{Obj, Result, Val};
use crate::istio::checks;
use crate::k8s;
use crate::names::Rule;
use crate::warning::{CORS_NOT_MODELLED, TLS_NOT_MODELLED};

const SPEC_FIELDS: &[&str] = &[
    "workloadSelector",
    "http",
    "tcp",
    "tls",
    "displayName",
    "description",
    "configGenerationMetadata",
    "waf",
    "wasmPlugins",
    "egressAuthorization",
];
const SELECTOR_FIELDS: &[&str] = &["namespace", "labels"];
const SERVER_FIELDS: &[&str] = &[
    "name",
    "port",
    "hostname",
    "routing",
    "tls",
    "authentication",
    "authorization",
    "rateLimiting",
    "extensions",
    "failoverSettings",
    "openapi",
    "trafficMode",
    "transit",
];
/// Server fields that would change where or whether a request is forwarded.
const SERVER_NOT_MODELLED: &[&str] = &[
    "authentication",
    "authorization",
    "rateLimiting",
    "extensions",
    "failoverSettings",
    "openapi",
    "trafficMode",
    "transit",
];
const ROUTING_FIELDS: &[&str] = &["rules", "corsPolicy"];
const RULE_FIELDS: &[&str] = &[
    "route",
    "match",
    "redirect",
    "directResponse",
    "modify",
    "timeout",
    "corsPolicy",
    "extensions",
    "disableExternalAuthorization",
];
const RULE_NOT_MODELLED: &[&str] = &[
    "match",
    "redirect",
    "directResponse",
    "modify",
    "timeout",
    "extensions",
];
const ROUTE_FIELDS: &[&str] = &["clusterDestination", "serviceDestination"];
const CLUSTERS_FIELDS: &[&str] = &["clusters"];
const CLUSTER_FIELDS: &[&str] = &["name", "labels", "network", "weight"];
const SERVICE_FIELDS: &[&str] = &["host", "port", "tls"];

/// Lower one TSB Gateway (its envelope already opened as `object`).
pub fn lower(object: &Obj<'_>) -> Result<TsbGatewayPolicy> {
    k8s::api_version(object, "Gateway", GATEWAY_API_VERSIONS)?;
    let (name, scope) = metadata(object)?;
    let spec = object.req("spec")?.map(SPEC_FIELDS)?;
    for k in ["tcp", "tls", "waf", "wasmPlugins", "egressAuthorization"] {
        if let Some(v) = spec.get(k) {
            return Err(v.error("not modelled by meshtwin (only `http` servers are)"));
        }
    }
    let selector = spec.req("workloadSelector")?.map(SELECTOR_FIELDS)?;
    let namespace = selector.req_name("namespace")?.to_string();
    let labels = selector.req("labels")?.string_map()?;
    if labels.is_empty() {
        return Err(selector
            .req("labels")?
            .error("labels are required for Gateway resources"));
    }
    let servers = spec.list("http")?;
    if servers.is_empty() {
        return Err(spec.error("at least one server must be specified in `http`"));
    }
    let mut names = BTreeSet::new();
    let mut http = Vec::new();
    let mut to_clusters: Option<bool> = None;
    for s in &servers {
        let server = server(s)?;
        if !names.insert(server.name.clone()) {
            return Err(s.map(SERVER_FIELDS)?.req("name")?.error(format!(
                "server names must be unique in a gateway: duplicate name {}",
                server.name
            )));
        }
        for r in &server.routes {
            let clusters = matches!(r, TsbRoute::Clusters(_));
            if *to_clusters.get_or_insert(clusters) != clusters {
                return Err(s.error(
                    "all servers of a gateway must route to clusters (clusterDestination) or \
                     all to services (serviceDestination), not both",
                ));
            }
        }
        http.push(server);
    }
    Ok(TsbGatewayPolicy {
        name,
        scope,
        namespace,
        labels,
        http,
        source: SourceRef {
            file: object.val.ctx.file.clone(),
            line: object.line(),
        },
    })
}

fn server(v: &Val<'_>) -> Result<TsbHttpServer> {
    let s = v.map(SERVER_FIELDS)?;
    if let Some(k) = s.present(SERVER_NOT_MODELLED).first() {
        return Err(s.req(k)?.error("not modelled by meshtwin"));
    }
    if let Some(t) = s.ignored("tls", TLS_NOT_MODELLED) {
        t.entries()?;
    }
    let name = s.req_name("name")?.to_string();
    let port = checks::port(&s.req("port")?)?;
    if port == 15443 {
        return Err(s
            .req("port")?
            .error("port 15443 is reserved for internal use"));
    }
    let hostname = s.req_name("hostname")?.to_string();
    let routing = s.req("routing")?.map(ROUTING_FIELDS)?;
    if let Some(c) = routing.ignored("corsPolicy", CORS_NOT_MODELLED) {
        c.entries()?;
    }
    let rules = routing.list("rules")?;
    if rules.is_empty() {
        return Err(routing.error("missing field `rules` (at least one rule)"));
    }
    let routes = rules.iter().map(rule).collect::<Result<Vec<_>>>()?;
    Ok(TsbHttpServer {
        name,
        port,
        hostname,
        routes,
    })
}

fn rule(v: &Val<'_>) -> Result<TsbRoute> {
    let r = v.map(RULE_FIELDS)?;
    if let Some(c) = r.ignored("corsPolicy", CORS_NOT_MODELLED) {
        c.entries()?;
    }
    if let Some(k) = r.present(RULE_NOT_MODELLED).first() {
        if matches!(*k, "redirect" | "directResponse") && r.has("route") {
            return Err(r
                .req(k)?
                .error("one of route, redirect, or directResponse must be specified"));
        }
        return Err(r.req(k)?.error("not modelled by meshtwin"));
    }
    let Some(route) = r.get("route") else {
        return Err(v.error("one of route, redirect, or directResponse must be specified"));
    };
    let o = route.map(ROUTE_FIELDS)?;
    match o.present(ROUTE_FIELDS).as_slice() {
        ["clusterDestination"] => Ok(TsbRoute::Clusters(clusters(&o.req("clusterDestination")?)?)),
        ["serviceDestination"] => service(&o.req("serviceDestination")?),
        [] => Err(route.error("one of clusterDestination or serviceDestination must be specified")),
        _ => {
            Err(route
                .error("only one of clusterDestination or serviceDestination may be specified"))
        }
    }
}

fn clusters(v: &Val<'_>) -> Result<ClusterList> {
    let c = v.map(CLUSTERS_FIELDS)?;
    let items = c.list("clusters")?;
    if items.is_empty() {
        return Ok(ClusterList::Automatic);
    }
    let mut names = Vec::new();
    let mut weights = Vec::new();
    for item in &items {
        let o = item.map(CLUSTER_FIELDS)?;
        for k in ["labels", "network"] {
            if let Some(x) = o.get(k) {
                return Err(x.error("not modelled by meshtwin (name each cluster with `name`)"));
            }
        }
        let name = o.req_name("name")?.to_string();
        if names.contains(&name) {
            return Err(o.req("name")?.error(format!("duplicate cluster {name}")));
        }
        names.push(name);
        weights.push(o.opt("weight", |w| w.u32_in(0, u32::MAX))?);
    }
    let set = weights.iter().filter(|w| w.is_some()).count();
    if set == 0 {
        return Ok(ClusterList::Named(names));
    }
    if set != weights.len() {
        let missing = weights.iter().position(Option::is_none).unwrap_or(0);
        return Err(items[missing].error(
            "weights must be set for all clusters or for none (this cluster has no weight)",
        ));
    }
    let weights: Vec<u32> = weights.into_iter().flatten().collect();
    if weights.iter().map(|w| u64::from(*w)).sum::<u64>() == 0 {
        return Err(v.error("the total weight of the clusters must be > 0"));
    }
    Ok(ClusterList::Weighted(
        names.into_iter().zip(weights).collect(),
    ))
}

fn service(v: &Val<'_>) -> Result<TsbRoute> {
    let s = v.map(SERVICE_FIELDS)?;
    if let Some(t) = s.ignored("tls", TLS_NOT_MODELLED) {
        t.entries()?;
    }
    let host_val = s.req("host")?;
    let host = host_val.name()?;
    let Some((namespace, fqdn)) = host
        .split_once('/')
        .filter(|(n, f)| Rule::Label.accepts(n) && !f.is_empty() && !f.contains('/'))
    else {
        return Err(host_val.error(format!(
            "host {host:?} must be in the form <namespace>/<fqdn>"
        )));
    };
    Ok(TsbRoute::Service {
        namespace: namespace.to_string(),
        fqdn: fqdn.to_string(),
        port: s.opt("port", checks::port)?,
    })
}
