//! The failover picture (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::isHostSetInPanic`, App Mesh listener `outlierDetection` (docs/guide.md, App Mesh)): which upstream locality and cluster served each
//! load's requests over virtual time, and when traffic left the locality it started in.
//!
//! A request's upstream is the trace's `Request.upstream_pod`; where it runs comes from the
//! topology ([`Place`] per pod, given by the caller) or, for hosts that are not pods (a
//! ServiceEntry's external endpoints), from the `endpoints` events' localities. A request no
//! app answered counts as `none`.
//!
//! Both are computed as the trace's requests are read, holding no list of them: the failover
//! time by [`watch::FailoverWatch`] (one window of requests), the plot's shares by
//! [`shares::LoadShares`] (counts per bucket).

mod shares;
mod watch;

pub use shares::{
    failover_panels, sequential_groups, share_series, shares_by_load, LoadShares, SharesByLoad,
};
pub use watch::{failover_time, FailoverWatch};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::trace::EventSource;
use serde::{Deserialize, Serialize};

/// Where an upstream runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    /// `region/zone/subzone`, trailing empty parts left out.
    pub locality: String,
    /// The Kubernetes cluster (empty when unknown).
    pub cluster: String,
}

/// The key of requests no app answered.
pub const NONE: &str = "none";
/// The locality of an upstream neither the topology nor the trace places.
pub const UNKNOWN: &str = "unknown";
/// Length of the window [`failover_time`] judges.
pub const WINDOW_MS: f64 = 1000.0;
/// Share of a window's requests that must come from elsewhere.
pub const FAILOVER_SHARE: f64 = 0.99;
/// Fewest requests a window (and the load's start) must hold to be judged: a load of one
/// call every few seconds says nothing about failover.
pub const MIN_WINDOW_REQUESTS: usize = 5;

/// One load's request: completion time and where its answer came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub t_ms: f64,
    /// `None` when no app answered. Shared by every request the same upstream answered (a
    /// run holds one `Served` per request).
    pub place: Option<Arc<Place>>,
}

/// The localities the endpoint sets give hosts (the places of upstreams that are not pods),
/// collected in a walk shared with other consumers ([`Hosts::visit`]).
#[derive(Debug, Default)]
pub struct Hosts {
    locality: BTreeMap<String, String>,
}

impl Hosts {
    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        if let EventKind::Endpoints { endpoints, .. } = &e.kind {
            for ep in endpoints.iter() {
                if self.locality.get(&ep.host) != Some(&ep.locality) {
                    self.locality.insert(ep.host.clone(), ep.locality.clone());
                }
            }
        }
    }
}

/// Each load's requests in trace order, placed with `pods` (then the endpoint sets'
/// localities), handed to `each` (load, request) one at a time. Two walks of `events`: the
/// endpoint sets, then the requests.
pub fn for_each_served(
    events: &(impl EventSource + ?Sized),
    pods: &BTreeMap<String, Place>,
    each: impl FnMut(&str, Served),
) {
    let mut hosts = Hosts::default();
    for e in events.events() {
        hosts.visit(&e);
    }
    for_each_placed(events, pods, &hosts, each);
}

/// [`for_each_served`] with the endpoint sets' localities already collected (one walk).
pub fn for_each_placed(
    events: &(impl EventSource + ?Sized),
    pods: &BTreeMap<String, Place>,
    hosts: &Hosts,
    mut each: impl FnMut(&str, Served),
) {
    let mut placer = Placer::new(pods, hosts);
    for e in events.events() {
        if let Some((load, s)) = placer.place(&e) {
            each(load, s);
        }
    }
}

/// Places each request event's upstream ([`Placer::place`]), one shared [`Place`] per
/// upstream.
pub struct Placer<'a> {
    pods: &'a BTreeMap<String, Place>,
    hosts: &'a Hosts,
    placed: BTreeMap<String, Arc<Place>>,
}

impl<'a> Placer<'a> {
    /// Upstreams placed with `pods`, then `hosts`' localities.
    pub fn new(pods: &'a BTreeMap<String, Place>, hosts: &'a Hosts) -> Self {
        Self {
            pods,
            hosts,
            placed: BTreeMap::new(),
        }
    }

    /// A request event's load and where it was served; `None` for any other event.
    pub fn place<'e>(&mut self, e: &'e TraceEvent) -> Option<(&'e str, Served)> {
        let EventKind::Request {
            load, upstream_pod, ..
        } = &e.kind
        else {
            return None;
        };
        let place = upstream_pod.as_ref().map(|p| match self.placed.get(p) {
            Some(place) => place.clone(),
            None => {
                let place = Arc::new(self.pods.get(p).cloned().unwrap_or_else(|| {
                    Place {
                        locality: (self.hosts.locality.get(p.as_str()))
                            .map_or(UNKNOWN, String::as_str)
                            .to_string(),
                        cluster: String::new(),
                    }
                }));
                self.placed.insert(p.clone(), place.clone());
                place
            }
        });
        Some((
            load,
            Served {
                t_ms: e.t_ms,
                place,
            },
        ))
    }
}

