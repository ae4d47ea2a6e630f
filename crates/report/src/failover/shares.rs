//! The failover plot's data, counted as the requests arrive: per load, requests per bucket
//! and per upstream locality and cluster ([`LoadShares`]), so memory holds a count per bucket
//! and key, never the load's requests. Loads that ran one after the other are drawn as one
//! timeline by adding their counts.

use std::collections::{BTreeMap, BTreeSet};

use meshtwin_model::event::TraceEvent;
use meshtwin_model::trace::EventSource;

use super::{Hosts, Place, Placer, Served, NONE, UNKNOWN};
use crate::plot::{Panel, YAxis};
use crate::timeseries::Series;

/// Requests counted in consecutive `bucket`-ms buckets from 0, in total and per key.
#[derive(Debug, Clone)]
pub struct Shares {
    bucket: f64,
    totals: BTreeMap<u64, u64>,
    counts: BTreeMap<String, BTreeMap<u64, u64>>,
}

impl Shares {
    pub fn new(bucket: f64) -> Self {
        Self {
            bucket,
            totals: BTreeMap::new(),
            counts: BTreeMap::new(),
        }
    }

    /// One request completed at `t_ms`, counted under `key`.
    pub fn add(&mut self, t_ms: f64, key: &str) {
        let b = (t_ms.max(0.0) / self.bucket) as u64;
        *self.totals.entry(b).or_default() += 1;
        let per = match self.counts.get_mut(key) {
            Some(per) => per,
            None => self.counts.entry(key.to_string()).or_default(),
        };
        *per.entry(b).or_default() += 1;
    }

    /// `other`'s requests counted here too.
    fn merge(&mut self, other: &Shares) {
        for (b, n) in &other.totals {
            *self.totals.entry(*b).or_default() += n;
        }
        for (key, per) in &other.counts {
            let mine = self.counts.entry(key.clone()).or_default();
            for (b, n) in per {
                *mine.entry(*b).or_default() += n;
            }
        }
    }

    /// The share per key in each bucket (points at bucket starts). A bucket without requests
    /// inside the counted span is a gap (NaN), and so is the time after its last bucket: the
    /// step plot draws nothing where the load served nothing.
    pub fn series(&self) -> Vec<Series> {
        let (Some(&first), Some(&last)) = (self.totals.keys().next(), self.totals.keys().last())
        else {
            return Vec::new();
        };
        let bucket = self.bucket;
        (self.counts.iter())
            .map(|(name, per)| {
                let mut points: Vec<(f64, f64)> = (first..=last)
                    .map(|b| {
                        let share = match self.totals.get(&b) {
                            Some(n) => per.get(&b).copied().unwrap_or(0) as f64 / *n as f64,
                            None => f64::NAN,
                        };
                        (b as f64 * bucket, share)
                    })
                    .collect();
                points.push(((last + 1) as f64 * bucket, f64::NAN));
                Series {
                    name: name.clone(),
                    points,
                }
            })
            .collect()
    }
}

/// The share of `served` per key in consecutive `bucket` windows from 0 ([`Shares::series`]).
pub fn share_series<'a>(
    served: impl IntoIterator<Item = &'a Served>,
    bucket: f64,
    key: impl Fn(&Served) -> String,
) -> Vec<Series> {
    let mut shares = Shares::new(bucket);
    for s in served {
        shares.add(s.t_ms, &key(s));
    }
    shares.series()
}

/// One load's requests as the failover plot needs them.
#[derive(Debug, Clone)]
pub struct LoadShares {
    /// The first and last completion time.
    span: (f64, f64),
    /// Per upstream locality (`none`: no app answered).
    locality: Shares,
    /// Per upstream cluster (`none`; `unknown` for an upstream in no known cluster).
    cluster: Shares,
    /// The localities of the upstreams that answered.
    pub localities: BTreeSet<String>,
}

