//! `trafficPolicy.connectionPool` → [`PoolSettings`] (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`, Istio `getDefaultCircuitBreakerThresholds`, `source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase`, istiod `pilot/pkg/networking/core/` sidecar listeners).
//!
//! Istio starts every cluster from unlimited thresholds (2^32−1), `connectTimeout` 10 s and an
//! idle timeout of 1 h, and overrides a threshold only when the DestinationRule's value is
//! `> 0`. Istio silently ignores a 0; meshtwin rejects 0 and negative values (`must be > 0`)
//! because a user who wrote one almost certainly meant something else.

use std::time::Duration;

use meshtwin_model::origin::{defaults, Origins, Setting};
use meshtwin_model::policy::PoolSettings;

use crate::decode::{Obj, Result, Val};

/// Istio's connection-pool integers are `int32`.
const INT32_MAX: u32 = i32::MAX as u32;

const POOL_FIELDS: &[&str] = &["tcp", "http"];
const TCP_FIELDS: &[&str] = &[
    "maxConnections",
    "connectTimeout",
    "tcpKeepalive",
    "maxConnectionDuration",
    "idleTimeout",
];
const KEEPALIVE_FIELDS: &[&str] = &["probes", "time", "interval"];
const HTTP_FIELDS: &[&str] = &[
    "http1MaxPendingRequests",
    "http2MaxRequests",
    "maxRequestsPerConnection",
    "maxRetries",
    "idleTimeout",
    "h2UpgradePolicy",
    "useClientProtocol",
    "maxConcurrentStreams",
];

/// Lower one `connectionPool` block over Istio's defaults; the origins record the fields
/// written and Istio's defaults for the rest.
///
/// Parsed and validated but not represented in the model (no effect on the twin yet):
/// `tcp.tcpKeepalive`, `tcp.maxConnectionDuration`, `tcp.idleTimeout` (opaque TCP only) and
/// `http.useClientProtocol`.
pub fn decode(v: &Val<'_>) -> Result<(PoolSettings, Origins)> {
    let pool = v.map(POOL_FIELDS)?;
    let out = decode_settings(&pool)?;
    let mut origins = defaults::istio_pool();
    let mut record = |block: &str, key: &str, setting: Setting| -> Result<()> {
        if let Some(b) = pool.get(block) {
            if let Some(o) = b
                .map(if block == "tcp" {
                    TCP_FIELDS
                } else {
                    HTTP_FIELDS
                })?
                .origin(key)
            {
                origins.set(setting, o);
            }
        }
        Ok(())
    };
    record("tcp", "maxConnections", Setting::MaxConnections)?;
    record("tcp", "connectTimeout", Setting::ConnectTimeout)?;
    record(
        "http",
        "http1MaxPendingRequests",
        Setting::MaxPendingRequests,
    )?;
    record("http", "http2MaxRequests", Setting::MaxRequests)?;
    record("http", "maxRetries", Setting::MaxRetries)?;
    record(
        "http",
        "maxRequestsPerConnection",
        Setting::MaxRequestsPerConnection,
    )?;
    Ok((out, origins))
}

fn decode_settings(pool: &Obj<'_>) -> Result<PoolSettings> {
    let mut out = PoolSettings::istio_default();
    if let Some(tcp) = pool.get("tcp") {
        let tcp = tcp.map(TCP_FIELDS)?;
        if let Some(n) = tcp.opt("maxConnections", |v| v.positive_u32(INT32_MAX))? {
            out.thresholds.max_connections = u64::from(n);
        }
        if let Some(d) = tcp.opt("connectTimeout", Val::positive_duration)? {
            out.connect_timeout = d;
        }
        if let Some(k) = tcp.ignored("tcpKeepalive", "no TCP keepalive probes are sent") {
            let k = k.map(KEEPALIVE_FIELDS)?;
            k.opt("probes", |v| v.positive_u32(INT32_MAX))?;
            k.opt("time", Val::positive_duration)?;
            k.opt("interval", Val::positive_duration)?;
        }
        if let Some(d) = tcp.ignored(
            "maxConnectionDuration",
            "connections are not closed when they reach a maximum age",
        ) {
            d.positive_duration()?;
        }
        if let Some(d) = tcp.ignored(
            "idleTimeout",
            "idle TCP connections are not closed (the HTTP idleTimeout is modelled)",
        ) {
            d.duration()?;
        }
    }
    if let Some(http) = pool.get("http") {
        let http = http.map(HTTP_FIELDS)?;
        if let Some(n) = http.opt("http1MaxPendingRequests", |v| v.positive_u32(INT32_MAX))? {
            out.thresholds.max_pending_requests = u64::from(n);
        }
        if let Some(n) = http.opt("http2MaxRequests", |v| v.positive_u32(INT32_MAX))? {
            out.thresholds.max_requests = u64::from(n);
        }
        if let Some(n) = http.opt("maxRetries", |v| v.positive_u32(INT32_MAX))? {
            out.thresholds.max_retries = u64::from(n);
        }
        if let Some(n) = http.opt("maxRequestsPerConnection", |v| v.positive_u32(INT32_MAX))? {
            out.max_requests_per_connection = Some(n);
        }
        if let Some(d) = http.opt("idleTimeout", Val::duration)? {
            // `0s` disables the idle timeout.
            out.idle_timeout = (d > Duration::ZERO).then_some(d);
        }
        if let Some(p) = http.opt("h2UpgradePolicy", |v| {
            v.one_of(&["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"])
        })? {
            // DEFAULT follows the mesh setting, whose default is DO_NOT_UPGRADE.
            out.h2_upgrade = p == "UPGRADE";
        }
        if let Some(u) = http.ignored(
            "useClientProtocol",
            "the upstream protocol follows the service port and h2UpgradePolicy, not the client",
        ) {
            u.bool()?;
        }
        if let Some(n) = http.opt("maxConcurrentStreams", |v| v.positive_u32(INT32_MAX))? {
            out.max_concurrent_streams = Some(n);
        }
    }
    Ok(out)
}
