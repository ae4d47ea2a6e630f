//! The run's traffic plots: which workloads each load's calls reached over time (the sampled
//! split of a traffic shift or canary), and each load's latency distribution (the timeout
//! scenarios' "about 6 s" / "about 1 s").

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
/// completion time) in each of [`WINDOWS`] windows.
pub fn share_panels(r: &RunResult, reach: &Reach) -> Vec<Panel> {
    let mut panels = Vec::new();
    for (spec, _, o) in &r.loads {
        let (Some(first), Some(last)) = (o.first_start, o.last_end) else {
            continue;
        };
        let (from, to) = (ms(first), ms(last));
        let width = ((to - from) / WINDOWS as f64).max(1.0);
        let window = |t: f64| (((t - from) / width) as usize).min(WINDOWS - 1);
        let mut totals = [0u64; WINDOWS];
        let mut counts: std::collections::BTreeMap<String, [u64; WINDOWS]> = Default::default();
        for c in &o.calls {
            let w = window(ms(c.end));
            totals[w] += 1;
            for wl in reach.get(&c.request_id).into_iter().flatten() {
                counts.entry(wl.clone()).or_insert([0; WINDOWS])[w] += 1;
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

/// One panel: each load's latency distribution as a cumulative curve (x: latency).
pub fn latency_panel(r: &RunResult) -> Panel {
    let series = r
        .loads
        .iter()
        .filter(|(_, _, o)| !o.calls.is_empty())
        .map(|(spec, _, o)| {
            let mut l: Vec<f64> = o.calls.iter().map(|c| ms(c.latency)).collect();
            l.sort_by(f64::total_cmp);
            let n = l.len() as f64;
            Series {
                name: spec.name.clone(),
                points: l
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (*x, (i + 1) as f64 / n))
                    .collect(),
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
