//! One App Mesh listener → [`AppMeshListener`] (App Mesh listener `connectionPool` (docs/guide.md, App Mesh), App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh)).
//!
//! The `connectionPool` becomes the circuit-breaker thresholds of the node's own **ingress**
//! cluster; fields it does not set keep App Mesh's default 2147483647. Exactly one protocol
//! block is allowed and it must match the port mapping's protocol (`tcp` only on virtual
//! nodes). `healthCheck` ([`super::health_check`]) and `outlierDetection`
//! ([`super::outlier`]) are checked against the App Mesh API's ranges.

use meshtwin_model::policy::{AppMeshKind, AppMeshListener, Thresholds};
use meshtwin_model::topology::Protocol;
use meshtwin_model::SourceRef;

use super::{health_check, origins, outlier, Identity};
use crate::decode::{Obj, Result, Val};
use crate::warning::TLS_NOT_MODELLED;

/// App Mesh integers are Java ints.
pub(super) const INT_MAX: u32 = i32::MAX as u32;

const LISTENER_FIELDS: &[&str] = &[
    "portMapping",
    "connectionPool",
    "healthCheck",
    "outlierDetection",
    "timeout",
    "tls",
];
const PORT_MAPPING_FIELDS: &[&str] = &["port", "protocol"];
const POOL_BLOCKS: &[&str] = &["http", "http2", "grpc", "tcp"];
/// Lower every entry of `spec.listeners`.
pub fn lower_all(spec: &Obj<'_>, id: &Identity) -> Result<Vec<AppMeshListener>> {
    spec.list("listeners")?
        .iter()
        .map(|l| lower(l, id))
        .collect()
}

pub(super) fn protocols(kind: AppMeshKind) -> &'static [&'static str] {
    match kind {
        AppMeshKind::VirtualNode => &["http", "http2", "grpc", "tcp"],
        AppMeshKind::VirtualGateway => &["http", "http2", "grpc"],
    }
}

pub(super) fn protocol(word: &str) -> Protocol {
    match word {
        "http2" => Protocol::Http2,
        "grpc" => Protocol::Grpc,
        "tcp" => Protocol::Tcp,
        _ => Protocol::Http,
    }
}

/// Lower one listener.
pub fn lower(v: &Val<'_>, id: &Identity) -> Result<AppMeshListener> {
    let l = v.map(LISTENER_FIELDS)?;
    let pm = l.req("portMapping")?.map(PORT_MAPPING_FIELDS)?;
    let port = u16::try_from(pm.req("port")?.int_in(1, 65535)?).unwrap_or(u16::MAX);
    let proto_word = pm.req("protocol")?.one_of(protocols(id.kind))?;
    let thresholds = match l.get("connectionPool") {
        Some(pool) => connection_pool(&pool, proto_word, id.kind)?,
        None => Thresholds::APPMESH_DEFAULT,
    };
    for (key, why) in [
        (
            "timeout",
            "listener timeouts are not modelled: requests wait as long as the caller does",
        ),
        ("tls", TLS_NOT_MODELLED),
    ] {
        if let Some(x) = l.ignored(key, why) {
            x.entries()?;
        }
    }
    if id.kind == AppMeshKind::VirtualGateway {
        if let Some(h) = l.get("healthCheck") {
            h.warn(
                "a virtual gateway's own health check is not run: nothing in the twin checks the \
                 gateway's Envoy",
            );
        }
    }
    Ok(AppMeshListener {
        kind: id.kind,
        k8s_name: id.k8s_name.clone(),
        aws_name: id.aws_name.clone(),
        mesh: id.mesh.clone(),
        namespace: id.namespace.clone(),
        port,
        protocol: protocol(proto_word),
        thresholds,
        has_connection_pool: l.has("connectionPool"),
        health_check: l.opt("healthCheck", |h| health_check::decode(h, id.kind, port))?,
        outlier_detection: l.opt("outlierDetection", outlier::decode)?,
        dns_hostname: id.dns_hostname.clone(),
        cloud_map: id.cloud_map.clone(),
        pod_selector: id.pod_selector.clone(),
        source: SourceRef {
            file: v.ctx.file.clone(),
            line: v.line(),
        },
        origins: origins::origins(v)?,
    })
}

fn connection_pool(v: &Val<'_>, listener_protocol: &str, kind: AppMeshKind) -> Result<Thresholds> {
    let pool = v.map(POOL_BLOCKS)?;
    let present = pool.present(POOL_BLOCKS);
    let block = match present.as_slice() {
        [one] => *one,
        [] => return Err(v.error("must set one protocol block: http, http2, grpc or tcp")),
        many => {
            return Err(v.error(format!(
                "only one protocol block is allowed, found {}",
                many.join(" and ")
            )))
        }
    };
    let b = pool.req(block)?;
    if kind == AppMeshKind::VirtualGateway && block == "tcp" {
        return Err(b.error("a virtual gateway has no tcp connection pool"));
    }
    if block != listener_protocol {
        return Err(b.error(format!(
            "connection pool protocol {block} does not match the listener's protocol {listener_protocol}"
        )));
    }
    let mut t = Thresholds::APPMESH_DEFAULT;
    match block {
        "http" => {
            let h = b.map(&["maxConnections", "maxPendingRequests"])?;
            t.max_connections = u64::from(h.req("maxConnections")?.positive_u32(INT_MAX)?);
            if let Some(n) = h.opt("maxPendingRequests", |v| v.positive_u32(INT_MAX))? {
                t.max_pending_requests = u64::from(n);
            }
        }
        "tcp" => {
            let h = b.map(&["maxConnections"])?;
            t.max_connections = u64::from(h.req("maxConnections")?.positive_u32(INT_MAX)?);
        }
        _ => {
            let h = b.map(&["maxRequests"])?;
            t.max_requests = u64::from(h.req("maxRequests")?.positive_u32(INT_MAX)?);
        }
    }
    Ok(t)
}
