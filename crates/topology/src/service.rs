//! `services:` entries → [`Service`]s.
//!
//! ```yaml
//! - name: httpbin
//!   namespace: default                          # default "default"
//!   selector: {app: httpbin}                    # default none (selects nothing)
//!   ports:
//!     - {name: http, port: 8000, targetPort: 80}   # targetPort defaults to port
//!     - {port: 9000, protocol: grpc}               # explicit protocol
//! ```
//! The protocol comes from `protocol:` (http, http2, grpc, tcp) or, as Istio does, from the
//! port name's prefix (`http`, `http-web` → http; `http2`; `grpc`; `grpc-web` → http; `tcp`,
//! `tls`, `https`, `mongo`, `mysql`, `redis` → tcp). An unnamed or otherwise named port is
//! auto-detected by Istio, which for HTTP clients means http.
//!
//! Every port's `targetPort` must be the app port of at least one selected pod that runs an
//! app; pods without an app (load generators, gateways) are exempt, and a selector that
//! matches nothing is fine.

use std::collections::{BTreeMap, BTreeSet};

use meshtwin_config::decode::{Result, Val};
use meshtwin_config::names::{self, Rule};
use meshtwin_model::topology::{Protocol, Service, ServicePort, Workload};
use meshtwin_model::SourceRef;

pub const SERVICE_FIELDS: &[&str] = &["name", "namespace", "selector", "ports"];
pub const PORT_FIELDS: &[&str] = &["name", "port", "targetPort", "protocol"];

/// Istio's protocol selection from a port name.
pub fn protocol_from_name(name: &str) -> Protocol {
    let lower = name.to_ascii_lowercase();
    if lower == "grpc-web" || lower.starts_with("grpc-web-") {
        return Protocol::Http;
    }
    match lower.split('-').next().unwrap_or("") {
        "http2" => Protocol::Http2,
        "grpc" => Protocol::Grpc,
        "tcp" | "tls" | "https" | "mongo" | "mysql" | "redis" => Protocol::Tcp,
        _ => Protocol::Http,
    }
}

fn port_number(v: &Val<'_>) -> Result<u16> {
    Ok(u16::try_from(v.int_in(1, 65535)?).unwrap_or(u16::MAX))
}

/// Decode one service and check its target ports against `workloads`; `seen` maps the
/// `(name, namespace)`s decoded so far to their lines, to reject duplicates.
pub fn decode(
    v: &Val<'_>,
    workloads: &[Workload],
    seen: &mut BTreeMap<(String, String), u32>,
) -> Result<Service> {
    let s = v.map(SERVICE_FIELDS)?;
    let name_val = s.req("name")?;
    // `ValidateServiceName`: a DNS-1035 label.
    let name = names::name(&name_val, Rule::Dns1035)?.to_string();
    let namespace = s
        .opt("namespace", |n| {
            names::name(n, Rule::Label).map(str::to_string)
        })?
        .unwrap_or_else(|| "default".to_string());
    let key = (name.clone(), namespace.clone());
    if let Some(first) = seen.get(&key) {
        return Err(name_val.error(format!(
            "duplicate service {name}.{namespace} (first at line {first})"
        )));
    }
    seen.insert(key, name_val.line());
    let selector = s.opt("selector", Val::string_map)?.unwrap_or_default();
    let selected: Vec<&Workload> = workloads
        .iter()
        .filter(|w| {
            w.replicas > 0
                && w.namespace == namespace
                && !selector.is_empty()
                && selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        })
        .collect();
    let ports_val = s.req("ports")?;
    let items = ports_val.seq()?;
    if items.is_empty() {
        return Err(ports_val.error("a service needs at least one port"));
    }
    let mut ports = Vec::new();
    let mut numbers = BTreeSet::new();
    for item in items {
        let p = item.map(PORT_FIELDS)?;
        let port_val = p.req("port")?;
        let port = port_number(&port_val)?;
        if !numbers.insert(port) {
            return Err(port_val.error(format!("duplicate port {port}")));
        }
        let name = p
            .opt("name", |n| n.str().map(str::to_string))?
            .unwrap_or_default();
        let protocol = match p.get("protocol") {
            Some(v) => match v.one_of(&["http", "http2", "grpc", "tcp"])? {
                "http2" => Protocol::Http2,
                "grpc" => Protocol::Grpc,
                "tcp" => Protocol::Tcp,
                _ => Protocol::Http,
            },
            None => protocol_from_name(&name),
        };
        let target_val = p.get("targetPort").unwrap_or(port_val);
        let target_port = port_number(&target_val)?;
        check_target_port(&target_val, target_port, &selected)?;
        ports.push(ServicePort {
            name,
            port,
            target_port,
            protocol,
        });
    }
    Ok(Service {
        name,
        namespace,
        ports,
        selector,
        source: SourceRef {
            file: v.ctx.file.clone(),
            line: v.line(),
        },
    })
}

fn check_target_port(v: &Val<'_>, target: u16, selected: &[&Workload]) -> Result<()> {
    let apps: Vec<(&str, u16)> = selected
        .iter()
        .filter_map(|w| w.app.as_ref().map(|a| (w.name.as_str(), a.port)))
        .collect();
    if apps.is_empty() || apps.iter().any(|(_, p)| *p == target) {
        return Ok(());
    }
    let listening: Vec<String> = apps.iter().map(|(w, p)| format!("{w} on {p}")).collect();
    Err(v.error(format!(
        "no selected pod's app listens on port {target} (selected apps: {})",
        listening.join(", ")
    )))
}
