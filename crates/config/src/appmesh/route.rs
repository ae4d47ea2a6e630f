//! One App Mesh route spec (`httpRoute`, `http2Route`, `grpcRoute`, `tcpRoute`), as a virtual
//! router's route and, for the match, as a gateway route's: matches, weighted targets,
//! `retryPolicy` and `timeout`, checked against the App Mesh API's shapes
//! (`HttpRouteMatch`, `GrpcRouteMatch`, `HttpRetryPolicy`, `HttpTimeout`).

use std::time::Duration;

use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::{AppMeshRef, AppMeshTarget};
use meshtwin_model::traffic::http::{
    HeaderMatch, HttpMatch, PathMatch, QueryParamMatch, RetryPolicy, StringMatch,
};

use crate::decode::{Obj, Result, Val};

/// The route blocks, in the order App Mesh names them.
pub const ROUTE_BLOCKS: &[&str] = &["httpRoute", "http2Route", "grpcRoute", "tcpRoute"];

const HTTP_MATCH_FIELDS: &[&str] = &[
    "prefix",
    "path",
    "headers",
    "method",
    "queryParameters",
    "scheme",
    "port",
    "hostname",
];
const GRPC_MATCH_FIELDS: &[&str] = &["serviceName", "methodName", "metadata", "port", "hostname"];
const PATH_FIELDS: &[&str] = &["exact", "regex"];
const HEADER_FIELDS: &[&str] = &["name", "invert", "match"];
const HEADER_MATCH_FIELDS: &[&str] = &["exact", "prefix", "suffix", "regex", "range"];
const QUERY_FIELDS: &[&str] = &["name", "match"];
const RETRY_FIELDS: &[&str] = &[
    "maxRetries",
    "perRetryTimeout",
    "httpRetryEvents",
    "grpcRetryEvents",
    "tcpRetryEvents",
];
const DURATION_FIELDS: &[&str] = &["unit", "value"];
const TIMEOUT_FIELDS: &[&str] = &["perRequest", "idle"];
const TARGET_FIELDS: &[&str] = &["virtualNodeRef", "virtualNodeARN", "weight", "port"];
const REF_FIELDS: &[&str] = &["name", "namespace"];

/// The protocol a route block stands for.
pub fn block_protocol(block: &str) -> Protocol {
    match block {
        "http2Route" => Protocol::Http2,
        "grpcRoute" => Protocol::Grpc,
        "tcpRoute" => Protocol::Tcp,
        _ => Protocol::Http,
    }
}

/// The one route block of `spec` (exactly one of [`ROUTE_BLOCKS`]).
pub fn one_block<'a>(spec: &Obj<'a>, v: &Val<'a>, blocks: &[&str]) -> Result<(&'a str, Val<'a>)> {
    match spec.present(blocks).as_slice() {
        [one] => Ok((one, spec.req(one)?)),
        [] => Err(v.error(format!("must set one route block: {}", blocks.join(", ")))),
        many => Err(v.error(format!(
            "only one route block is allowed, found {}",
            many.join(" and ")
        ))),
    }
}

/// `{unit: ms|s, value: N}`.
pub fn duration(v: &Val<'_>) -> Result<Duration> {
    let d = v.map(DURATION_FIELDS)?;
    let value = d.req("value")?.int_in(0, i64::from(i32::MAX))? as u64;
    Ok(match d.req("unit")?.one_of(&["ms", "s"])? {
        "s" => Duration::from_secs(value),
        _ => Duration::from_millis(value),
    })
}

/// A reference `{name, namespace}`; the namespace defaults to the referring object's.
pub fn reference(v: &Val<'_>, namespace: &str) -> Result<AppMeshRef> {
    let r = v.map(REF_FIELDS)?;
    Ok(AppMeshRef {
        name: r.req_name("name")?.to_string(),
        namespace: r
            .opt("namespace", |n| n.name().map(str::to_string))?
            .unwrap_or_else(|| namespace.to_string()),
    })
}

/// An HTTP / HTTP2 route's `match` (also a gateway route's, without `hostname`).
pub fn http_match(v: &Val<'_>) -> Result<HttpMatch> {
    let m = v.map(HTTP_MATCH_FIELDS)?;
    let path = match (m.get("prefix"), m.get("path")) {
        (Some(_), Some(_)) => return Err(v.error("set prefix or path, not both")),
        (Some(p), None) => PathMatch::Prefix(p.str()?.to_string()),
        (None, Some(p)) => {
            let p = p.map(PATH_FIELDS)?;
            match (p.get("exact"), p.get("regex")) {
                (Some(e), None) => PathMatch::Exact(e.str()?.to_string()),
                (None, Some(r)) => PathMatch::Regex(regex(&r)?),
                _ => return Err(v.error("path: set exactly one of exact or regex")),
            }
        }
        (None, None) => PathMatch::Prefix("/".into()),
    };
    let mut headers = m
        .opt("headers", |h| {
            h.seq()?.iter().map(header).collect::<Result<Vec<_>>>()
        })?
        .unwrap_or_default();
    if let Some(method) = m.opt("method", |x| {
        x.one_of(&[
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        ])
    })? {
        headers.push(exact_header(":method", method));
    }
    if let Some(scheme) = m.opt("scheme", |x| x.one_of(&["http", "https"]))? {
        headers.push(exact_header(":scheme", scheme));
    }
    let query_params = m
        .opt("queryParameters", |q| {
            q.seq()?.iter().map(query).collect::<Result<Vec<_>>>()
        })?
        .unwrap_or_default();
    Ok(HttpMatch {
        name: None,
        path,
        case_sensitive: true,
        headers,
        query_params,
        port: m.opt("port", |p| Ok(p.int_in(1, 65535)? as u16))?,
        source_labels: Default::default(),
        source_namespace: None,
        gateways: Vec::new(),
    })
}

