//! `app:` → [`AppBehaviour`]: service time, errors, concurrency, calls, and the same by path
//! and method (`routes:`).
//!
//! ```yaml
//! app:
//!   port: 80                    # required
//!   latency: 2ms                # see crate::latency
//!   errorRate: 0                # probability a request fails with errorStatus
//!   errorStatus: 500
//!   concurrency: 4              # requests served at once (default unlimited)
//!   responseBytes: 600
//!   calls: [{host: reviews, port: 9080, path: /reviews/0, timeout: 3s, retries: 1,
//!            propagate: [end-user], onError: "Error fetching product reviews"}]
//!   routes:                     # first match wins, in order; unset fields are the app's
//!     - {prefix: /ping}                                   # the health check: always fine
//!     - {path: /get, methods: [GET], errorRate: 1, errorStatus: 503}
//!     - {prefix: /slow, latency: {exponential: 50ms}, calls: []}
//!   # or Istio's tcp-echo sample: answers every line with `<prefix> <line>`
//!   # app: {port: 9000, tcpEcho: one}
//! ```
//! A request no route matches gets the app's own fields. A route's `calls` replaces the app's
//! (`calls: []` makes none). A `tcpEcho` app makes no calls and has no routes. An unknown
//! field is an error that names the nearest known one.

use meshtwin_config::decode::{Result, Val};
use meshtwin_config::http_syntax;
use meshtwin_model::topology::{AppBehaviour, AppCall, AppRoute, PathMatch};

use crate::latency;

pub const APP_FIELDS: &[&str] = &[
    "port",
    "latency",
    "errorRate",
    "errorStatus",
    "concurrency",
    "responseBytes",
    "calls",
    "routes",
    "tcpEcho",
];
pub const ROUTE_FIELDS: &[&str] = &[
    "prefix",
    "path",
    "methods",
    "latency",
    "errorRate",
    "errorStatus",
    "responseBytes",
    "calls",
];
pub const CALL_FIELDS: &[&str] = &[
    "host",
    "port",
    "path",
    "timeout",
    "retries",
    "propagate",
    "onError",
];
/// The methods a route may name (RFC 9110 section 9, and PATCH).
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];
/// A limit on everything: calls per app or route, routes per app, retries per call.
const MAX_CALLS: usize = 32;
const MAX_ROUTES: usize = 64;
const MAX_RETRIES: u32 = 10;

/// `app:`; unset fields keep [`AppBehaviour::default`] (port is required).
pub fn decode(v: &Val<'_>) -> Result<AppBehaviour> {
    let a = v.map(APP_FIELDS)?;
    let mut out = AppBehaviour {
        port: u16::try_from(a.req("port")?.int_in(1, 65535)?).unwrap_or(u16::MAX),
        ..AppBehaviour::default()
    };
    if let Some(l) = a.opt("latency", latency::distribution)? {
        out.latency = l;
    }
    if let Some(r) = a.opt("errorRate", error_rate)? {
        out.error_rate = r;
    }
    if let Some(s) = a.opt("errorStatus", error_status)? {
        out.error_status = s;
    }
    out.concurrency = a.opt("concurrency", |c| c.positive_u32(u32::MAX))?;
    if let Some(b) = a.opt("responseBytes", |b| b.u32_in(0, u32::MAX))? {
        out.response_bytes = b;
    }
    if let Some(calls) = a.opt("calls", calls)? {
        out.calls = calls;
    }
    if let Some(list) = a.get("routes") {
        let items = list.seq()?;
        if items.len() > MAX_ROUTES {
            return Err(list.error(format!("at most {MAX_ROUTES} routes per app")));
        }
        out.routes = items.iter().map(route).collect::<Result<_>>()?;
    }
    if let Some(e) = a.get("tcpEcho") {
        if !out.calls.is_empty() {
            return Err(e.error("a tcpEcho app only echoes: it makes no calls"));
        }
        if !out.routes.is_empty() {
            return Err(e.error("a tcpEcho app only echoes: it has no HTTP routes"));
        }
        out.tcp_echo = Some(e.str()?.to_string());
    }
    Ok(out)
}