impl LoadShares {
    fn new(bucket: f64) -> Self {
        Self {
            span: (f64::INFINITY, f64::NEG_INFINITY),
            locality: Shares::new(bucket),
            cluster: Shares::new(bucket),
            localities: BTreeSet::new(),
        }
    }

    fn add(&mut self, s: &Served) {
        self.span = (self.span.0.min(s.t_ms), self.span.1.max(s.t_ms));
        let place = s.place.as_deref();
        self.locality
            .add(s.t_ms, place.map_or(NONE, |p| p.locality.as_str()));
        self.cluster.add(
            s.t_ms,
            match place {
                None => NONE,
                Some(p) if p.cluster.is_empty() => UNKNOWN,
                Some(p) => p.cluster.as_str(),
            },
        );
        if let Some(p) = place {
            if !self.localities.contains(&p.locality) {
                self.localities.insert(p.locality.clone());
            }
        }
    }
}

/// Each load's [`LoadShares`] in `bucket`-ms buckets, from `events`' requests (placed with
/// `pods`, then the endpoint sets' localities; two walks).
pub fn shares_by_load(
    events: &(impl EventSource + ?Sized),
    pods: &BTreeMap<String, Place>,
    bucket: f64,
) -> BTreeMap<String, LoadShares> {
    let mut hosts = Hosts::default();
    for e in events.events() {
        hosts.visit(&e);
    }
    let mut shares = SharesByLoad::new(Placer::new(pods, &hosts), bucket);
    for e in events.events() {
        shares.visit(&e);
    }
    shares.finish()
}

/// [`shares_by_load`] in a walk shared with other consumers, the endpoint sets' localities
/// collected already (in the [`Placer`]).
pub struct SharesByLoad<'a> {
    placer: Placer<'a>,
    bucket: f64,
    loads: BTreeMap<String, LoadShares>,
}

impl<'a> SharesByLoad<'a> {
    pub fn new(placer: Placer<'a>, bucket: f64) -> Self {
        Self {
            placer,
            bucket,
            loads: BTreeMap::new(),
        }
    }

    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        let Some((load, s)) = self.placer.place(e) else {
            return;
        };
        let shares = match self.loads.get_mut(load) {
            Some(shares) => shares,
            None => (self.loads)
                .entry(load.to_string())
                .or_insert_with(|| LoadShares::new(self.bucket)),
        };
        shares.add(&s);
    }

    pub fn finish(self) -> BTreeMap<String, LoadShares> {
        self.loads
    }
}

/// Loads whose requests do not overlap in time, chained in the order they ran: a scenario's
/// loads one after the other read as one timeline. Groups are in time order; within a group,
/// loads in time order.
pub fn sequential_groups(loads: &BTreeMap<String, LoadShares>) -> Vec<Vec<&str>> {
    let mut spans: Vec<(&str, (f64, f64))> = loads
        .iter()
        .map(|(name, l)| (name.as_str(), l.span))
        .collect();
    spans.sort_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.0.cmp(b.0)));
    let mut groups: Vec<(Vec<&str>, f64)> = Vec::new();
    for (name, (first, last)) in spans {
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
/// locality over time, and from each upstream cluster when more than one served them.
pub fn failover_panels(loads: &BTreeMap<String, LoadShares>) -> Vec<Panel> {
    let mut panels = Vec::new();
    for group in sequential_groups(loads) {
        let summed = |pick: fn(&LoadShares) -> &Shares| {
            let mut sum = pick(&loads[group[0]]).clone();
            for l in &group[1..] {
                sum.merge(pick(&loads[*l]));
            }
            sum.series()
        };
        let label = if group.len() == 1 {
            format!("load {}", group[0])
        } else {
            format!("loads {} (one after the other)", group.join(", "))
        };
        panels.push(Panel {
            title: format!("{label}: share of requests per upstream locality"),
            y_label: "share of requests".into(),
            series: summed(|l| &l.locality),
            step: true,
            y_axis: YAxis::Share,
        });
        let cluster = summed(|l| &l.cluster);
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