/// A gRPC route's `match`: `/<serviceName>/` or `/<serviceName>/<methodName>`, metadata as
/// headers.
pub fn grpc_match(v: &Val<'_>) -> Result<HttpMatch> {
    let m = v.map(GRPC_MATCH_FIELDS)?;
    let service = m.opt("serviceName", |s| s.str().map(str::to_string))?;
    let method = m.opt("methodName", |s| s.str().map(str::to_string))?;
    let path = match (service, method) {
        (Some(s), Some(me)) => PathMatch::Exact(format!("/{s}/{me}")),
        (Some(s), None) => PathMatch::Prefix(format!("/{s}/")),
        (None, Some(_)) => return Err(v.error("methodName needs serviceName")),
        (None, None) => PathMatch::Prefix("/".into()),
    };
    let headers = m
        .opt("metadata", |h| {
            h.seq()?.iter().map(header).collect::<Result<Vec<_>>>()
        })?
        .unwrap_or_default();
    Ok(HttpMatch {
        name: None,
        path,
        case_sensitive: true,
        headers,
        query_params: Vec::new(),
        port: m.opt("port", |p| Ok(p.int_in(1, 65535)? as u16))?,
        source_labels: Default::default(),
        source_namespace: None,
        gateways: Vec::new(),
    })
}

fn exact_header(name: &str, value: &str) -> HeaderMatch {
    HeaderMatch {
        name: name.to_string(),
        matcher: StringMatch::Exact(value.to_string()),
        invert: false,
        treat_missing_as_empty: false,
    }
}

fn regex(v: &Val<'_>) -> Result<String> {
    let r = v.str()?;
    regex_check(v, r)?;
    Ok(r.to_string())
}

fn regex_check(v: &Val<'_>, r: &str) -> Result<()> {
    match ::regex::Regex::new(r) {
        Ok(_) => Ok(()),
        Err(e) => Err(v.error(format!("not a valid regular expression: {e}"))),
    }
}

/// `{name, invert, match: {exact | prefix | suffix | regex | range}}`; no `match`: present.
fn header(v: &Val<'_>) -> Result<HeaderMatch> {
    let h = v.map(HEADER_FIELDS)?;
    let name = h.req_name("name")?.to_ascii_lowercase();
    let matcher = match h.get("match") {
        None => StringMatch::Present,
        Some(m) => {
            let mm = m.map(HEADER_MATCH_FIELDS)?;
            match mm.present(HEADER_MATCH_FIELDS).as_slice() {
                ["exact"] => StringMatch::Exact(mm.req("exact")?.str()?.to_string()),
                ["prefix"] => StringMatch::Prefix(mm.req("prefix")?.str()?.to_string()),
                ["regex"] => StringMatch::Regex(regex(&mm.req("regex")?)?),
                ["suffix"] => {
                    let s = mm.req("suffix")?.str()?;
                    StringMatch::Regex(format!(".*{}", ::regex::escape(s)))
                }
                ["range"] => return Err(m.error("range header matches are not modelled")),
                _ => return Err(m.error("set exactly one of exact, prefix, suffix, regex, range")),
            }
        }
    };
    Ok(HeaderMatch {
        name,
        matcher,
        invert: h.opt("invert", Val::bool)?.unwrap_or(false),
        treat_missing_as_empty: false,
    })
}

/// `{name, match: {exact}}`; no `match`: present.
fn query(v: &Val<'_>) -> Result<QueryParamMatch> {
    let q = v.map(QUERY_FIELDS)?;
    let matcher = match q.get("match") {
        None => StringMatch::Present,
        Some(m) => StringMatch::Exact(m.map(&["exact"])?.req("exact")?.str()?.to_string()),
    };
    Ok(QueryParamMatch {
        name: q.req_name("name")?.to_string(),
        matcher,
    })
}

