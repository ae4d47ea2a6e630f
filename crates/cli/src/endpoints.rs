//! `meshtwin endpoints <trace.jsonl | out dir>`: the endpoints each proxy knew at a virtual
//! time, printed as `istioctl proxy-config endpoints <pod>` prints them (ENDPOINT, STATUS,
//! OUTLIER CHECK, CLUSTER; `-o wide` adds LOCALITY, PRIORITY, HOST). Without `--proxy`, every
//! proxy's endpoints, with a PROXY column first. The reconstruction is
//! `meshtwin_report::endpoints`.

use std::path::Path;

use clap::ValueEnum;
use meshtwin_model::event::EventKind;
use meshtwin_model::trace::EventSource;
use meshtwin_report::endpoints::{endpoint_view, proxies_at, tabwrite, EndpointRow};

use crate::exit;
use crate::tracefile::{read_trace, TraceFile};

/// `-o`: istioctl's short table, with locality, priority and host, or istioctl's `-o json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Short,
    Wide,
    Json,
}

/// What to show.
pub struct Query<'a> {
    pub proxy: Option<&'a str>,
    pub cluster: Option<&'a str>,
    /// A duration (`45s`, `1m30s`); `None`: the end of the run.
    pub at: Option<&'a str>,
    pub format: Format,
}

