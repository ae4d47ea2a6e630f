//! `UH`: why the cluster had no healthy host at the time — every host ejected by outlier
//! detection, failed active health checks, or no endpoints — from the endpoint view then.

use meshtwin_model::origin::Setting;

use super::{pool_settings, service_of, simple, values, with, Facts};
use crate::endpoints::endpoint_view;
use crate::explain::index::TraceIndex;
use crate::explain::{Diagnosis, Hop};

/// `UH`: why the cluster had no healthy host at the time (the endpoint view then).
pub(super) fn no_healthy(f: &Facts<'_, '_>) -> Diagnosis {
    let (idx, hop, cluster) = (f.idx, f.hop, f.cluster.as_ref());
    let at = hop.t_ms - hop.duration_ms;
    let rows: Vec<_> = endpoint_view(idx.events, at)
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
        let reason = ejection_reason(idx, hop, &ejected, at);
        let trip = match reason.as_str() {
            "consecutive_gateway_failure" => Setting::ConsecutiveGatewayFailure,
            "consecutive_local_origin_failure" => Setting::ConsecutiveLocalOriginFailure,
            _ => Setting::Consecutive5xx,
        };
        let s = pool_settings(
            cluster,
            &[
                trip,
                Setting::BaseEjectionTime,
                Setting::OutlierInterval,
                Setting::MaxEjectionPercent,
                Setting::HealthyPanicThreshold,
            ],
        );
        return Diagnosis {
            hosts: ejected.clone(),
            ..with(
                format!(
                    "no healthy upstream (UH): {svc} ejected by outlier detection{} — {} had no \
                     host of {} in rotation ({} ejected after {reason})",
                    values(&s[..s.len().min(2)]),
                    hop.proxy,
                    hop.cluster,
                    ejected.join(", ")
                ),
                s,
            )
        };
    }
    if !unhealthy.is_empty() {
        let s = pool_settings(
            cluster,
            &[
                Setting::UnhealthyThreshold,
                Setting::HealthCheckInterval,
                Setting::HealthCheckTimeout,
                Setting::HealthCheckPath,
                Setting::HealthyThreshold,
            ],
        );
        return Diagnosis {
            hosts: unhealthy.clone(),
            ..with(
                format!(
                    "no healthy upstream (UH): {svc} failed active health checks{} — {} had no \
                     healthy host of {} ({} unhealthy)",
                    values(&s[..s.len().min(2)]),
                    hop.proxy,
                    hop.cluster,
                    unhealthy.join(", ")
                ),
                s,
            )
        };
    }
    simple(format!(
        "no healthy upstream (UH): {} found no healthy host of {} to send to",
        hop.proxy, hop.cluster
    ))
}

/// The ejection type of the latest ejection of one of `hosts` at or before `at`.
fn ejection_reason(idx: &TraceIndex<'_>, hop: &Hop, hosts: &[String], at: f64) -> String {
    idx.outlier
        .get(&(hop.proxy.clone(), hop.cluster.clone()))
        .and_then(|v| {
            v.iter()
                .rev()
                .find(|e| e.t_ms <= at && e.action == "ejected" && hosts.contains(&e.host))
        })
        .map_or_else(|| "an ejection".to_string(), |e| e.reason.clone())
}
