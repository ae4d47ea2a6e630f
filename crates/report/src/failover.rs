//! The failover picture (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::isHostSetInPanic`, App Mesh listener `outlierDetection` (docs/guide.md, App Mesh)): which upstream locality and cluster served each
//! load's requests over virtual time, and when traffic left the locality it started in.
//!
//! A request's upstream is the trace's `Request.upstream_pod`; where it runs comes from the
//! topology ([`Place`] per pod, given by the caller) or, for hosts that are not pods (a
//! ServiceEntry's external endpoints), from the `endpoints` events' localities. A request no
//! app answered counts as `none`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use meshtwin_model::event::EventKind;
use meshtwin_model::trace::EventSource;
use serde::{Deserialize, Serialize};

use crate::plot::{Panel, YAxis};
use crate::timeseries::Series;

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

/// Each load's requests in trace order, placed with `pods` (then the endpoint sets' localities).
pub fn served_by_load(
    events: &(impl EventSource + ?Sized),
    pods: &BTreeMap<String, Place>,
) -> BTreeMap<String, Vec<Served>> {
    let mut hosts: BTreeMap<String, String> = BTreeMap::new();
    for e in events.events() {
        if let EventKind::Endpoints { endpoints, .. } = &e.kind {
            for ep in endpoints.iter() {
                if hosts.get(&ep.host) != Some(&ep.locality) {
                    hosts.insert(ep.host.clone(), ep.locality.clone());
                }
            }
        }
    }
    let mut out: BTreeMap<String, Vec<Served>> = BTreeMap::new();
    let mut placed: BTreeMap<String, Arc<Place>> = BTreeMap::new();
    for e in events.events() {
        let EventKind::Request {
            load, upstream_pod, ..
        } = &e.kind
        else {
            continue;
        };
        let place = upstream_pod.as_ref().map(|p| match placed.get(p) {
            Some(place) => place.clone(),
            None => {
                let place = Arc::new(pods.get(p).cloned().unwrap_or_else(|| {
                    Place {
                        locality: hosts
                            .get(p.as_str())
                            .map_or(UNKNOWN, String::as_str)
                            .to_string(),
                        cluster: String::new(),
                    }
                }));
                placed.insert(p.clone(), place.clone());
                place
            }
        });
        let requests = match out.get_mut(load) {
            Some(requests) => requests,
            None => out.entry(load.clone()).or_default(),
        };
        requests.push(Served {
            t_ms: e.t_ms,
            place,
        });
    }
    out
}

/// Whether the failover plot says anything: more than one known upstream locality among
/// endpoint sets and answers (a proxy's own app, on `inbound|…`, has none), or any fault or
/// ejection.
pub fn worth_plotting(
    events: &(impl EventSource + ?Sized),
    served: &BTreeMap<String, Vec<Served>>,
) -> bool {
    let mut localities: BTreeSet<String> = served
        .values()
        .flatten()
        .filter_map(|s| s.place.as_ref().map(|p| p.locality.clone()))
        .collect();
    for e in events.events() {
        match &e.kind {
            EventKind::Fault { .. } | EventKind::Outlier { .. } | EventKind::HealthCheck { .. } => {
                return true
            }
            EventKind::Endpoints { endpoints, .. } => {
                for ep in endpoints.iter() {
                    if !localities.contains(&ep.locality) {
                        localities.insert(ep.locality.clone());
                    }
                }
            }
            _ => {}
        }
    }
    localities.retain(|l| !l.is_empty() && l != UNKNOWN);
    localities.len() > 1
}

/// The share bucket for a run of `span_ms`: 1 s, or a whole number of seconds giving at most
/// 60 buckets.
pub fn bucket_ms(span_ms: f64) -> f64 {
    (span_ms / 60_000.0).ceil().max(1.0) * 1000.0
}

/// The share of `served` per key in consecutive `bucket` windows from 0 (points at bucket
/// starts). A bucket without requests inside the load's span is a gap (NaN), and so is the
/// time after its last bucket: the step plot draws nothing where the load served nothing.
fn share_series<'a>(
    served: impl IntoIterator<Item = &'a Served>,
    bucket: f64,
    key: impl Fn(&Served) -> String,
) -> Vec<Series> {
    let mut totals: BTreeMap<u64, u64> = BTreeMap::new();
    let mut counts: BTreeMap<String, BTreeMap<u64, u64>> = BTreeMap::new();
    for s in served {
        let b = (s.t_ms.max(0.0) / bucket) as u64;
        *totals.entry(b).or_default() += 1;
        *counts.entry(key(s)).or_default().entry(b).or_default() += 1;
    }
    let (Some(&first), Some(&last)) = (totals.keys().next(), totals.keys().last()) else {
        return Vec::new();
    };
    counts
        .into_iter()
        .map(|(name, per)| {
            let mut points: Vec<(f64, f64)> = (first..=last)
                .map(|b| {
                    let share = match totals.get(&b) {
                        Some(n) => per.get(&b).copied().unwrap_or(0) as f64 / *n as f64,
                        None => f64::NAN,
                    };
                    (b as f64 * bucket, share)
                })
                .collect();
            points.push(((last + 1) as f64 * bucket, f64::NAN));
            Series { name, points }
        })
        .collect()
}

