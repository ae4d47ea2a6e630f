//! Ejected intervals per host, from the trace: outlier detection's `ejected` → `unejected`
//! (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`) and active health checking's `unhealthy` → `healthy` (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`). A host removed
//! from its cluster's endpoint set while out of rotation ends its interval there (reason
//! `removed`), as the endpoint view forgets it.

use std::collections::BTreeMap;

use meshtwin_model::event::{EndpointInfo, EventKind, HealthAction, OutlierAction, TraceEvent};
use meshtwin_model::trace::EventSource;
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

/// The open intervals of `proxy`'s `cluster` whose host is no longer in `endpoints`.
fn removed(
    open: &BTreeMap<HostKey, Ejection>,
    proxy: &str,
    cluster: &str,
    endpoints: &[EndpointInfo],
) -> Vec<HostKey> {
    open.keys()
        .filter(|(p, c, h, _)| {
            p == proxy && c == cluster && !endpoints.iter().any(|ep| &ep.host == h)
        })
        .cloned()
        .collect()
}

/// The host an outlier or health-check event concerns, whether it takes the host out of
/// rotation (`true`) or brings it back, and why; `None` for any other event (and for
/// detections that were not enforced).
fn transition(kind: &EventKind) -> Option<(HostKey, bool, &str)> {
    let (proxy, cluster, host, source, starts, reason) = match kind {
        EventKind::Outlier {
            proxy,
            cluster,
            host,
            action,
            reason,
            ..
        } => {
            let starts = match action {
                OutlierAction::Ejected => true,
                OutlierAction::Unejected => false,
                OutlierAction::NotEnforced | OutlierAction::Overflow => return None,
            };
            (
                proxy,
                cluster,
                host,
                Source::Outlier,
                starts,
                reason.as_str(),
            )
        }
        EventKind::HealthCheck {
            proxy,
            cluster,
            host,
            action,
            reason,
        } => {
            let starts = *action == HealthAction::Unhealthy;
            (
                proxy,
                cluster,
                host,
                Source::HealthCheck,
                starts,
                reason.as_str(),
            )
        }
        _ => return None,
    };
    let key = (proxy.clone(), cluster.clone(), host.clone(), source);
    Some((key, starts, reason))
}

/// Every interval, sorted by proxy, cluster, host, source and start.
pub fn ejections(events: &(impl EventSource + ?Sized)) -> Vec<Ejection> {
    let mut found = Ejections::default();
    for e in events.events() {
        found.visit(&e);
    }
    found.finish()
}

/// [`ejections`] built in one walk shared with other consumers: [`Ejections::visit`] each
/// event in order, then [`Ejections::finish`].
#[derive(Debug, Default)]
pub struct Ejections {
    open: BTreeMap<HostKey, Ejection>,
    done: Vec<Ejection>,
    /// Whether any outlier or health-check event was seen ([`has_host_health_events`]).
    pub any_host_health: bool,
}

impl Ejections {
    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        self.any_host_health |= matches!(
            e.kind,
            EventKind::Outlier { .. } | EventKind::HealthCheck { .. }
        );
        if let EventKind::Endpoints {
            proxy,
            cluster,
            endpoints,
        } = &e.kind
        {
            for k in removed(&self.open, proxy, cluster, endpoints) {
                if let Some(x) = self.open.remove(&k) {
                    self.close(x, e.t_ms, "removed");
                }
            }
            return;
        }
        let Some((key, starts, reason)) = transition(&e.kind) else {
            return;
        };
        if starts {
            let (proxy, cluster, host, source) = key.clone();
            self.open.entry(key).or_insert_with(|| Ejection {
                proxy,
                cluster,
                host,
                source,
                ejected_at_ms: e.t_ms,
                unejected_at_ms: None,
                reason: reason.to_string(),
                end_reason: None,
            });
        } else if let Some(x) = self.open.remove(&key) {
            self.close(x, e.t_ms, reason);
        }
    }

    fn close(&mut self, e: Ejection, t: f64, why: &str) {
        self.done.push(Ejection {
            unejected_at_ms: Some(t),
            end_reason: Some(why.to_string()),
            ..e
        })
    }

    /// Every interval, sorted by proxy, cluster, host, source and start.
    pub fn finish(self) -> Vec<Ejection> {
        let mut done = self.done;
        done.extend(self.open.into_values());
        done.sort_by(|a, b| {
            (&a.proxy, &a.cluster, &a.host, a.source)
                .cmp(&(&b.proxy, &b.cluster, &b.host, b.source))
                .then(a.ejected_at_ms.total_cmp(&b.ejected_at_ms))
        });
        done
    }
}

/// Whether the trace has any outlier or health-check event (the ejections plot is drawn).
pub fn has_host_health_events(events: &(impl EventSource + ?Sized)) -> bool {
    events.events().any(|e| {
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
