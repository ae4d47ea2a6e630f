//! `meshtwin proxy-config cluster|listener|route|endpoint <out> --proxy POD [-o json]`: what a
//! proxy was configured with, read from the run's `config_dump.json` (see `config_dump.rs`)
//! and printed in `istioctl proxy-config`'s table layout
//! (`istioctl/pkg/writer/envoy/configdump/cluster.go`, `listener.go`, `route.go`), or with
//! `-o json` as the Envoy config-dump objects istioctl prints. `endpoint` is
//! `meshtwin endpoints` for that proxy. istioctl's DESTINATION RULE and VIRTUAL SERVICE columns
//! come from Istio's metadata on each resource, which the twin does not record: they are left
//! out.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use meshtwin_report::endpoints::tabwrite;
use serde_json::Value;

use crate::endpoints::{self, Format};
use crate::exit;

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Cluster,
    Listener,
    Route,
    Endpoint,
}

/// `-o`: istioctl's table or the config-dump JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Short,
    Json,
}

pub fn proxy_config_command(kind: Kind, out: &Path, proxy: &str, output: Output) -> u8 {
    let result = if kind == Kind::Endpoint {
        let format = match output {
            Output::Short => Format::Short,
            Output::Json => Format::Json,
        };
        let q = endpoints::Query {
            proxy: Some(proxy),
            cluster: None,
            at: None,
            format,
        };
        endpoints::render(out, &q)
    } else {
        render(kind, out, proxy, output)
    };
    match result {
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

/// `config_dump.json` in the run's output directory (or the file itself).
fn dump_path(out: &Path) -> PathBuf {
    if out.is_dir() {
        out.join("config_dump.json")
    } else {
        out.to_path_buf()
    }
}

/// The table or JSON for `kind` of `proxy` (pod name, or istioctl's `pod.namespace`).
pub fn render(kind: Kind, out: &Path, proxy: &str, output: Output) -> Result<String, String> {
    let path = dump_path(out);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (written by `meshtwin run` into its output directory)",
            path.display()
        )
    })?;
    let all: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a meshtwin config dump: {e}", path.display()))?;
    let pods = all
        .as_object()
        .ok_or_else(|| format!("{}: not a config dump", path.display()))?;
    let pod = proxy.split_once('.').map_or(proxy, |(p, _)| p);
    let dump = pods.get(proxy).or_else(|| pods.get(pod)).ok_or_else(|| {
        let known: Vec<&str> = pods.keys().map(String::as_str).collect();
        format!(
            "--proxy: no proxy named '{proxy}'; proxies: {}",
            known.join(", ")
        )
    })?;
    let section = |ty: &str, list: &str, item: &str| -> Vec<Value> {
        dump["configs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["@type"].as_str().is_some_and(|t| t.ends_with(ty)))
            .flat_map(|c| c[list].as_array().cloned().unwrap_or_default())
            .map(|e| item.split('.').fold(e, |v, k| v[k].clone()))
            .collect()
    };
    let items = match kind {
        Kind::Cluster => section("ClustersConfigDump", "dynamic_active_clusters", "cluster"),
        Kind::Listener => section(
            "ListenersConfigDump",
            "dynamic_listeners",
            "active_state.listener",
        ),
        Kind::Route => section("RoutesConfigDump", "dynamic_route_configs", "route_config"),
        Kind::Endpoint => unreachable!("endpoints are rendered by `meshtwin endpoints`"),
    };
    if output == Output::Json {
        let mut s = serde_json::to_string_pretty(&items).expect("JSON");
        s.push('\n');
        return Ok(s);
    }
    let table = match kind {
        Kind::Cluster => cluster_table(&items),
        Kind::Listener => listener_table(&items),
        _ => route_table(&items),
    };
    Ok(tabwrite(&table))
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// istioctl's `PrintClusterSummary`: Istio's `direction|port|subset|fqdn` names split into
/// columns, other names whole.
fn cluster_table(clusters: &[Value]) -> Vec<Vec<String>> {
    let mut t = vec![["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE"]
        .map(str::to_string)
        .to_vec()];
    for c in clusters {
        let name = s(&c["name"]);
        let parts: Vec<&str> = name.split('|').collect();
        let ty = s(&c["type"]);
        t.push(if parts.len() > 3 {
            let subset = if parts[2].is_empty() { "-" } else { parts[2] };
            vec![
                parts[3].into(),
                parts[1].into(),
                subset.into(),
                parts[0].into(),
                ty,
            ]
        } else {
            vec![name, "-".into(), "-".into(), "-".into(), ty]
        });
    }
    t
}

/// istioctl's `PrintListenerSummary` (verbose): by port, then address; MATCH `ALL` (the twin's
/// listeners have one filter chain); DESTINATION the route configuration or the cluster.
fn listener_table(listeners: &[Value]) -> Vec<Vec<String>> {
    let mut rows: Vec<(u64, String, String)> = listeners
        .iter()
        .map(|l| {
            let a = &l["address"]["socket_address"];
            let filter = &l["filter_chains"][0]["filters"][0]["typed_config"];
            let dest = if let Some(r) = filter["rds"]["route_config_name"].as_str() {
                format!("Route: {r}")
            } else if let Some(c) = filter["cluster"].as_str() {
                format!("Cluster: {c}")
            } else {
                let w: Vec<String> = filter["weighted_clusters"]["clusters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| format!("{}({})", s(&c["name"]), s(&c["weight"])))
                    .collect();
                format!("WeightedClusters: {}", w.join(", "))
            };
            (
                a["port_value"].as_u64().unwrap_or(0),
                s(&a["address"]),
                dest,
            )
        })
        .collect();
    rows.sort();
    let mut t = vec![["ADDRESSES", "PORT", "MATCH", "DESTINATION"]
        .map(str::to_string)
        .to_vec()];
    for (port, addr, dest) in rows {
        t.push(vec![addr, port.to_string(), "ALL".into(), dest]);
    }
    t
}

/// istioctl's `describeMatch` of a route's path: `/p*` for a prefix, the path, or the regex.
fn describe_match(m: &Value) -> String {
    if let Some(p) = m["prefix"].as_str() {
        format!("{p}*")
    } else if let Some(p) = m["path"].as_str() {
        p.to_string()
    } else {
        s(&m["safe_regex"]["regex"])
    }
}

/// istioctl's `PrintRouteSummary` (verbose): one row per route of each virtual host.
fn route_table(configs: &[Value]) -> Vec<Vec<String>> {
    let mut t = vec![["NAME", "VHOST NAME", "DOMAINS", "MATCH"]
        .map(str::to_string)
        .to_vec()];
    for rc in configs {
        for vh in rc["virtual_hosts"].as_array().into_iter().flatten() {
            let domains: Vec<String> = vh["domains"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            for r in vh["routes"].as_array().into_iter().flatten() {
                t.push(vec![
                    s(&rc["name"]),
                    s(&vh["name"]),
                    domains.join(", "),
                    describe_match(&r["match"]),
                ]);
            }
        }
    }
    t
}