/// Each load's requests in trace order ([`for_each_served`]), kept.
pub fn served_by_load(
    events: &(impl EventSource + ?Sized),
    pods: &BTreeMap<String, Place>,
) -> BTreeMap<String, Vec<Served>> {
    let mut out: BTreeMap<String, Vec<Served>> = BTreeMap::new();
    for_each_served(events, pods, |load, s| match out.get_mut(load) {
        Some(requests) => requests.push(s),
        None => {
            out.insert(load.to_string(), vec![s]);
        }
    });
    out
}

/// Each load's [`Failover`], for the loads whose traffic moved away ([`failover_time`]), in
/// one walk of the requests holding one window of each load's (`hosts`: the trace's endpoint
/// sets' localities, collected in an earlier walk).
pub fn failovers(
    events: &(impl EventSource + ?Sized),
    pods: &BTreeMap<String, Place>,
    hosts: &Hosts,
) -> BTreeMap<String, Failover> {
    let mut watches: BTreeMap<String, FailoverWatch> = BTreeMap::new();
    for_each_placed(events, pods, hosts, |load, s| match watches.get_mut(load) {
        Some(w) => w.push(s),
        None => {
            let mut w = FailoverWatch::new();
            w.push(s);
            watches.insert(load.to_string(), w);
        }
    });
    (watches.into_iter())
        .filter_map(|(load, w)| Some((load, w.finish()?)))
        .collect()
}

/// Whether the failover plot says anything: more than one known upstream locality among
/// endpoint sets and answers (a proxy's own app, on `inbound|…`, has none), or any fault or
/// ejection.
pub fn worth_plotting(
    events: &(impl EventSource + ?Sized),
    loads: &BTreeMap<String, LoadShares>,
) -> bool {
    let mut worth = WorthPlotting::default();
    for e in events.events() {
        worth.visit(&e);
    }
    worth.finish(loads)
}

/// [`worth_plotting`] in a walk shared with other consumers: [`WorthPlotting::visit`] each
/// event, then [`WorthPlotting::finish`].
#[derive(Debug, Default)]
pub struct WorthPlotting {
    /// A fault, outlier or health-check event was seen.
    any_health_or_fault: bool,
    /// The endpoint sets' localities.
    localities: BTreeSet<String>,
}

impl WorthPlotting {
    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        match &e.kind {
            EventKind::Fault { .. } | EventKind::Outlier { .. } | EventKind::HealthCheck { .. } => {
                self.any_health_or_fault = true
            }
            EventKind::Endpoints { endpoints, .. } if !self.any_health_or_fault => {
                for ep in endpoints.iter() {
                    if !self.localities.contains(&ep.locality) {
                        self.localities.insert(ep.locality.clone());
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether the plot of `loads` says anything.
    pub fn finish(self, loads: &BTreeMap<String, LoadShares>) -> bool {
        if self.any_health_or_fault {
            return true;
        }
        let mut localities = self.localities;
        localities.extend(loads.values().flat_map(|l| l.localities.iter().cloned()));
        localities.retain(|l| !l.is_empty() && l != UNKNOWN);
        localities.len() > 1
    }
}

/// The share bucket for a run of `span_ms`: 1 s, or a whole number of seconds giving at most
/// 60 buckets.
pub fn bucket_ms(span_ms: f64) -> f64 {
    (span_ms / 60_000.0).ceil().max(1.0) * 1000.0
}

/// When a load's traffic left its starting locality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failover {
    /// The locality that served most answered requests in the load's first [`WINDOW_MS`]
    /// (at least its first [`MIN_WINDOW_REQUESTS`] requests).
    pub from_locality: String,
    /// The locality that served most of the first window that counts.
    pub to_locality: String,
    /// Start of the first window `[t, t + 1 s)` (t a request's completion, the window inside
    /// the load) in which ≥ 99 % of the requests were answered from a locality other than
    /// `from_locality`; windows of fewer than [`MIN_WINDOW_REQUESTS`] requests do not count.
    pub at_ms: f64,
}

/// The most frequent locality (ties: the smallest name).
pub(crate) fn majority<'a>(places: impl Iterator<Item = &'a Place>) -> Option<String> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for p in places {
        *counts.entry(&p.locality).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(l, _)| l.to_string())
}

#[cfg(test)]
mod tests;
