//! The run's traffic plots: which workloads each load's calls reached over time (the sampled
//! split of a traffic shift or canary), and each load's latency distribution (the timeout
//! scenarios' "about 6 s" / "about 1 s").

use std::collections::BTreeMap;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::run::RunResult;

use crate::expect::Reach;
use crate::plot::{Panel, YAxis};
use crate::timeseries::Series;

/// Windows per load in the share plot.
const WINDOWS: usize = 20;

fn ms(d: std::time::Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// One panel per load: for every workload its calls reached, the share of calls (by
/// completion time) in each of [`WINDOWS`] windows. Each call's completion time and request id
/// are read from its `request` event, so the plot needs a full trace (none without one).
pub fn share_panels(r: &RunResult, reach: &Reach) -> Vec<Panel> {
    let mut panels = SharePanels::new(r, reach);
    for e in r.trace().events() {
        panels.visit(&e);
    }
    panels.panels()
}

/// [`share_panels`] built in one walk of the trace: [`SharePanels::visit`] each event in
/// order, then [`SharePanels::panels`].
pub struct SharePanels<'a> {
    reach: &'a Reach,
    loads: Vec<LoadWindows>,
}

/// One load's calls counted per window.
struct LoadWindows {
    load: String,
    from: f64,
    width: f64,
    totals: [u64; WINDOWS],
    counts: BTreeMap<String, [u64; WINDOWS]>,
}

impl<'a> SharePanels<'a> {
    /// The panels of `r`'s loads that made calls (none when `r` kept less than a full trace).
    pub fn new(r: &RunResult, reach: &'a Reach) -> Self {
        let loads = (r.loads.iter())
            .filter(|_| r.trace_level.is_full())
            .filter_map(|(spec, _, o)| {
                let (from, to) = (ms(o.first_start?), ms(o.last_end?));
                Some(LoadWindows {
                    load: spec.name.clone(),
                    from,
                    width: ((to - from) / WINDOWS as f64).max(1.0),
                    totals: [0; WINDOWS],
                    counts: BTreeMap::new(),
                })
            })
            .collect();
        Self { reach, loads }
    }

    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        let EventKind::Request {
            load, request_id, ..
        } = &e.kind
        else {
            return;
        };
        for l in self.loads.iter_mut().filter(|l| &l.load == load) {
            let w = (((e.t_ms - l.from) / l.width) as usize).min(WINDOWS - 1);
            l.totals[w] += 1;
            for wl in self.reach.get(request_id) {
                match l.counts.get_mut(wl) {
                    Some(per) => per[w] += 1,
                    None => {
                        let mut per = [0; WINDOWS];
                        per[w] = 1;
                        l.counts.insert(wl.to_string(), per);
                    }
                }
            }
        }
    }

    pub fn panels(self) -> Vec<Panel> {
        (self.loads.into_iter())
            .map(|l| {
                let series = (l.counts.into_iter())
                    .map(|(name, per)| Series {
                        name,
                        points: (0..WINDOWS)
                            .filter(|i| l.totals[*i] > 0)
                            .map(|i| {
                                (
                                    l.from + l.width * i as f64,
                                    per[i] as f64 / l.totals[i] as f64,
                                )
                            })
                            .collect(),
                    })
                    .collect();
                Panel {
                    title: format!("load {}: share of calls reaching each workload", l.load),
                    y_label: "share of calls".into(),
                    series,
                    step: true,
                    y_axis: YAxis::Share,
                }
            })
            .collect()
    }
}

/// One panel: each load's latency distribution as a cumulative curve (x: latency). Calls of
/// equal latency are one vertical step: its first and last point stand for all of them (the
/// drawn curve is the same as with a point per call, and the data stays as small as the
/// number of distinct latencies).
pub fn latency_panel(r: &RunResult) -> Panel {
    let series = r
        .loads
        .iter()
        .filter(|(_, _, o)| !o.calls.is_empty())
        .map(|(spec, _, o)| {
            let n = o.calls.len() as f64;
            let mut points = Vec::new();
            let mut below = 0u64;
            for (x, k) in o.calls.latencies.values_ms() {
                points.push((x, (below + 1) as f64 / n));
                if k > 1 {
                    points.push((x, (below + k) as f64 / n));
                }
                below += k;
            }
            Series {
                name: spec.name.clone(),
                points,
            }
        })
        .collect();
    Panel {
        title: "latency distribution per load (cumulative)".into(),
        y_label: "fraction of calls".into(),
        series,
        step: true,
        y_axis: YAxis::Share,
    }
}
