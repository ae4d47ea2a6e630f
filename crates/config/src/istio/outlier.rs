//! `trafficPolicy.outlierDetection` → Envoy outlier detection, as current Istio maps it
//! (spec §3.8; `applyOutlierDetection`).
//!
//! - success-rate ejection is never enforced (`enforcing_success_rate: 0`);
//! - `consecutive5xxErrors` unset → Envoy's 5, enforced; set to v → v, enforced iff v > 0;
//! - `consecutiveGatewayErrors` unset → Envoy's 5, not enforced; set to v → v, enforced iff v > 0;
//! - legacy `consecutiveErrors` is ignored (Istio ≥ 1.7), so the seed's `consecutiveErrors: 1`
//!   leaves Envoy's `consecutive_5xx: 5`;
//! - `interval` 10 s and `baseEjectionTime` 30 s by default; `maxEjectionPercent` only when
//!   > 0, else Envoy's 10; `max_ejection_time` never set;
//! - `minHealthPercent` (default 0) becomes the cluster's panic threshold.

use std::time::Duration;

use meshtwin_model::policy::OutlierDetection;

use crate::decode::{Result, Val};

/// Envoy's defaults for fields Istio leaves unset (spec §3.1).
const ENVOY_CONSECUTIVE: u32 = 5;
const ENVOY_INTERVAL: Duration = Duration::from_secs(10);
const ENVOY_BASE_EJECTION: Duration = Duration::from_secs(30);
const ENVOY_MAX_EJECTION_PERCENT: u32 = 10;

const OUTLIER_FIELDS: &[&str] = &[
    "consecutiveErrors",
    "consecutive5xxErrors",
    "consecutiveGatewayErrors",
    "consecutiveLocalOriginFailures",
    "splitExternalLocalOriginErrors",
    "interval",
    "baseEjectionTime",
    "maxEjectionPercent",
    "minHealthPercent",
];

/// Lower one `outlierDetection` block.
pub fn decode(v: &Val<'_>) -> Result<OutlierDetection> {
    let od = v.map(OUTLIER_FIELDS)?;
    // Istio's validation warns (`validateOutlierDetection`) and istiod ignores the field.
    if let Some(v) = od.get("consecutiveErrors") {
        if v.u32_in(0, u32::MAX)? != 0 {
            v.warn(
                "ignored: outlier detection consecutive errors is deprecated, use \
                 consecutiveGatewayErrors or consecutive5xxErrors instead (Istio ≥ 1.7 ignores it)",
            );
        }
    }
    let c5xx = od.opt("consecutive5xxErrors", |v| v.u32_in(0, u32::MAX))?;
    let gateway = od.opt("consecutiveGatewayErrors", |v| v.u32_in(0, u32::MAX))?;
    let local = od.opt("consecutiveLocalOriginFailures", |v| v.u32_in(0, u32::MAX))?;
    let split = od
        .opt("splitExternalLocalOriginErrors", Val::bool)?
        .unwrap_or(false);
    if local.is_some() && !split {
        let v = od.req("consecutiveLocalOriginFailures")?;
        return Err(v.error(
            "consecutive local origin failures is specified, but split external local origin \
             errors is set to false",
        ));
    }
    let interval = od.opt("interval", Val::positive_duration)?;
    let base = od.opt("baseEjectionTime", Val::positive_duration)?;
    let max_pct = od.opt("maxEjectionPercent", |v| v.u32_in(0, 100))?;
    let min_health = od.opt("minHealthPercent", |v| v.u32_in(0, 100))?;
    let enforced = |v: Option<u32>, default: u32| match v {
        Some(0) => 0,
        Some(_) => 100,
        None => default,
    };
    Ok(OutlierDetection {
        consecutive_5xx: Some(c5xx.unwrap_or(ENVOY_CONSECUTIVE)),
        enforcing_consecutive_5xx: enforced(c5xx, 100),
        consecutive_gateway_failure: Some(gateway.unwrap_or(ENVOY_CONSECUTIVE)),
        enforcing_consecutive_gateway_failure: enforced(gateway, 0),
        consecutive_local_origin_failure: split
            .then(|| local.filter(|n| *n > 0).unwrap_or(ENVOY_CONSECUTIVE)),
        split_external_local_origin_errors: split,
        interval: interval.unwrap_or(ENVOY_INTERVAL),
        base_ejection_time: base.unwrap_or(ENVOY_BASE_EJECTION),
        max_ejection_time: None,
        max_ejection_percent: max_pct
            .filter(|p| *p > 0)
            .unwrap_or(ENVOY_MAX_EJECTION_PERCENT),
        enforcing_success_rate: 0,
        healthy_panic_threshold: Some(min_health.unwrap_or(0)),
    })
}
