//! A virtual node listener's `outlierDetection` → Envoy outlier detection on every client's
//! egress cluster for the node (App Mesh listener `outlierDetection` (docs/guide.md, App Mesh)): `maxServerErrors` → `consecutive_5xx` (enforced),
//! `interval`, `baseEjectionDuration`, `maxEjectionPercent`. Fields App Mesh does not expose
//! keep Envoy's defaults (gateway failures not enforced, success rate enforced, panic
//! threshold 50 %).

use std::time::Duration;

use meshtwin_model::policy::OutlierDetection;

use super::listener::INT_MAX;
use crate::decode::{Result, Val};

const OUTLIER_FIELDS: &[&str] = &[
    "maxServerErrors",
    "interval",
    "baseEjectionDuration",
    "maxEjectionPercent",
];
const DURATION_FIELDS: &[&str] = &["unit", "value"];

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

/// Decode an `outlierDetection` block.
pub fn decode(v: &Val<'_>) -> Result<OutlierDetection> {
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
