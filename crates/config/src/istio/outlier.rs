//! `trafficPolicy.outlierDetection` → Envoy outlier detection, as istiod maps it
//! (`applyOutlierDetection` in `cluster_traffic_policy.go`, `cluster.go` before 1.10; the
//! release-dependent parts come from [`IstioCompat`], see `meshtwin_model::release`).
//!
//! - success-rate ejection is not enforced (`enforcing_success_rate: 0`; Istio ≥ 1.7) — up to
//!   1.6 Envoy's default enforces it;
//! - `consecutive5xxErrors` unset → Envoy's 5, enforced; set to v → v, enforced iff v > 0;
//! - `consecutiveGatewayErrors` unset → Envoy's 5, not enforced; set to v → v, enforced iff v > 0
//!   (both fields exist from Istio 1.5; earlier releases reject them);
//! - legacy `consecutiveErrors` is ignored from Istio 1.7, so the seed's `consecutiveErrors: 1`
//!   leaves Envoy's `consecutive_5xx: 5`; up to 1.6 `consecutiveErrors: n` (n > 0) means n
//!   consecutive *gateway* errors, enforced, with 5xx ejection off — the newer fields, when
//!   written too, override it;
//! - `interval` 10 s and `baseEjectionTime` 30 s by default; `maxEjectionPercent` only when
//!   > 0, else Envoy's 10; `max_ejection_time` never set;
//! - `minHealthPercent` (default 0) becomes the cluster's panic threshold — up to Istio 1.2
//!   only when > 0, else Envoy's 50 % applies.

use std::time::Duration;

use meshtwin_model::origin::{DefaultBy, Origin, Origins, Setting};
use meshtwin_model::policy::OutlierDetection;
use meshtwin_model::traffic::IstioCompat;

use crate::decode::{Obj, Result, Val};

/// Envoy's defaults for fields Istio leaves unset (`source/common/upstream/outlier_detection_impl.cc` `DetectorConfig`).
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

/// Lower one `outlierDetection` block as the Istio release of `compat` does; the origins
/// record the fields written and the defaults Istio and Envoy supply for the rest.
pub fn decode(v: &Val<'_>, compat: &IstioCompat) -> Result<(OutlierDetection, Origins)> {
    let od = v.map(OUTLIER_FIELDS)?;
    let out = decode_settings(&od, compat)?;
    Ok((out, origins(&od, compat)))
}