fn error_rate(r: &Val<'_>) -> Result<f64> {
    let rate = r.number()?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(r.error("must be a probability between 0 and 1"));
    }
    Ok(rate)
}

fn error_status(s: &Val<'_>) -> Result<u16> {
    Ok(u16::try_from(s.int_in(100, 599)?).unwrap_or(500))
}

fn calls(list: &Val<'_>) -> Result<Vec<AppCall>> {
    let items = list.seq()?;
    if items.len() > MAX_CALLS {
        return Err(list.error(format!("at most {MAX_CALLS} calls per app or route")));
    }
    items.iter().map(call).collect()
}

/// One entry of `app.routes`: a path match (`prefix` or `path`, default every path), an
/// optional method list, and the fields it overrides.
fn route(v: &Val<'_>) -> Result<AppRoute> {
    let r = v.map(ROUTE_FIELDS)?;
    let path = match r.present(&["prefix", "path"]).as_slice() {
        [] => PathMatch::Prefix("/".into()),
        ["prefix"] => PathMatch::Prefix(request_path(&r.req("prefix")?)?),
        ["path"] => PathMatch::Exact(request_path(&r.req("path")?)?),
        _ => return Err(r.error("set `prefix` or `path`, not both")),
    };
    let methods = match r.get("methods") {
        Some(m) => {
            let list = m.seq()?;
            if list.is_empty() {
                return Err(m.error("list at least one method, or leave `methods` out for any"));
            }
            list.iter()
                .map(|x| x.one_of(METHODS).map(str::to_string))
                .collect::<Result<_>>()?
        }
        None => Vec::new(),
    };
    Ok(AppRoute {
        path,
        methods,
        latency: r.opt("latency", latency::distribution)?,
        error_rate: r.opt("errorRate", error_rate)?,
        error_status: r.opt("errorStatus", error_status)?,
        response_bytes: r.opt("responseBytes", |b| b.u32_in(0, u32::MAX))?,
        calls: r.opt("calls", calls)?,
    })
}

/// A path as requests carry it: starts with `/`, no query string.
fn request_path(v: &Val<'_>) -> Result<String> {
    let p = v.str()?;
    if !p.starts_with('/') {
        return Err(v.error("must start with '/'"));
    }
    if p.contains('?') {
        return Err(v.error("is matched without the query string: leave out `?…`"));
    }
    Ok(p.to_string())
}

/// A list of header names.
fn header_names(v: &Val<'_>) -> Result<Vec<String>> {
    (v.seq()?.iter())
        .map(|item| {
            let name = item.str()?;
            http_syntax::header_name(name).map_err(|m| item.error(m))?;
            Ok(name.to_string())
        })
        .collect()
}

/// One entry of `app.calls`:
/// `{host: reviews, port: 9080, path: /reviews/0, timeout: 3s, retries: 1,
///   propagate: [end-user], onError: "Error fetching product reviews"}`.
fn call(v: &Val<'_>) -> Result<AppCall> {
    let c = v.map(CALL_FIELDS)?;
    let path = c
        .opt("path", |p| p.str().map(str::to_string))?
        .unwrap_or_else(|| "/".into());
    if !path.starts_with('/') {
        return Err(c.req("path")?.error("must start with '/'"));
    }
    if let Err(m) = http_syntax::request_target(&path) {
        return Err(c.req("path")?.error(m));
    }
    let propagate = c.opt("propagate", header_names)?.unwrap_or_default();
    Ok(AppCall {
        host: c.req_name("host")?.to_string(),
        port: u16::try_from(c.req("port")?.int_in(1, 65535)?).unwrap_or(u16::MAX),
        path,
        timeout: c.opt("timeout", Val::duration)?,
        retries: c.opt("retries", |r| r.u32_in(0, MAX_RETRIES))?.unwrap_or(0),
        propagate,
        on_error: c
            .opt("onError", |e| e.str().map(str::to_string))?
            .unwrap_or_default(),
    })
}
