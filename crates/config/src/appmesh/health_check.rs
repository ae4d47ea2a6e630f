//! A listener's `healthCheck` → [`HealthCheck`] (spec §5.5). Ranges from the App Mesh API's
//! `HealthCheckPolicy`: interval 5–300 s, timeout 2–60 s, thresholds 2–10; `path` only for
//! http / http2. Clients run the check on their egress clusters for this node.

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
pub fn decode(v: &Val<'_>, kind: AppMeshKind) -> Result<HealthCheck> {
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
