//! A listener's `healthCheck` → [`HealthCheck`] (App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh)). Ranges from the App Mesh API's
//! `HealthCheckPolicy`: interval 5–300 s, timeout 2–60 s, thresholds 2–10; `port` must match
//! the listener's port mapping. `path` is used only by http / http2 checks ("for any other
//! protocol, this value is ignored"); the API marks it optional, but Envoy's
//! `http_health_check.path` must be non-empty and App Mesh's default is not documented, so the
//! twin requires it for http / http2. Clients run the check on their egress clusters for this
//! node.

use std::time::Duration;

use meshtwin_model::policy::{AppMeshKind, HealthCheck};

use super::listener::{protocol, protocols};
use crate::decode::{Result, Val};

const HEALTH_FIELDS: &[&str] = &[
    "protocol",
    "path",
    "port",
    "intervalMillis",
    "timeoutMillis",
    "healthyThreshold",
    "unhealthyThreshold",
];

/// Decode a `healthCheck` of a virtual node's or gateway's listener.
/// `listener_port`: the listener's `portMapping.port`.
pub fn decode(v: &Val<'_>, kind: AppMeshKind, listener_port: u16) -> Result<HealthCheck> {
    let h = v.map(HEALTH_FIELDS)?;
    let proto = h.req("protocol")?.one_of(protocols(kind))?;
    let path = match proto {
        "http" | "http2" => match h.get("path") {
            Some(p) => Some(p.name()?.to_string()),
            None => {
                return Err(h.error(format!(
                    "missing field `path` (required for {proto} health checks)"
                )))
            }
        },
        // The API: "for any other protocol, this value is ignored".
        _ => None,
    };
    if let Some(p) = h.get("path") {
        p.name()?;
    }
    if let Some(p) = h.get("port") {
        let port = p.int_in(1, 65535)?;
        if port != i64::from(listener_port) {
            return Err(p.error(format!(
                "must match the listener's portMapping.port {listener_port}"
            )));
        }
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