fn decode_settings(od: &Obj<'_>, compat: &IstioCompat) -> Result<OutlierDetection> {
    // Deprecated from Istio 1.5 (when the split fields arrived) and ignored from 1.7, but still
    // type-checked; Istio's validation warns (`validateOutlierDetection`).
    let legacy = od.opt("consecutiveErrors", |v| v.u32_in(0, u32::MAX))?;
    if let (Some(n), Some(v)) = (legacy, od.get("consecutiveErrors")) {
        if n != 0 && compat.split_consecutive_errors {
            v.warn(if compat.legacy_consecutive_errors {
                "deprecated: outlier detection consecutive errors, use consecutiveGatewayErrors \
                 or consecutive5xxErrors instead (the Istio release modelled, 1.5 or 1.6, still reads \
                 it as consecutive gateway errors; Istio ≥ 1.7 ignores it)"
            } else {
                "ignored: outlier detection consecutive errors is deprecated, use \
                 consecutiveGatewayErrors or consecutive5xxErrors instead (the Istio release \
                 modelled, ≥ 1.7, ignores it)"
            });
        }
    }
    if !compat.split_consecutive_errors {
        for field in ["consecutive5xxErrors", "consecutiveGatewayErrors"] {
            if let Some(f) = od.get(field) {
                return Err(f.error(format!(
                    "{field} does not exist before Istio 1.5 (the release modelled): use \
                     consecutiveErrors, or model Istio 1.5 or newer (mesh.istio)"
                )));
            }
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
    let enforced = |v: Option<u32>| v.map(|n| if n > 0 { 100 } else { 0 });
    // Istio ≤ 1.6: `consecutiveErrors` (n > 0) listens to gateway errors only.
    let legacy = legacy.filter(|n| compat.legacy_consecutive_errors && *n > 0);
    Ok(OutlierDetection {
        consecutive_5xx: Some(c5xx.unwrap_or(ENVOY_CONSECUTIVE)),
        enforcing_consecutive_5xx: enforced(c5xx).unwrap_or(if legacy.is_some() { 0 } else { 100 }),
        consecutive_gateway_failure: Some(gateway.or(legacy).unwrap_or(ENVOY_CONSECUTIVE)),
        enforcing_consecutive_gateway_failure: enforced(gateway.or(legacy)).unwrap_or(0),
        consecutive_local_origin_failure: split
            .then(|| local.filter(|n| *n > 0).unwrap_or(ENVOY_CONSECUTIVE)),
        split_external_local_origin_errors: split,
        interval: interval.unwrap_or(ENVOY_INTERVAL),
        base_ejection_time: base.unwrap_or(ENVOY_BASE_EJECTION),
        max_ejection_time: None,
        max_ejection_percent: max_pct
            .filter(|p| *p > 0)
            .unwrap_or(ENVOY_MAX_EJECTION_PERCENT),
        enforcing_success_rate: if compat.success_rate_enforced { 100 } else { 0 },
        healthy_panic_threshold: if compat.legacy_panic_threshold {
            min_health.filter(|p| *p > 0)
        } else {
            Some(min_health.unwrap_or(0))
        },
    })
}

/// Where each lowered field came from: written, or Envoy's default (Istio leaves the field
/// unset), or Istio's (the panic threshold).
fn origins(od: &Obj<'_>, compat: &IstioCompat) -> Origins {
    let envoy = |field: &str, value: &str| Origin::default_of(DefaultBy::Envoy, field, value);
    let (c5xx, gateway) = consecutive_origins(od, compat);
    let panic = if compat.legacy_panic_threshold {
        envoy("minHealthPercent", "50").with_note("Istio ≤ 1.2 leaves Envoy's 50 % unless > 0")
    } else {
        Origin::default_of(DefaultBy::Istio, "minHealthPercent", "0")
            .with_note("panic threshold 0 %: panic mode off")
    };
    let entries = [
        (Setting::Consecutive5xx, "consecutive5xxErrors", c5xx),
        (
            Setting::ConsecutiveGatewayFailure,
            "consecutiveGatewayErrors",
            gateway,
        ),
        (
            Setting::OutlierInterval,
            "interval",
            envoy("interval", &format!("{}s", ENVOY_INTERVAL.as_secs())),
        ),
        (
            Setting::BaseEjectionTime,
            "baseEjectionTime",
            envoy(
                "baseEjectionTime",
                &format!("{}s", ENVOY_BASE_EJECTION.as_secs()),
            ),
        ),
        (
            Setting::MaxEjectionPercent,
            "maxEjectionPercent",
            envoy(
                "maxEjectionPercent",
                &ENVOY_MAX_EJECTION_PERCENT.to_string(),
            ),
        ),
        (Setting::HealthyPanicThreshold, "minHealthPercent", panic),
    ];
    let mut out = Origins::default();
    for (setting, key, default) in entries {
        out.set(setting, od.origin(key).unwrap_or(default));
    }
    if let Some(o) = od.origin("consecutiveLocalOriginFailures") {
        out.set(Setting::ConsecutiveLocalOriginFailure, o);
    } else if od
        .get("splitExternalLocalOriginErrors")
        .is_some_and(|v| v.bool() == Ok(true))
    {
        let default = envoy("consecutiveLocalOriginFailures", "5");
        out.set(Setting::ConsecutiveLocalOriginFailure, default);
    }
    if od
        .get("maxEjectionPercent")
        .is_some_and(|v| v.int().ok() == Some(0))
    {
        let default = envoy(
            "maxEjectionPercent",
            &ENVOY_MAX_EJECTION_PERCENT.to_string(),
        )
        .with_note("a written 0 is ignored by Istio");
        out.set(Setting::MaxEjectionPercent, default);
    }
    out
}

/// Where the two consecutive-error thresholds came from, with Istio ≤ 1.6's legacy
/// `consecutiveErrors` noted on both.
fn consecutive_origins(od: &Obj<'_>, compat: &IstioCompat) -> (Origin, Origin) {
    let envoy = |field: &str, value: &str| Origin::default_of(DefaultBy::Envoy, field, value);
    let mut c5xx = envoy("consecutive5xxErrors", &ENVOY_CONSECUTIVE.to_string());
    let mut gateway = envoy("consecutiveGatewayErrors", "5").with_note("not enforced");
    // Istio ≤ 1.6: a legacy `consecutiveErrors: n` (n > 0) is the gateway-error threshold,
    // and 5xx ejection is off.
    let legacy_live = compat.legacy_consecutive_errors
        && od
            .get("consecutiveErrors")
            .is_some_and(|v| v.int().is_ok_and(|n| n > 0));
    if let Some(legacy) = od.get("consecutiveErrors") {
        if legacy_live {
            c5xx = c5xx.with_note(format!(
                "not enforced: consecutiveErrors at {}:{} means gateway errors before Istio 1.7",
                legacy.ctx.file,
                legacy.line()
            ));
            if let Some(o) = od.origin("consecutiveErrors") {
                gateway =
                    o.with_note("Istio ≤ 1.6 counts consecutive gateway errors (502, 503, 504)");
            }
        } else {
            c5xx = c5xx.with_note(format!(
                "consecutiveErrors: {} at {}:{} is ignored by Istio since 1.7",
                legacy.node.value.text(),
                legacy.ctx.file,
                legacy.line()
            ));
        }
    }
    (c5xx, gateway)
}
