//! Writes a run's files. Each file is written beside its final name and renamed into place,
//! so a reader never sees half a file.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use std::collections::BTreeMap;

use meshtwin_report::ejections::Lane;
use meshtwin_report::failover::Place;
use meshtwin_report::plot::{
    lanes_data_json, plot_data_json, plot_data_json_marked, plot_lanes, plot_panels,
    plot_panels_marked, Marker, Panel, RunLabel,
};
use meshtwin_report::pool::pool_panels;
use meshtwin_report::stats::{stats_txt, ProxyStats};
use meshtwin_sim::RunResult;
use serde_json::Value;

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// `trace.jsonl`: one event per line.
pub fn trace_jsonl(r: &RunResult) -> String {
    let mut out = String::new();
    for e in &r.events {
        out.push_str(&serde_json::to_string(e).expect("events serialize"));
        out.push('\n');
    }
    out
}

/// Write summary.json, trace.jsonl, stats.txt and the plots into `dir` (`places`: where each
/// pod runs, for the failover plot).
pub fn write_all(
    dir: &Path,
    summary: &Value,
    r: &RunResult,
    places: &BTreeMap<String, Place>,
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut s = serde_json::to_string_pretty(summary).expect("summary serializes");
    s.push('\n');
    write_atomic(&dir.join("summary.json"), s.as_bytes())?;
    write_atomic(&dir.join("trace.jsonl"), trace_jsonl(r).as_bytes())?;
    let stats = r
        .proxies
        .iter()
        .map(|(pod, s)| {
            (
                pod.clone(),
                ProxyStats {
                    counters: s.counters.clone(),
                    gauges: s.gauges.clone(),
                    gauges_max: s.gauges_max.clone(),
                },
            )
        })
        .collect();
    write_atomic(&dir.join("stats.txt"), stats_txt(&stats).as_bytes())?;
    // The run every plot is headed with.
    let run = &RunLabel {
        scenario: summary["scenario"].as_str().unwrap_or_default().to_string(),
        seed: summary["seed"].as_u64().unwrap_or_default(),
    };
    let reach = crate::expect::reached_workloads(r);
    let shares = crate::plots::share_panels(r, &reach);
    if !shares.is_empty() {
        write_plot(
            dir,
            run,
            "shares",
            "Which workloads the calls reached, over virtual time",
            &shares,
        )?;
        let latency = [crate::plots::latency_panel(r)];
        let x = "latency (s)";
        write_plot_x(dir, run, "latency", "Latency per load", x, &latency)?;
    }
    let whole = pool_panels(&r.events, 0.0, ms(r.end));
    write_plot(
        dir,
        run,
        "pool",
        "Connection pools over the whole run",
        &whole,
    )?;
    // One zoomed plot per load: loads are often milliseconds long in a run of seconds.
    for (spec, _, o) in &r.loads {
        let (Some(first), Some(last)) = (o.first_start, o.last_end) else {
            continue;
        };
        let span = (ms(last) - ms(first)).max(1.0);
        let (from, to) = (ms(first) - span * 0.05, ms(last) + span * 0.05);
        let panels = pool_panels(&r.events, from.max(0.0), to);
        let title = format!("Connection pools during load {}", spec.name);
        write_plot(dir, run, &format!("pool-{}", spec.name), &title, &panels)?;
    }
    crate::failover::write_plots(dir, run, r, places)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// `<stem>.svg`, `<stem>.png` and the plotted data as `<stem>.json`.
fn write_plot(
    dir: &Path,
    run: &RunLabel,
    stem: &str,
    title: &str,
    panels: &[Panel],
) -> io::Result<()> {
    write_plot_x(dir, run, stem, title, "virtual time (s)", panels)
}

fn write_plot_x(
    dir: &Path,
    run: &RunLabel,
    stem: &str,
    title: &str,
    x_label: &str,
    panels: &[Panel],
) -> io::Result<()> {
    let svg_tmp = dir.join(format!("{stem}.partial.svg"));
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    plot_panels(title, run, x_label, panels, &svg_tmp, &png_tmp)?;
    fs::rename(svg_tmp, dir.join(format!("{stem}.svg")))?;
    fs::rename(png_tmp, dir.join(format!("{stem}.png")))?;
    let data = serde_json::to_string_pretty(&plot_data_json(panels)).expect("plot data");
    write_atomic(&dir.join(format!("{stem}.json")), data.as_bytes())
}

/// [`write_plot`] with markers across the panels.
pub fn write_marked_plot(
    dir: &Path,
    run: &RunLabel,
    stem: &str,
    title: &str,
    panels: &[Panel],
    markers: &[Marker],
) -> io::Result<()> {
    let svg_tmp = dir.join(format!("{stem}.partial.svg"));
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    let x_label = "virtual time (s)";
    plot_panels_marked(title, run, x_label, panels, markers, &svg_tmp, &png_tmp)?;
    fs::rename(svg_tmp, dir.join(format!("{stem}.svg")))?;
    fs::rename(png_tmp, dir.join(format!("{stem}.png")))?;
    let data = plot_data_json_marked(panels, markers);
    let data = serde_json::to_string_pretty(&data).expect("plot data");
    write_atomic(&dir.join(format!("{stem}.json")), data.as_bytes())
}

/// `<stem>.{svg,png,json}` of a lane chart over `[0, end_ms]`.
pub fn write_lanes(
    dir: &Path,
    run: &RunLabel,
    stem: &str,
    title: &str,
    lanes: &[Lane],
    end_ms: f64,
) -> io::Result<()> {
    let svg_tmp = dir.join(format!("{stem}.partial.svg"));
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    plot_lanes(title, run, lanes, end_ms, &svg_tmp, &png_tmp)?;
    fs::rename(svg_tmp, dir.join(format!("{stem}.svg")))?;
    fs::rename(png_tmp, dir.join(format!("{stem}.png")))?;
    let data = serde_json::to_string_pretty(&lanes_data_json(lanes, end_ms)).expect("lane data");
    write_atomic(&dir.join(format!("{stem}.json")), data.as_bytes())
}
