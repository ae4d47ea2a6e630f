//! Where a listener's lowered settings came from: its `connectionPool` thresholds (App Mesh's
//! default 2147483647 where unset), `healthCheck` and `outlierDetection` fields (Envoy's
//! defaults for what App Mesh does not expose). Read after [`super::listener::lower`] has
//! validated the listener.

use meshtwin_model::origin::{defaults, DefaultBy, Origin, Origins, Setting};

use crate::decode::{Result, Val};
use crate::source::Value;

/// A present field of a validated mapping.
fn field<'a>(v: &Val<'a>, key: &str) -> Result<Option<Val<'a>>> {
    Ok(v.entries()?
        .into_iter()
        .find(|(k, x)| *k == key && x.node.value != Value::Null)
        .map(|(_, x)| x))
}

/// The origins of one listener (`v`, the `listeners[i]` mapping).
pub fn origins(v: &Val<'_>) -> Result<Origins> {
    let mut out = defaults::appmesh_pool();
    if let Some(pool) = field(v, "connectionPool")? {
        for (_, block) in pool.entries()? {
            for (key, setting) in [
                ("maxConnections", Setting::MaxConnections),
                ("maxPendingRequests", Setting::MaxPendingRequests),
                ("maxRequests", Setting::MaxRequests),
            ] {
                if let Some(x) = field(&block, key)? {
                    out.set(setting, x.origin());
                }
            }
        }
    }
    if let Some(h) = field(v, "healthCheck")? {
        for (key, setting) in [
            ("intervalMillis", Setting::HealthCheckInterval),
            ("timeoutMillis", Setting::HealthCheckTimeout),
            ("healthyThreshold", Setting::HealthyThreshold),
            ("unhealthyThreshold", Setting::UnhealthyThreshold),
            ("path", Setting::HealthCheckPath),
        ] {
            if let Some(x) = field(&h, key)? {
                out.set(setting, x.origin());
            }
        }
    }
    if let Some(o) = field(v, "outlierDetection")? {
        for (key, setting) in [
            ("maxServerErrors", Setting::Consecutive5xx),
            ("interval", Setting::OutlierInterval),
            ("baseEjectionDuration", Setting::BaseEjectionTime),
            ("maxEjectionPercent", Setting::MaxEjectionPercent),
        ] {
            if let Some(x) = field(&o, key)? {
                out.set(setting, x.origin());
            }
        }
        let envoy = |field: &str, value: &str| Origin::default_of(DefaultBy::Envoy, field, value);
        out.set(
            Setting::ConsecutiveGatewayFailure,
            envoy("consecutive_gateway_failure", "5").with_note("not enforced"),
        );
        out.set(
            Setting::HealthyPanicThreshold,
            envoy("healthy_panic_threshold", "50 %"),
        );
    }
    Ok(out)
}
