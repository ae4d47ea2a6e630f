//! Writes a run's files. Each file is written beside its final name and renamed into place,
//! so a reader never sees half a file.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use meshtwin_model::event::TraceEvent;
use meshtwin_model::run::RunResult;

use crate::ejections::Lane;
use crate::plot::{
    lanes_data_json, plot_data_json, plot_data_json_marked, plot_lanes, plot_panels,
    plot_panels_marked, Marker, Panel,
};
use crate::pool::pool_panels;
use crate::stats::stats_txt;
use crate::summary::Judged;

/// Write `bytes` to `path` through a `.partial` file renamed into place: a reader sees the old
/// file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// `trace.jsonl`: one event per line.
pub fn trace_jsonl(r: &RunResult) -> String {
    let mut out = Vec::new();
    for e in &r.events {
        write_trace_line(e, &mut out);
    }
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// One line of `trace.jsonl` (the event as JSON, then `\n`) written to `w`.
pub fn write_trace_line(e: &TraceEvent, w: &mut impl Write) {
    serde_json::to_writer(&mut *w, e).expect("events serialize into memory");
    w.write_all(b"\n").expect("writing into memory cannot fail");
}

/// Write summary.json, trace.jsonl, stats.txt and the plots of run `r`, judged as `judged`,
/// into `dir`.
pub fn write_all(dir: &Path, judged: &Judged, r: &RunResult) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    write_atomic(
        &dir.join("summary.json"),
        judged.summary.to_json().as_bytes(),
    )?;
    write_atomic(&dir.join("trace.jsonl"), trace_jsonl(r).as_bytes())?;
    write_atomic(&dir.join("stats.txt"), stats_txt(&r.proxies).as_bytes())?;
    let shares = crate::traffic_plots::share_panels(r, &judged.reach);
    if !shares.is_empty() {
        write_plot(
            dir,
            "shares",
            "Which workloads the calls reached, over virtual time",
            &shares,
        )?;
        let latency = [crate::traffic_plots::latency_panel(r)];
        write_plot_x(dir, "latency", "Latency per load", "latency (s)", &latency)?;
    }
    let whole = pool_panels(&r.events, 0.0, ms(r.end));
    write_plot(dir, "pool", "Connection pools over the whole run", &whole)?;
    // One zoomed plot per load: loads are often milliseconds long in a run of seconds.
    for (spec, _, o) in &r.loads {
        let (Some(first), Some(last)) = (o.first_start, o.last_end) else {
            continue;
        };
        let span = (ms(last) - ms(first)).max(1.0);
        let (from, to) = (ms(first) - span * 0.05, ms(last) + span * 0.05);
        let panels = pool_panels(&r.events, from.max(0.0), to);
        let title = format!("Connection pools during load {}", spec.name);
        write_plot(dir, &format!("pool-{}", spec.name), &title, &panels)?;
    }
    crate::health_plots::write_plots(dir, r, &judged.places)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// `<stem>.svg`, `<stem>.png` and the plotted data as `<stem>.json`.
fn write_plot(dir: &Path, stem: &str, title: &str, panels: &[Panel]) -> io::Result<()> {
    write_plot_x(dir, stem, title, "virtual time (s)", panels)
}

fn write_plot_x(
    dir: &Path,
    stem: &str,
    title: &str,
    x_label: &str,
    panels: &[Panel],
) -> io::Result<()> {
    let svg_tmp = dir.join(format!("{stem}.partial.svg"));
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    plot_panels(title, x_label, panels, &svg_tmp, &png_tmp)?;
    fs::rename(svg_tmp, dir.join(format!("{stem}.svg")))?;
    fs::rename(png_tmp, dir.join(format!("{stem}.png")))?;
    let data = serde_json::to_string_pretty(&plot_data_json(panels)).expect("plot data");
    write_atomic(&dir.join(format!("{stem}.json")), data.as_bytes())
}

/// [`write_plot`] with markers across the panels.
pub fn write_marked_plot(
    dir: &Path,
    stem: &str,
    title: &str,
    panels: &[Panel],
    markers: &[Marker],
) -> io::Result<()> {
    let svg_tmp = dir.join(format!("{stem}.partial.svg"));
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    let x_label = "virtual time (s)";
    plot_panels_marked(title, x_label, panels, markers, &svg_tmp, &png_tmp)?;
    fs::rename(svg_tmp, dir.join(format!("{stem}.svg")))?;
    fs::rename(png_tmp, dir.join(format!("{stem}.png")))?;
    let data = plot_data_json_marked(panels, markers);
    let data = serde_json::to_string_pretty(&data).expect("plot data");
    write_atomic(&dir.join(format!("{stem}.json")), data.as_bytes())
}

/// `<stem>.{svg,png,json}` of a lane chart over `[0, end_ms]`.
pub fn write_lanes(
    dir: &Path,
    stem: &str,
    title: &str,
    lanes: &[Lane],
    end_ms: f64,
) -> io::Result<()> {
    let svg_tmp = dir.join(format!("{stem}.partial.svg"));
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    plot_lanes(title, lanes, end_ms, &svg_tmp, &png_tmp)?;
    fs::rename(svg_tmp, dir.join(format!("{stem}.svg")))?;
    fs::rename(png_tmp, dir.join(format!("{stem}.png")))?;
    let data = serde_json::to_string_pretty(&lanes_data_json(lanes, end_ms)).expect("lane data");
    write_atomic(&dir.join(format!("{stem}.json")), data.as_bytes())
}
