//! `loads:` entries → [`LoadSpec`]: a fortio-style load generator.
//!
//! ```yaml
//! - name: c2
//!   from: fortio              # pod (fortio-0) or workload (its first pod)
//!   start: 1s                 # default 0s
//!   connections: 2            # fortio -c, default 8 (fortio's default)
//!   qps: 0                    # fortio -qps, 0 = as fast as possible, default 8 (fortio's)
//!   calls: 20                 # fortio -n   } exactly one of these two
//!   # duration: 10s           # fortio -t   }
//!   url: http://httpbin:8000/get
//!   # url: tcp://istio-ingressgateway.istio-system:31400   # TCP: every call is one
//!   #   connection sending one line and reading one line back (`nc`); port required
//!   method: GET               # default GET
//!   headers: {}               # default none
//!   timeout: 3s               # per request, default 3s (fortio's)
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::limits::{MAX_CALLS, MAX_QPS};
use meshtwin_model::scenario::LoadSpec;

use crate::decode::{Obj, Result, Val};
use crate::http_syntax;
use crate::names::{self, Rule};

pub const LOAD_FIELDS: &[&str] = &[
    "name",
    "from",
    "start",
    "connections",
    "qps",
    "calls",
    "duration",
    "url",
    "method",
    "headers",
    "timeout",
];
/// fortio's defaults for `-c` and `-qps`.
const FORTIO_CONNECTIONS: u32 = 8;
const FORTIO_QPS: f64 = 8.0;
const FORTIO_TIMEOUT: Duration = Duration::from_secs(3);
/// A limit on everything: at most this many connections per load.
const MAX_CONNECTIONS: u32 = 10_000;

/// Decode every load; `run` is the scenario's duration. The calls the loads plan together
/// are at most [`MAX_CALLS`]; the error is at the load that crosses the limit.
pub fn decode_all(items: &[Val<'_>], run: Duration) -> Result<Vec<LoadSpec>> {
    let mut loads: Vec<LoadSpec> = Vec::new();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut planned: u64 = 0;
    for item in items {
        let name = item.map(LOAD_FIELDS)?.req("name")?;
        // It names output files (`pool-<load>.svg`) and request ids (`<load>-<conn>-<call>`).
        let key = names::name(&name, Rule::Label)?.to_string();
        if let Some(first) = seen.get(&key) {
            return Err(name.error(format!(
                "duplicate load name {key:?} (first at line {first})"
            )));
        }
        seen.insert(key, name.line());
        let load = decode(item, run)?;
        planned = planned.saturating_add(load.total_planned_calls().unwrap_or(0));
        if planned > MAX_CALLS {
            let l = item.map(LOAD_FIELDS)?;
            let at = ["calls", "qps", "duration"]
                .iter()
                .find_map(|k| l.get(k))
                .unwrap_or_else(|| item.clone());
            return Err(at.error(format!(
                "the loads would make {planned} calls, more than the limit of {MAX_CALLS} per run"
            )));
        }
        loads.push(load);
    }
    Ok(loads)
}

fn decode(v: &Val<'_>, run: Duration) -> Result<LoadSpec> {
    let l = v.map(LOAD_FIELDS)?;
    let start = l.opt("start", Val::duration)?.unwrap_or(Duration::ZERO);
    let calls = l
        .opt("calls", |v| v.int_in(1, i64::MAX))?
        .map(i64::unsigned_abs);
    let duration = l.opt("duration", Val::positive_duration)?;
    match (calls, duration) {
        (Some(_), Some(_)) => {
            return Err(l
                .req("duration")?
                .error("set either calls (fortio -n) or duration (fortio -t), not both"))
        }
        (None, None) => {
            return Err(l.error("missing field `calls` or `duration` (exactly one is required)"))
        }
        _ => {}
    }
    if start >= run {
        return Err(l.req("start")?.error(format!(
            "the load starts at {}, not before the end of the run ({})",
            fmt_duration(start),
            fmt_duration(run)
        )));
    }
    if let Some(d) = duration {
        if start + d > run {
            return Err(l.req("duration")?.error(format!(
                "the load runs until {}, past the end of the run ({})",
                fmt_duration(start + d),
                fmt_duration(run)
            )));
        }
    }
    let url = url(&l)?;
    let method = method(&l)?;
    let qps = qps(&l)?;
    Ok(LoadSpec {
        name: l.req_name("name")?.to_string(),
        from: l.req_name("from")?.to_string(),
        start,
        connections: l
            .opt("connections", |v| v.positive_u32(MAX_CONNECTIONS))?
            .unwrap_or(FORTIO_CONNECTIONS),
        qps,
        calls,
        duration,
        url,
        method,
        headers: l.opt("headers", header_map)?.unwrap_or_default(),
        timeout: l
            .opt("timeout", Val::positive_duration)?
            .unwrap_or(FORTIO_TIMEOUT),
    })
}

/// `url`: `http://host[:port]/path` or `tcp://host:port`.
fn url(l: &Obj<'_>) -> Result<String> {
    let url_val = l.req("url")?;
    let url = url_val.name()?.to_string();
    if let Some(rest) = url.strip_prefix("tcp://") {
        check_tcp_url(rest).map_err(|m| url_val.error(m))?;
    } else {
        let host = url.strip_prefix("http://").unwrap_or("");
        if host.is_empty() || host.starts_with(['/', ':']) {
            return Err(url_val.error(
                "expected an http:// URL with a host, like http://httpbin:8000/get, \
                 or tcp://host:port",
            ));
        }
        if let Some(i) = host.find('/') {
            http_syntax::request_target(&host[i..]).map_err(|m| url_val.error(m))?;
        }
    }
    Ok(url)
}

/// `method` (default `GET`), in capitals.
fn method(l: &Obj<'_>) -> Result<String> {
    Ok(match l.get("method") {
        Some(m) => {
            let s = m.name()?;
            if !s.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(m.error("expected an HTTP method in capitals, like GET or POST"));
            }
            s.to_string()
        }
        None => "GET".to_string(),
    })
}

/// `headers`: each name an HTTP token (RFC 9110 `tchar`), each value without control
/// characters (tab allowed), as an HTTP/1 request can carry them.
fn header_map(v: &Val<'_>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (name, value) in v.entries()? {
        http_syntax::header_name(name).map_err(|m| value.error(m))?;
        let text = value.str()?;
        http_syntax::header_value(text).map_err(|m| value.error(m))?;
        out.insert(name.to_string(), text.to_string());
    }
    Ok(out)
}

/// `qps` (default fortio's; 0: as fast as possible), at most [`MAX_QPS`].
fn qps(l: &Obj<'_>) -> Result<f64> {
    Ok(match l.get("qps") {
        Some(q) => {
            let n = q.number()?;
            if n < 0.0 {
                return Err(q.error("must be >= 0 (0 = as fast as possible)"));
            }
            if n > MAX_QPS {
                return Err(q.error(format!("must be at most {MAX_QPS} (the limit on qps)")));
            }
            n
        }
        None => FORTIO_QPS,
    })
}

/// The `host:port` of a `tcp://` URL: a host, a port in 1..65535, no path.
fn check_tcp_url(rest: &str) -> std::result::Result<(), String> {
    let bad = || format!("expected tcp://host:port, like tcp://tcp-echo:9000 (got tcp://{rest})");
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || host.contains('/') {
        return Err(bad());
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!(
            "bad port {port:?} in tcp://{rest}: expected 1..65535"
        )),
    }
}

/// `1.5s`, `20s`, `250ms` — for messages.
fn fmt_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() > 0 {
        format!("{}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}
