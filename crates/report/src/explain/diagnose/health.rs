//! `UH`: why the cluster had no healthy host at the time — every host ejected by outlier
//! detection, failed active health checks, or no endpoints — from the endpoint view then.

use meshtwin_model::event::{OutlierAction, OutlierReason};
use meshtwin_model::origin::Setting;

use super::{pool_settings, service_of, simple, values, with, Facts};
use crate::endpoints::endpoint_view;
use crate::explain::index::TraceIndex;
use crate::explain::{Diagnosis, Hop};

/// `UH`: why the cluster had no healthy host at the time (the endpoint view then).
pub(super) fn no_healthy(f: &Facts<'_>) -> Diagnosis {
    let (idx, hop) = (f.idx, f.hop);
    let at = hop.t_ms - hop.duration_ms;
    let rows: Vec<_> = endpoint_view(&idx.host_events, at)
        .into_iter()
        .filter(|r| r.proxy == hop.proxy && r.cluster == hop.cluster)
        .collect();
    let svc = service_of(&hop.cluster);
    let ejected: Vec<String> = rows
        .iter()
        .filter(|r| r.failed_outlier_check)
        .map(|r| r.host.clone())
        .collect();
    let unhealthy: Vec<String> = rows
        .iter()
        .filter(|r| r.failed_active_hc)
        .map(|r| r.host.clone())
        .collect();
    if rows.is_empty() {
        return simple(format!(
            "no healthy upstream (UH): {} had no endpoints for {} — no host of {svc} was known",
            hop.proxy, hop.cluster
        ));
    }
    if !ejected.is_empty() {
        return by_outlier_detection(f, &svc, ejected, at);
    }
    if !unhealthy.is_empty() {
        return by_health_checks(f, &svc, unhealthy);
    }
    simple(format!(
        "no healthy upstream (UH): {} found no healthy host of {} to send to",
        hop.proxy, hop.cluster
    ))
}

/// Every host was ejected: the detector's settings, the one that tripped first.
fn by_outlier_detection(f: &Facts<'_>, svc: &str, ejected: Vec<String>, at: f64) -> Diagnosis {
    let hop = f.hop;
    let reason = ejection_reason(f.idx, hop, &ejected, at);
    let trip = match reason {
        Some(OutlierReason::ConsecutiveGatewayFailure) => Setting::ConsecutiveGatewayFailure,
        Some(OutlierReason::ConsecutiveLocalOriginFailure) => {
            Setting::ConsecutiveLocalOriginFailure
        }
        _ => Setting::Consecutive5xx,
    };
    let reason = reason.map_or("an ejection", OutlierReason::as_str);
    let s = pool_settings(
        f.cluster.as_ref(),
        &[
            trip,
            Setting::BaseEjectionTime,
            Setting::OutlierInterval,
            Setting::MaxEjectionPercent,
            Setting::HealthyPanicThreshold,
        ],
    );
    let text = format!(
        "no healthy upstream (UH): {svc} ejected by outlier detection{} — {} had no host of {} \
         in rotation ({} ejected after {reason})",
        values(&s[..s.len().min(2)]),
        hop.proxy,
        hop.cluster,
        ejected.join(", ")
    );
    Diagnosis {
        hosts: ejected,
        ..with(text, s)
    }
}

/// Every host failed active health checks: the checker's settings.
fn by_health_checks(f: &Facts<'_>, svc: &str, unhealthy: Vec<String>) -> Diagnosis {
    let hop = f.hop;
    let s = pool_settings(
        f.cluster.as_ref(),
        &[
            Setting::UnhealthyThreshold,
            Setting::HealthCheckInterval,
            Setting::HealthCheckTimeout,
            Setting::HealthCheckPath,
            Setting::HealthyThreshold,
        ],
    );
    let text = format!(
        "no healthy upstream (UH): {svc} failed active health checks{} — {} had no healthy \
         host of {} ({} unhealthy)",
        values(&s[..s.len().min(2)]),
        hop.proxy,
        hop.cluster,
        unhealthy.join(", ")
    );
    Diagnosis {
        hosts: unhealthy,
        ..with(text, s)
    }
}

/// The ejection type of the latest ejection of one of `hosts` at or before `at`.
fn ejection_reason(
    idx: &TraceIndex,
    hop: &Hop,
    hosts: &[String],
    at: f64,
) -> Option<OutlierReason> {
    idx.outlier
        .get(&(hop.proxy.clone(), hop.cluster.clone()))
        .and_then(|v| {
            v.iter().rev().find(|e| {
                e.t_ms <= at && e.action == OutlierAction::Ejected && hosts.contains(&e.host)
            })
        })
        .map(|e| e.reason)
}
