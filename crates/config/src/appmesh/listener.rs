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
use std::time::Duration;

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
    if let Some(x) = l.ignored("tls", TLS_NOT_MODELLED) {
        x.entries()?;
    }
    let (request_timeout, idle_timeout) = match (id.kind, l.get("timeout")) {
        (_, None) => (None, None),
        (AppMeshKind::VirtualNode, Some(t)) => timeout(&t, proto_word)?,
        (AppMeshKind::VirtualGateway, Some(t)) => {
            t.warn("ignored: a virtual gateway's listener has no timeout in the App Mesh API");
            t.entries()?;
            (None, None)
        }
    };
    if id.kind == AppMeshKind::VirtualGateway {
        if let Some(h) = l.get("healthCheck") {
            // App Mesh configures no Envoy health check from it: a gateway is checked from
            // outside, through Envoy's admin port (aws/aws-app-mesh-roadmap issue 255,
            // "Support deep Health check at Virtual Gateway").
            h.warn(
                "a virtual gateway's listener health check configures no health check in its \
                 Envoy (App Mesh checks gateways from outside, through Envoy's admin port); \
                 nothing in the twin runs it",
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
        request_timeout,
        idle_timeout,
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

/// A virtual node listener's `timeout` (`ListenerTimeout`: one block per protocol): the block
/// of the listener's protocol gives the ingress route's per-request timeout
/// (aws-app-mesh-examples walkthrough howto-k8s-timeout-policy: "when not specified a default
/// timeout of 15 seconds will be applied") and its idle timeout (the ingress connection
/// manager's `stream_idle_timeout`, or the ingress `tcp_proxy`'s `idle_timeout`; App Mesh sets
/// none by default: "The default value is none", API reference `HttpTimeout`); other
/// protocols' blocks are warnings.
fn timeout(v: &Val<'_>, listener_protocol: &str) -> Result<(Option<Duration>, Option<Duration>)> {
    let t = v.map(POOL_BLOCKS)?;
    let mut found = (None, None);
    for block in t.present(POOL_BLOCKS) {
        let b = t.req(block)?;
        let fields: &'static [&'static str] = if block == "tcp" {
            &["idle"]
        } else {
            &["perRequest", "idle"]
        };
        let bm = b.map(fields)?;
        let idle = bm.opt("idle", super::route::duration)?;
        let pr = bm.opt("perRequest", super::route::duration)?;
        if block == listener_protocol {
            found = (pr, idle);
        } else if pr.is_some() || idle.is_some() {
            b.warn(format!(
                "ignored: a {block} timeout on a {listener_protocol} listener"
            ));
        }
    }
    Ok(found)
}