pub fn endpoints_command(path: &Path, q: &Query<'_>) -> u8 {
    match render(path, q) {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
}

/// Every proxy the trace gives an endpoint set, at any time.
fn all_proxies(events: &(impl EventSource + ?Sized)) -> Vec<String> {
    proxies_at(events, f64::INFINITY)
}

/// `name` as the trace spells it: the pod name, or istioctl's `pod.namespace` form.
fn resolve_proxy(trace: &TraceFile, name: &str) -> Result<String, String> {
    let known = trace.complete(all_proxies(&trace.events))?;
    let pod = name.split_once('.').map_or(name, |(p, _)| p);
    known
        .iter()
        .find(|p| p.as_str() == name || p.as_str() == pod)
        .cloned()
        .ok_or_else(|| {
            format!(
                "--proxy: no proxy named '{name}' in the trace; proxies: {}",
                list(&known)
            )
        })
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// `--at` in virtual milliseconds, within the run (`last_ms`: the trace's last event's time).
fn at_ms(at: Option<&str>, duration_ms: Option<f64>, last_ms: f64) -> Result<f64, String> {
    let end = duration_ms.unwrap_or(last_ms);
    let Some(text) = at else {
        return Ok(end.max(last_ms));
    };
    let d = meshtwin_config::duration::parse(text).map_err(|e| format!("--at: {e}"))?;
    let t = d.as_micros() as f64 / 1000.0;
    if let Some(run) = duration_ms.filter(|run| t > *run) {
        return Err(format!(
            "--at: {text} is after the end of the run ({run} ms virtual)"
        ));
    }
    Ok(t)
}

/// The table `meshtwin endpoints` prints.
pub fn render(path: &Path, q: &Query<'_>) -> Result<String, String> {
    let trace = read_trace(path)?;
    let events = &trace.events;
    let (any_set, last_ms) = events.events().fold((false, 0.0), |(any, _), e| {
        (any || matches!(e.kind, EventKind::Endpoints { .. }), e.t_ms)
    });
    if !trace.complete(any_set)? {
        return Err(format!(
            "{}: the trace has no endpoint sets (written by an older meshtwin?)",
            trace.path.display()
        ));
    }
    let proxy = q.proxy.map(|p| resolve_proxy(&trace, p)).transpose()?;
    let t = at_ms(q.at, trace.duration_ms, last_ms)?;
    let rows: Vec<EndpointRow> = trace
        .complete(endpoint_view(events, t))?
        .into_iter()
        .filter(|r| proxy.as_ref().is_none_or(|p| &r.proxy == p))
        .collect();
    let rows = match q.cluster {
        None => rows,
        Some(c) => {
            let mut known: Vec<String> = rows.iter().map(|r| r.cluster.clone()).collect();
            known.sort();
            known.dedup();
            let kept: Vec<EndpointRow> = rows
                .into_iter()
                .filter(|r| r.cluster.eq_ignore_ascii_case(c))
                .collect();
            if kept.is_empty() && !known.is_empty() {
                return Err(format!(
                    "--cluster: no cluster '{c}'; clusters: {}",
                    list(&known)
                ));
            }
            kept
        }
    };
    if q.format == Format::Json {
        return Ok(json_view(&rows));
    }
    let with_proxy = proxy.is_none();
    let mut header = vec!["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"];
    if with_proxy {
        header.insert(0, "PROXY");
    }
    if q.format == Format::Wide {
        header.extend(["LOCALITY", "PRIORITY", "HOST"]);
    }
    let mut table = vec![header.into_iter().map(str::to_string).collect()];
    for r in rows {
        let mut cells = Vec::new();
        if with_proxy {
            cells.push(r.proxy.clone());
        }
        cells.extend([
            r.address.clone(),
            r.status().to_string(),
            r.outlier_check().to_string(),
            r.cluster.clone(),
        ]);
        if q.format == Format::Wide {
            let locality = if r.locality.is_empty() {
                "-"
            } else {
                &r.locality
            };
            cells.extend([locality.to_string(), r.priority.to_string(), r.host]);
        }
        table.push(cells);
    }
    Ok(tabwrite(&table))
}

/// istioctl's `proxy-config endpoints -o json`: the clusters of Envoy admin's
/// `/clusters?format=json` (`envoy.admin.v3.ClusterStatus`) that hold a shown endpoint, as
/// istioctl prints them (protobuf JSON: lowerCamelCase names, zero values left out), each
/// host with its address, health (`edsHealthStatus`, `failedActiveHealthCheck`,
/// `failedOutlierCheck`), locality, hostname and priority. Host stats and weights are not
/// shown. Without `--proxy`, each cluster also names its `proxy` (not an Envoy field).
fn json_view(rows: &[EndpointRow]) -> String {
    use serde_json::{json, Map, Value};
    let mut clusters: Vec<((String, String), Vec<Value>)> = Vec::new();
    let single_proxy = rows.windows(2).all(|w| w[0].proxy == w[1].proxy);
    for r in rows {
        let (ip, port) = r.address.rsplit_once(':').unwrap_or((&r.address, "0"));
        let mut health = Map::new();
        health.insert("edsHealthStatus".into(), json!("HEALTHY"));
        if r.failed_active_hc {
            health.insert("failedActiveHealthCheck".into(), json!(true));
        }
        if r.failed_outlier_check {
            health.insert("failedOutlierCheck".into(), json!(true));
        }
        let mut host = Map::new();
        let port: u64 = port.parse().unwrap_or(0);
        host.insert(
            "address".into(),
            json!({"socketAddress": {"address": ip, "portValue": port}}),
        );
        host.insert("healthStatus".into(), Value::Object(health));
        if !r.locality.is_empty() {
            let mut parts = r.locality.splitn(3, '/');
            let mut locality = Map::new();
            for key in ["region", "zone", "subZone"] {
                if let Some(v) = parts.next().filter(|v| !v.is_empty()) {
                    locality.insert(key.into(), json!(v));
                }
            }
            host.insert("locality".into(), Value::Object(locality));
        }
        host.insert("hostname".into(), json!(r.host));
        if r.priority > 0 {
            host.insert("priority".into(), json!(r.priority));
        }
        let key = (r.proxy.clone(), r.cluster.clone());
        match clusters.iter_mut().find(|(k, _)| *k == key) {
            Some((_, hosts)) => hosts.push(Value::Object(host)),
            None => clusters.push((key, vec![Value::Object(host)])),
        }
    }
    let out: Vec<Value> = clusters
        .into_iter()
        .map(|((proxy, name), hosts)| {
            let mut c = Map::new();
            if !single_proxy {
                c.insert("proxy".into(), json!(proxy));
            }
            c.insert("name".into(), json!(name));
            c.insert("addedViaApi".into(), json!(true));
            c.insert("hostStatuses".into(), Value::Array(hosts));
            Value::Object(c)
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&out).expect("endpoints serialize");
    text.push('\n');
    text
}
