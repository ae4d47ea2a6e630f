//! One App Mesh listener → [`AppMeshListener`] (spec §7.2–7.4, §5.5).
//!
//! The `connectionPool` becomes the circuit-breaker thresholds of the node's own **ingress**
//! cluster; fields it does not set keep App Mesh's default 2147483647. Exactly one protocol
//! block is allowed and it must match the port mapping's protocol (`tcp` only on virtual
//! nodes). `healthCheck` and `outlierDetection` are checked against the App Mesh API's ranges.

use std::time::Duration;

use meshtwin_model::policy::{
    AppMeshKind, AppMeshListener, HealthCheck, OutlierDetection, Thresholds,
};
use meshtwin_model::topology::Protocol;
use meshtwin_model::SourceRef;

use super::Identity;
use crate::decode::{Obj, Result, Val};

/// App Mesh integers are Java ints.
const INT_MAX: u32 = i32::MAX as u32;

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
const HEALTH_FIELDS: &[&str] = &[
    "protocol",
    "path",
    "port",
    "intervalMillis",
    "timeoutMillis",
    "healthyThreshold",
    "unhealthyThreshold",
];
const OUTLIER_FIELDS: &[&str] = &[
    "maxServerErrors",
    "interval",
    "baseEjectionDuration",
    "maxEjectionPercent",
];
const DURATION_FIELDS: &[&str] = &["unit", "value"];

/// Lower every entry of `spec.listeners`.
pub fn lower_all(spec: &Obj<'_>, id: &Identity) -> Result<Vec<AppMeshListener>> {
    spec.list("listeners")?
        .iter()
        .map(|l| lower(l, id))
        .collect()
}

fn protocols(kind: AppMeshKind) -> &'static [&'static str] {
    match kind {
        AppMeshKind::VirtualNode => &["http", "http2", "grpc", "tcp"],
        AppMeshKind::VirtualGateway => &["http", "http2", "grpc"],
    }
}

fn protocol(word: &str) -> Protocol {
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
    // Listener timeouts and TLS are accepted, not modelled yet.
    for key in ["timeout", "tls"] {
        if let Some(x) = l.get(key) {
            x.entries()?;
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
        health_check: l.opt("healthCheck", |h| health_check(h, id.kind))?,
        outlier_detection: l.opt("outlierDetection", outlier_detection)?,
        dns_hostname: id.dns_hostname.clone(),
        pod_selector: id.pod_selector.clone(),
        source: SourceRef {
            file: v.ctx.file.clone(),
            line: v.line(),
        },
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

fn health_check(v: &Val<'_>, kind: AppMeshKind) -> Result<HealthCheck> {
    let h = v.map(HEALTH_FIELDS)?;
    let proto = h.req("protocol")?.one_of(protocols(kind))?;
    let path = h.opt("path", |p| p.name().map(str::to_string))?;
    if path.is_some() && !matches!(proto, "http" | "http2") {
        return Err(h
            .req("path")?
            .error("a path is only allowed for http and http2 health checks"));
    }
    let millis = |key: &str, min: u32, max: u32| -> Result<Duration> {
        Ok(Duration::from_millis(u64::from(
            h.req(key)?.u32_in(min, max)?,
        )))
    };
    Ok(HealthCheck {
        protocol: protocol(proto),
        path,
        port: h
            .opt("port", |p| p.int_in(1, 65535))?
            .map(|p| u16::try_from(p).unwrap_or(u16::MAX)),
        interval: millis("intervalMillis", 5_000, 300_000)?,
        timeout: millis("timeoutMillis", 2_000, 60_000)?,
        healthy_threshold: h.req("healthyThreshold")?.u32_in(2, 10)?,
        unhealthy_threshold: h.req("unhealthyThreshold")?.u32_in(2, 10)?,
    })
}

/// `{unit: s|ms, value: N}`
fn appmesh_duration(v: &Val<'_>) -> Result<Duration> {
    let d = v.map(DURATION_FIELDS)?;
    let unit = d.req("unit")?.one_of(&["s", "ms"])?;
    let value = u64::try_from(d.req("value")?.int_in(0, i64::from(INT_MAX))?).unwrap_or(0);
    Ok(match unit {
        "s" => Duration::from_secs(value),
        _ => Duration::from_millis(value),
    })
}

/// App Mesh outlier detection → Envoy's, on the clients' egress clusters (spec §7.3). Fields
/// App Mesh does not expose keep Envoy's defaults (panic threshold 50 %).
fn outlier_detection(v: &Val<'_>) -> Result<OutlierDetection> {
    let o = v.map(OUTLIER_FIELDS)?;
    let interval = o.req("interval")?;
    let base = o.req("baseEjectionDuration")?;
    let (interval_d, base_d) = (appmesh_duration(&interval)?, appmesh_duration(&base)?);
    if interval_d < Duration::from_millis(1) {
        return Err(interval.error("must be at least 1ms"));
    }
    if base_d < Duration::from_millis(1) {
        return Err(base.error("must be at least 1ms"));
    }
    Ok(OutlierDetection {
        consecutive_5xx: Some(o.req("maxServerErrors")?.positive_u32(INT_MAX)?),
        enforcing_consecutive_5xx: 100,
        consecutive_gateway_failure: Some(5),
        enforcing_consecutive_gateway_failure: 0,
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: interval_d,
        base_ejection_time: base_d,
        max_ejection_time: None,
        max_ejection_percent: o.req("maxEjectionPercent")?.u32_in(0, 100)?,
        enforcing_success_rate: 100,
        healthy_panic_threshold: None,
    })
}
