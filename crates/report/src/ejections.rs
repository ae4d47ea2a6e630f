//! Ejected intervals per host, from the trace: outlier detection's `ejected` → `unejected`
//! (spec §3.5) and active health checking's `unhealthy` → `healthy` (spec §5). A host removed
//! from its cluster's endpoint set while out of rotation ends its interval there (reason
//! `removed`), as the endpoint view forgets it.

use std::collections::BTreeMap;

use meshtwin_model::event::{EventKind, HealthAction, OutlierAction, TraceEvent};
use serde::Serialize;

/// What took a host out of rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Outlier detection ejected it (`FAILED_OUTLIER_CHECK`).
    Outlier,
    /// An active health check marked it unhealthy (`FAILED_ACTIVE_HC`).
    HealthCheck,
}

/// One interval a host spent out of rotation on one proxy's cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ejection {
    pub proxy: String,
    pub cluster: String,
    pub host: String,
    pub source: Source,
    pub ejected_at_ms: f64,
    /// `None` while still out at the end of the trace.
    pub unejected_at_ms: Option<f64>,
    /// Envoy's ejection type (`consecutive_5xx`, ...) or the health check's reason.
    pub reason: String,
    /// What ended it (the unejection cause, `healthy`'s reason, or `removed`).
    pub end_reason: Option<String>,
}

type HostKey = (String, String, String, Source);

/// Every interval, sorted by proxy, cluster, host, source and start.
pub fn ejections(events: &[TraceEvent]) -> Vec<Ejection> {
    let mut open: BTreeMap<HostKey, Ejection> = BTreeMap::new();
    let mut done = Vec::new();
    let mut close = |e: Ejection, t: f64, why: &str| {
        done.push(Ejection {
            unejected_at_ms: Some(t),
            end_reason: Some(why.to_string()),
            ..e
        })
    };
    for e in events {
        let (proxy, cluster, host, source, starts, reason) = match &e.kind {
            EventKind::Outlier {
                proxy,
                cluster,
                host,
                action,
                reason,
                ..
            } => match action {
                OutlierAction::Ejected => {
                    (proxy, cluster, host, Source::Outlier, true, reason.as_str())
                }
                OutlierAction::Unejected => (
                    proxy,
                    cluster,
                    host,
                    Source::Outlier,
                    false,
                    reason.as_str(),
                ),
                OutlierAction::NotEnforced | OutlierAction::Overflow => continue,
            },
            EventKind::HealthCheck {
                proxy,
                cluster,
                host,
                action,
                reason,
            } => match action {
                HealthAction::Unhealthy => (
                    proxy,
                    cluster,
                    host,
                    Source::HealthCheck,
                    true,
                    reason.as_str(),
                ),
                HealthAction::Healthy => (
                    proxy,
                    cluster,
                    host,
                    Source::HealthCheck,
                    false,
                    reason.as_str(),
                ),
            },
            EventKind::Endpoints {
                proxy,
                cluster,
                endpoints,
            } => {
                let gone: Vec<HostKey> = open
                    .keys()
                    .filter(|(p, c, h, _)| {
                        p == proxy && c == cluster && !endpoints.iter().any(|ep| &ep.host == h)
                    })
                    .cloned()
                    .collect();
                for k in gone {
                    if let Some(x) = open.remove(&k) {
                        close(x, e.t_ms, "removed");
                    }
                }
                continue;
            }
            _ => continue,
        };
        let key = (proxy.clone(), cluster.clone(), host.clone(), source);
        if starts {
            open.entry(key).or_insert_with(|| Ejection {
                proxy: proxy.clone(),
                cluster: cluster.clone(),
                host: host.clone(),
                source,
                ejected_at_ms: e.t_ms,
                unejected_at_ms: None,
                reason: reason.to_string(),
                end_reason: None,
            });
        } else if let Some(x) = open.remove(&key) {
            close(x, e.t_ms, reason);
        }
    }
    done.extend(open.into_values());
    done.sort_by(|a, b| {
        (&a.proxy, &a.cluster, &a.host, a.source)
            .cmp(&(&b.proxy, &b.cluster, &b.host, b.source))
            .then(a.ejected_at_ms.total_cmp(&b.ejected_at_ms))
    });
    done
}

/// Whether the trace has any outlier or health-check event (the ejections plot is drawn).
pub fn has_host_health_events(events: &[TraceEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Outlier { .. } | EventKind::HealthCheck { .. }
        )
    })
}

/// One lane of the ejections plot: a (proxy, cluster, host) and its intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lane {
    /// `proxy → cluster → host`.
    pub name: String,
    pub intervals: Vec<Ejection>,
}

/// The lanes of [`ejections`], one per (proxy, cluster, host) with at least one interval, in
/// that order.
pub fn lanes(ejections: &[Ejection]) -> Vec<Lane> {
    let mut out: Vec<Lane> = Vec::new();
    for e in ejections {
        let name = format!("{} → {} → {}", e.proxy, e.cluster, e.host);
        match out.last_mut() {
            Some(l) if l.name == name => l.intervals.push(e.clone()),
            _ => out.push(Lane {
                name,
                intervals: vec![e.clone()],
            }),
        }
    }
    out
}

#[cfg(test)]
#[path = "ejections_tests.rs"]
mod tests;