/// Loads whose requests do not overlap in time, chained in the order they ran: a scenario's
/// loads one after the other read as one timeline. Groups are in time order; within a group,
/// loads in time order.
pub fn sequential_groups(served: &BTreeMap<String, Vec<Served>>) -> Vec<Vec<&str>> {
    let span = |reqs: &[Served]| {
        let first = reqs.iter().map(|s| s.t_ms).fold(f64::INFINITY, f64::min);
        let last = reqs
            .iter()
            .map(|s| s.t_ms)
            .fold(f64::NEG_INFINITY, f64::max);
        (first, last)
    };
    let mut loads: Vec<(&str, (f64, f64))> = served
        .iter()
        .filter(|(_, reqs)| !reqs.is_empty())
        .map(|(name, reqs)| (name.as_str(), span(reqs)))
        .collect();
    loads.sort_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.0.cmp(b.0)));
    let mut groups: Vec<(Vec<&str>, f64)> = Vec::new();
    for (name, (first, last)) in loads {
        match groups.last_mut() {
            Some((names, end)) if first > *end => {
                names.push(name);
                *end = last;
            }
            _ => groups.push((vec![name], last)),
        }
    }
    groups.into_iter().map(|(names, _)| names).collect()
}

/// Per group of [`sequential_groups`], the share of its requests served from each upstream
/// locality over time in `bucket`-ms buckets, and from each upstream cluster when more than
/// one served them.
pub fn failover_panels(served: &BTreeMap<String, Vec<Served>>, bucket: f64) -> Vec<Panel> {
    let mut panels = Vec::new();
    for group in sequential_groups(served) {
        let reqs = || group.iter().flat_map(|l| served[*l].iter());
        let label = if group.len() == 1 {
            format!("load {}", group[0])
        } else {
            format!("loads {} (one after the other)", group.join(", "))
        };
        let locality = share_series(reqs(), bucket, |s| {
            s.place.as_ref().map_or(NONE.into(), |p| p.locality.clone())
        });
        panels.push(Panel {
            title: format!("{label}: share of requests per upstream locality"),
            y_label: "share of requests".into(),
            series: locality,
            step: true,
            y_axis: YAxis::Share,
        });
        let cluster = share_series(reqs(), bucket, |s| match s.place.as_deref() {
            None => NONE.into(),
            Some(p) if p.cluster.is_empty() => UNKNOWN.into(),
            Some(p) => p.cluster.clone(),
        });
        if cluster.iter().filter(|s| s.name != NONE).count() > 1 {
            panels.push(Panel {
                title: format!("{label}: share of requests per upstream cluster"),
                y_label: "share of requests".into(),
                series: cluster,
                step: true,
                y_axis: YAxis::Share,
            });
        }
    }
    panels
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

/// The load's [`Failover`], if its traffic ever moved away (see the fields' contracts).
pub fn failover_time(served: &[Served]) -> Option<Failover> {
    let first = served.first()?.t_ms;
    let last = served.last()?.t_ms;
    let from = majority(
        served
            .iter()
            .enumerate()
            .take_while(|(i, s)| *i < MIN_WINDOW_REQUESTS || s.t_ms < first + WINDOW_MS)
            .filter_map(|(_, s)| s.place.as_deref()),
    )?;
    let away = |s: &Served| s.place.as_ref().is_some_and(|p| p.locality != from);
    let (mut end, mut n, mut k) = (0usize, 0usize, 0usize);
    for (i, s) in served.iter().enumerate() {
        if s.t_ms + WINDOW_MS > last {
            break;
        }
        while end < served.len() && served[end].t_ms < s.t_ms + WINDOW_MS {
            n += 1;
            k += usize::from(away(&served[end]));
            end += 1;
        }
        if n >= MIN_WINDOW_REQUESTS && k as f64 >= FAILOVER_SHARE * n as f64 {
            let to = majority(
                served[i..end]
                    .iter()
                    .filter(|s| away(s))
                    .filter_map(|s| s.place.as_deref()),
            )?;
            return Some(Failover {
                from_locality: from,
                to_locality: to,
                at_ms: s.t_ms,
            });
        }
        n -= 1;
        k -= usize::from(away(s));
    }
    None
}

/// The most frequent locality (ties: the smallest name).
fn majority<'a>(places: impl Iterator<Item = &'a Place>) -> Option<String> {
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
#[path = "failover_tests.rs"]
mod tests;
