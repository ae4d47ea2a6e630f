//! `Gateway` → [`GatewayPolicy`] (`ValidateGateway`, `validateServer`,
//! `validateServerPort`). TLS settings are accepted and not modelled.

use std::collections::BTreeSet;

use meshtwin_model::traffic::gateway::{GatewayPolicy, GatewayPort, GatewayServer};
use meshtwin_model::SourceRef;

use super::checks;
use super::destination_rule::API_VERSIONS;
use crate::decode::{Obj, Result, Val};
use crate::k8s;

const SPEC_FIELDS: &[&str] = &["selector", "servers"];
const SERVER_FIELDS: &[&str] = &["port", "hosts", "tls", "bind", "defaultEndpoint", "name"];
const PORT_FIELDS: &[&str] = &["number", "name", "protocol", "targetPort"];
/// Protocols Istio parses (`protocol.Parse`), upper-cased.
const PROTOCOLS: &[&str] = &[
    "HTTP",
    "HTTPS",
    "HTTP2",
    "HTTP_PROXY",
    "GRPC",
    "GRPC-WEB",
    "TCP",
    "TLS",
    "MONGO",
    "REDIS",
    "MYSQL",
    "UDP",
];

/// Lower one Gateway object (its envelope already opened as `object`).
pub fn lower(object: &Obj<'_>) -> Result<GatewayPolicy> {
    k8s::api_version(object, "Gateway", API_VERSIONS)?;
    let meta = k8s::metadata(object)?;
    if !checks::is_dns1123_label(&meta.name) {
        let name = object
            .req("metadata")?
            .map(k8s::OBJECT_META_FIELDS)?
            .req("name")?;
        return Err(name.error(format!("invalid gateway name: {:?}", meta.name)));
    }
    let spec_val = object.req("spec")?;
    let spec = spec_val.map(SPEC_FIELDS)?;
    let servers_val = spec.list("servers")?;
    if servers_val.is_empty() {
        return Err(spec_val.error("gateway must have at least one server"));
    }
    let mut port_names = BTreeSet::new();
    let mut servers = Vec::new();
    for s in &servers_val {
        let server = server(s)?;
        if !port_names.insert(server.port.name.clone()) {
            return Err(s.error(format!(
                "port names in servers must be unique: duplicate name {}",
                server.port.name
            )));
        }
        servers.push(server);
    }
    Ok(GatewayPolicy {
        name: meta.name,
        namespace: meta.namespace,
        selector: spec.opt("selector", Val::string_map)?.unwrap_or_default(),
        servers,
        source: SourceRef {
            file: object.val.ctx.file.clone(),
            line: object.line(),
        },
    })
}

fn server(v: &Val<'_>) -> Result<GatewayServer> {
    let s = v.map(SERVER_FIELDS)?;
    let hosts = s.opt("hosts", Val::strings)?.unwrap_or_default();
    if hosts.is_empty() {
        return Err(v.error("server config must contain at least one host"));
    }
    let Some(port_val) = s.get("port") else {
        return Err(v.error("port is required"));
    };
    let port = port(&port_val)?;
    let tls = s.ignored(
        "tls",
        "TLS is not modelled: an HTTPS server is served as HTTP and a TLS server as TCP, with \
         no handshake or certificates",
    );
    if let Some(t) = &tls {
        t.entries()?;
    }
    if let Some(b) = s.ignored("bind", "the listener accepts on every address of the pod") {
        b.str()?;
    }
    s.opt("defaultEndpoint", |b| b.str().map(drop))?;
    s.opt("name", |b| b.str().map(drop))?;
    let is_tls = matches!(port.protocol.as_str(), "HTTPS" | "TLS");
    if is_tls && tls.is_none() {
        return Err(v.error("server must have TLS settings for HTTPS/TLS protocols"));
    }
    Ok(GatewayServer {
        port,
        hosts,
        tls: tls.is_some(),
    })
}

fn port(v: &Val<'_>) -> Result<GatewayPort> {
    let p = v.map(PORT_FIELDS)?;
    let protocol_val = p.req("protocol")?;
    let protocol = protocol_val.str()?.to_ascii_uppercase();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(protocol_val.error(format!(
            "invalid protocol {:?}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP",
            protocol_val.str()?
        )));
    }
    let number = checks::port(&p.req("number")?)?;
    if let Some(t) = p.get("targetPort") {
        return Err(t.error("targetPort has no impact on Gateways"));
    }
    let name = match p.get("name") {
        Some(n) if !n.str()?.is_empty() => n.str()?.to_string(),
        _ => return Err(v.error("port name must be set")),
    };
    Ok(GatewayPort {
        number,
        name,
        protocol,
    })
}
