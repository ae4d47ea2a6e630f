//! The run's traffic plots: which workloads each load's calls reached over time (the sampled
//! split of a traffic shift or canary), and each load's latency distribution (the timeout
//! scenarios' "about 6 s" / "about 1 s").

use meshtwin_model::event::EventKind;
use meshtwin_model::run::RunResult;
use meshtwin_model::trace::EventSource;

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
    let mut panels = Vec::new();
    if !r.trace_level.is_full() {
        return panels;
    }
    for (spec, _, o) in &r.loads {
        let (Some(first), Some(last)) = (o.first_start, o.last_end) else {
            continue;
        };
        let (from, to) = (ms(first), ms(last));
        let width = ((to - from) / WINDOWS as f64).max(1.0);
        let window = |t: f64| (((t - from) / width) as usize).min(WINDOWS - 1);
        let mut totals = [0u64; WINDOWS];
        let mut counts: std::collections::BTreeMap<String, [u64; WINDOWS]> = Default::default();
        for (t_ms, request_id) in request_ends(r.trace(), &spec.name) {
            let w = window(t_ms);
            totals[w] += 1;
            for wl in reach.get(&request_id) {
                match counts.get_mut(wl) {
                    Some(per) => per[w] += 1,
                    None => {
                        let mut per = [0; WINDOWS];
                        per[w] = 1;
                        counts.insert(wl.to_string(), per);
                    }
                }
            }
        }
        let series = counts
            .into_iter()
            .map(|(name, per)| Series {
                name,
                points: (0..WINDOWS)
                    .filter(|i| totals[*i] > 0)
                    .map(|i| (from + width * i as f64, per[i] as f64 / totals[i] as f64))
                    .collect(),
            })
            .collect();
        panels.push(Panel {
            title: format!("load {}: share of calls reaching each workload", spec.name),
            y_label: "share of calls".into(),
            series,
            step: true,
            y_axis: YAxis::Share,
        });
    }
    panels
}

/// When each call of load `load` ended (ms) and its request id, from the trace.
fn request_ends<'a>(
    events: &'a dyn EventSource,
    load: &'a str,
) -> impl Iterator<Item = (f64, String)> + 'a {
    events.events().filter_map(move |e| match &e.kind {
        EventKind::Request {
            load: l,
            request_id,
            ..
        } if l == load => Some((e.t_ms, request_id.clone())),
        _ => None,
    })
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