/// `action.weightedTargets`.
pub fn targets(action: &Obj<'_>, namespace: &str) -> Result<Vec<AppMeshTarget>> {
    let list = action.list("weightedTargets")?;
    if list.is_empty() {
        return Err(action
            .req("weightedTargets")?
            .error("needs at least one weighted target"));
    }
    list.iter()
        .map(|t| {
            let t = t.map(TARGET_FIELDS)?;
            let node = match (t.get("virtualNodeRef"), t.get("virtualNodeARN")) {
                (Some(r), None) => reference(&r, namespace)?,
                (None, Some(arn)) => arn_ref(&arn, namespace)?,
                _ => {
                    return Err(t
                        .req("weight")?
                        .error("set one of virtualNodeRef or virtualNodeARN"))
                }
            };
            Ok(AppMeshTarget {
                node,
                weight: t.req("weight")?.int_in(0, 100)? as u32,
                port: t.opt("port", |p| Ok(p.int_in(1, 65535)? as u16))?,
            })
        })
        .collect()
}

/// `arn:aws:appmesh:…:mesh/<mesh>/virtualNode/<k8s name>_<namespace>` → the node.
fn arn_ref(v: &Val<'_>, namespace: &str) -> Result<AppMeshRef> {
    let arn = v.str()?;
    let name = arn
        .rsplit_once('/')
        .map(|(_, n)| n)
        .filter(|_| arn.contains(":virtualNode/") || arn.contains("/virtualNode/"))
        .ok_or_else(|| v.error("expected a virtual node ARN (…:mesh/<mesh>/virtualNode/<name>)"))?;
    Ok(match name.rsplit_once('_') {
        Some((n, ns)) if !n.is_empty() && !ns.is_empty() => AppMeshRef {
            name: n.into(),
            namespace: ns.into(),
        },
        _ => AppMeshRef {
            name: name.into(),
            namespace: namespace.into(),
        },
    })
}

/// `retryPolicy` → Envoy's retry policy as App Mesh translates it: `server-error` → 500–508,
/// 510, 511 and `reset`; `gateway-error` → 502–504 and `reset`; `client-error` → 409;
/// `stream-error` → `refused-stream`; tcp `connection-error` → `connect-failure`; gRPC events
/// are Envoy's gRPC retry tokens (App Mesh API reference, `HttpRetryPolicy`,
/// `GrpcRetryPolicy`).
pub fn retry_policy(v: &Val<'_>) -> Result<RetryPolicy> {
    let r = v.map(RETRY_FIELDS)?;
    let mut retry_on: Vec<String> = Vec::new();
    let mut codes: Vec<u16> = Vec::new();
    let add = |token: &str, retry_on: &mut Vec<String>| {
        if !retry_on.iter().any(|t| t == token) {
            retry_on.push(token.to_string());
        }
    };
    for e in r.opt("httpRetryEvents", Val::strings)?.unwrap_or_default() {
        match e.as_str() {
            "server-error" => {
                codes.extend((500..=508).chain([510, 511]));
                add("reset", &mut retry_on);
            }
            "gateway-error" => {
                codes.extend([502, 503, 504]);
                add("reset", &mut retry_on);
            }
            "client-error" => codes.push(409),
            "stream-error" => add("refused-stream", &mut retry_on),
            other => {
                return Err(r.req("httpRetryEvents")?.error(format!(
                    "unknown http retry event {other:?}: expected server-error, gateway-error, client-error or stream-error"
                )))
            }
        }
    }
    for e in r.opt("grpcRetryEvents", Val::strings)?.unwrap_or_default() {
        match e.as_str() {
            "cancelled" | "deadline-exceeded" | "internal" | "resource-exhausted" | "unavailable" => {
                add(&e, &mut retry_on)
            }
            other => {
                return Err(r.req("grpcRetryEvents")?.error(format!(
                    "unknown grpc retry event {other:?}: expected cancelled, deadline-exceeded, internal, resource-exhausted or unavailable"
                )))
            }
        }
    }
    for e in r.opt("tcpRetryEvents", Val::strings)?.unwrap_or_default() {
        match e.as_str() {
            "connection-error" => add("connect-failure", &mut retry_on),
            other => {
                return Err(r.req("tcpRetryEvents")?.error(format!(
                    "unknown tcp retry event {other:?}: expected connection-error"
                )))
            }
        }
    }
    codes.sort_unstable();
    codes.dedup();
    if !codes.is_empty() {
        add("retriable-status-codes", &mut retry_on);
    }
    if retry_on.is_empty() {
        return Err(v.error("needs at least one retry event"));
    }
    Ok(RetryPolicy {
        num_retries: r.req("maxRetries")?.int_in(0, i64::from(i32::MAX))? as u32,
        retry_on,
        retriable_status_codes: codes,
        per_try_timeout: Some(duration(&r.req("perRetryTimeout")?)?),
        previous_hosts: false,
        host_selection_retry_max_attempts: 1,
        retry_remote_localities: false,
        base_interval: None,
    })
}

/// `timeout.perRequest` → the route timeout, `timeout.idle` → the route's `idle_timeout`
/// (Envoy's `RouteAction.idle_timeout`, the request's stream idle timeout).
pub fn timeout(v: &Val<'_>) -> Result<(Option<Duration>, Option<Duration>)> {
    let t = v.map(TIMEOUT_FIELDS)?;
    Ok((t.opt("perRequest", duration)?, t.opt("idle", duration)?))
}
