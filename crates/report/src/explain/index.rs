//! The trace, indexed for explanations: the loads' requests, each request's hops (access-log
//! lines), and per (proxy, cluster) the pool, outlier and health-check events, in trace order.

use std::collections::BTreeMap;

use meshtwin_model::event::{
    EventKind, HealthAction, OutlierAction, OutlierReason, PoolEvent, ResponseFlags, TraceEvent,
};

use meshtwin_model::trace::EventSource;

use super::{Hop, TimelineEntry};

/// A load generator's request, as the `request` event records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Req {
    pub t_ms: f64,
    pub load: String,
    pub src_pod: String,
    pub request_id: String,
    pub upstream_pod: Option<String>,
    pub status: u16,
    pub flags: ResponseFlags,
    pub latency_ms: f64,
}

/// A host-health change on one (proxy, cluster): [`OutlierAction`] and [`OutlierReason`] for
/// the outlier detector's, [`HealthAction`] and the check's own words for active health
/// checking's.
#[derive(Debug, Clone, PartialEq)]
pub struct HostEvent<A, R> {
    pub t_ms: f64,
    pub host: String,
    pub action: A,
    pub reason: R,
}

/// `(proxy, cluster)`.
pub type Key = (String, String);

/// The trace, indexed.
#[derive(Debug, Default)]
pub struct TraceIndex {
    /// The events that change a host's state (`endpoints`, `outlier`, `health_check`), for
    /// [`crate::endpoints::endpoint_view`] at any instant.
    pub host_events: Vec<TraceEvent>,
    pub requests: Vec<Req>,
    by_id: BTreeMap<String, usize>,
    hops: BTreeMap<String, Vec<Hop>>,
    /// Pool events per (proxy, cluster): time and event.
    pub pool: BTreeMap<Key, Vec<(f64, PoolEvent)>>,
    pub outlier: BTreeMap<Key, Vec<HostEvent<OutlierAction, OutlierReason>>>,
    pub health: BTreeMap<Key, Vec<HostEvent<HealthAction, String>>>,
    /// The timeline's entries with their timeline index.
    pub timeline: Vec<(usize, TimelineEntry)>,
}

impl TraceIndex {
    /// The index of `events`, in one pass, holding of the loads' requests (and their hops)
    /// only those whose id `wanted` accepts: the rest of the index is what a diagnosis reads
    /// about any request (pool, outlier and health-check history, the timeline).
    pub fn new(events: &(impl EventSource + ?Sized), wanted: &dyn Fn(&str) -> bool) -> Self {
        let mut idx = TraceIndex::default();
        for e in events.events() {
            match &e.kind {
                EventKind::Request { request_id, .. } | EventKind::AccessLog { request_id, .. }
                    if !wanted(request_id) => {}
                _ => idx.add(&e),
            }
            if matches!(
                e.kind,
                EventKind::Endpoints { .. }
                    | EventKind::Outlier { .. }
                    | EventKind::HealthCheck { .. }
            ) {
                idx.host_events.push(e.into_owned());
            }
        }
        idx
    }

    fn add(&mut self, e: &TraceEvent) {
        let t_ms = e.t_ms;
        match &e.kind {
            EventKind::Request { .. } => self.add_request(e),
            EventKind::AccessLog { .. } => self.add_hop(e),
            EventKind::Pool {
                proxy,
                cluster,
                event,
                ..
            } => self
                .pool
                .entry((proxy.to_string(), cluster.to_string()))
                .or_default()
                .push((t_ms, *event)),
            EventKind::Outlier {
                proxy,
                cluster,
                host,
                action,
                reason,
                ..
            } => self
                .outlier
                .entry((proxy.clone(), cluster.clone()))
                .or_default()
                .push(host_event(t_ms, host, *action, *reason)),
            EventKind::HealthCheck {
                proxy,
                cluster,
                host,
                action,
                reason,
            } => self
                .health
                .entry((proxy.clone(), cluster.clone()))
                .or_default()
                .push(host_event(t_ms, host, *action, reason.clone())),
            EventKind::Fault {
                index,
                action,
                target,
                detail,
            } => {
                let entry = TimelineEntry {
                    t_ms,
                    action: *action,
                    target: target.clone(),
                    detail: detail.clone(),
                };
                self.timeline.push((*index, entry));
            }
            _ => {}
        }
    }

    fn add_request(&mut self, e: &TraceEvent) {
        let EventKind::Request {
            load,
            src_pod,
            request_id,
            upstream_pod,
            status,
            flags,
            latency_ms,
            ..
        } = &e.kind
        else {
            return;
        };
        self.by_id
            .entry(request_id.clone())
            .or_insert(self.requests.len());
        self.requests.push(Req {
            t_ms: e.t_ms,
            load: load.clone(),
            src_pod: src_pod.clone(),
            request_id: request_id.clone(),
            upstream_pod: upstream_pod.clone(),
            status: *status,
            flags: flags.clone(),
            latency_ms: *latency_ms,
        });
    }

    fn add_hop(&mut self, e: &TraceEvent) {
        let EventKind::AccessLog {
            proxy,
            cluster,
            upstream_host,
            request_id,
            status,
            flags,
            duration_ms,
            ..
        } = &e.kind
        else {
            return;
        };
        self.hops.entry(request_id.clone()).or_default().push(Hop {
            t_ms: e.t_ms,
            proxy: proxy.to_string(),
            cluster: cluster.to_string(),
            upstream_host: upstream_host.as_ref().map(|h| h.to_string()),
            status: *status,
            flags: flags.clone(),
            duration_ms: *duration_ms,
        });
    }

    /// The load's request with this id (the first, if a load reused an id).
    pub fn request(&self, id: &str) -> Option<&Req> {
        self.by_id.get(id).map(|i| &self.requests[*i])
    }

    /// Every proxy's access-log line for the request, in trace order (innermost first).
    pub fn hops(&self, id: &str) -> &[Hop] {
        self.hops.get(id).map_or(&[], Vec::as_slice)
    }

    /// The pool events of (proxy, cluster) in `[from, to]`.
    pub fn pool_events(&self, proxy: &str, cluster: &str, from: f64, to: f64) -> Vec<PoolEvent> {
        self.pool
            .get(&(proxy.to_string(), cluster.to_string()))
            .map(|v| {
                v.iter()
                    .filter(|(t, _)| (from..=to).contains(t))
                    .map(|(_, e)| *e)
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn host_event<A, R>(t_ms: f64, host: &str, action: A, reason: R) -> HostEvent<A, R> {
    HostEvent {
        t_ms,
        host: host.to_string(),
        action,
        reason,
    }
}
