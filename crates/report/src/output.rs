//! Writes a run's files: every file into a staging directory that then replaces the output
//! directory whole ([`crate::output_dir`]), so a reader never sees half a set.

use meshtwin_model::event::TraceLevel;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use meshtwin_model::event::TraceEvent;
use meshtwin_model::run::RunResult;
use meshtwin_model::trace::{walk_together, write_line};

use crate::output_dir::Staging;

use crate::ejections::Lane;
use crate::fortio::json::fortio_json;
use crate::health_plots::HealthWalk;
use crate::perfetto::{write_placed, Placement};
use crate::plot::{
    lanes_data_json, plot_data_json, plot_data_json_marked, plot_lanes, plot_panels,
    plot_panels_marked, Marker, Panel, RunLabel,
};
use crate::pool::PoolPanels;
use crate::prometheus::stats_prom;
use crate::stats::stats_txt;
use crate::summary::Judged;
use crate::traffic_plots::SharePanels;

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Write `path` through a buffer as `write` produces it (the whole file is never in memory).
fn write_streamed(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let mut w = io::BufWriter::new(fs::File::create(path)?);
    write(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// Write `bytes` to `path` through a uniquely named temporary file beside it, renamed into
/// place: a reader sees the old file or the new one, never half of one, and two writers never
/// share the temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} names no file", path.display())))?;
    let tmp = path.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    write_file(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

/// `trace.jsonl`: one event per line.
pub fn trace_jsonl(r: &RunResult) -> String {
    let mut out = Vec::new();
    for e in r.trace().events() {
        write_trace_line(&e, &mut out);
    }
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// One line of `trace.jsonl` (the event as JSON, then `\n`: [`write_line`]) written to `w`.
pub fn write_trace_line(e: &TraceEvent, w: &mut impl Write) {
    write_line(e, w).expect("writing into memory cannot fail");
}

/// Replace `out` with summary.json, inputs.json, explanations.json, graph.svg, trace.jsonl,
/// trace.perfetto.json, stats.txt, stats.prom, one fortio-<load>.json per load and the plots
/// of run `r`, judged as `judged`, and whatever `extra` writes into the same set (given the directory
/// the set is staged in); returns the files written, sorted.
pub fn write_all(
    out: &Path,
    judged: &Judged,
    r: &RunResult,
    extra: &dyn Fn(&Path) -> io::Result<()>,
) -> io::Result<Vec<String>> {
    write_staged(crate::output_dir::Staging::new(out)?, judged, r, extra)
}

/// [`write_all`] into `staging`, which may already hold the trace the run streamed into it
/// during the simulation ([`RunResult::streamed`]); nothing is swapped in when a file failed,
/// the streamed trace's writing or reading back included. A streamed trace is read from the
/// staging directory: once this returns, `r`'s trace has moved with it and is no longer read.
pub fn write_staged(
    staging: Staging,
    judged: &Judged,
    r: &RunResult,
    extra: &dyn Fn(&Path) -> io::Result<()>,
) -> io::Result<Vec<String>> {
    write_files(staging.path(), judged, r)?;
    extra(staging.path())?;
    if let Some(why) = r.trace().failure() {
        return Err(io::Error::other(why));
    }
    staging.commit()
}

fn write_files(dir: &Path, judged: &Judged, r: &RunResult) -> io::Result<()> {
    write_file(
        &dir.join("summary.json"),
        judged.summary.to_json().as_bytes(),
    )?;
    write_file(
        &dir.join("inputs.json"),
        judged.simulated.to_json().as_bytes(),
    )?;
    let mut explanations =
        serde_json::to_string_pretty(&judged.explanations).expect("explanations serialize");
    explanations.push('\n');
    write_file(&dir.join("explanations.json"), explanations.as_bytes())?;
    if let Some(svg) = &judged.graph_svg {
        write_file(&dir.join("graph.svg"), svg.as_bytes())?;
    }
    // A streamed trace is in `dir` already, written as the run went.
    if r.trace_level != TraceLevel::None && r.streamed.is_none() {
        write_streamed(&dir.join("trace.jsonl"), |w| {
            r.events.iter().try_for_each(|e| write_line(e, w))
        })?;
    }
    write_file(&dir.join("stats.txt"), stats_txt(&r.proxies).as_bytes())?;
    write_file(&dir.join("stats.prom"), stats_prom(&r.proxies).as_bytes())?;
    let labels = format!(
        "meshtwin {} seed {}",
        judged.summary.scenario, judged.summary.seed
    );
    for (spec, _, o) in &r.loads {
        let json = fortio_json(spec, o, &labels);
        write_file(
            &dir.join(format!("fortio-{}.json", spec.name)),
            json.as_bytes(),
        )?;
    }
    write_walked(dir, judged, r)
}

/// `trace.perfetto.json` and the plots: they read the trace in two walks.
fn write_walked(dir: &Path, judged: &Judged, r: &RunResult) -> io::Result<()> {
    // The run every plot is headed with.
    let run = &RunLabel {
        scenario: judged.summary.scenario.clone(),
        seed: judged.summary.seed,
    };
    // The plots and the trace-event export's placement read the trace in one walk: the share
    // panels, the pool panels over the whole run and zoomed on each load, the ejections and
    // the failover plot.
    let zoomed: Vec<(&str, (f64, f64))> = (r.loads.iter())
        .filter_map(|(spec, _, o)| {
            let (first, last) = (ms(o.first_start?), ms(o.last_end?));
            // One zoomed plot per load: loads are often milliseconds long in a run of seconds.
            let span = (last - first).max(1.0);
            let (from, to) = (first - span * 0.05, last + span * 0.05);
            Some((spec.name.as_str(), (from.max(0.0), to)))
        })
        .collect();
    let spans = std::iter::once((0.0, ms(r.end))).chain(zoomed.iter().map(|(_, s)| *s));
    let mut pools = PoolPanels::new(spans.collect());
    let mut shares = SharePanels::new(r, &judged.reach);
    let mut health = HealthWalk::new(r, &judged.places, &judged.hosts);
    let mut placement = Placement::new();
    walk_together(
        r.trace(),
        &mut [
            &mut |e| pools.visit(e),
            &mut |e| shares.visit(e),
            &mut |e| health.visit(e),
            &mut |e| placement.visit(e),
        ],
    );
    let proxies: Vec<&str> = r.proxies.keys().map(String::as_str).collect();
    write_streamed(&dir.join("trace.perfetto.json"), |w| {
        write_placed(w, r.trace(), &proxies, placement)
    })?;
    let shares = shares.panels();
    if !shares.is_empty() {
        write_plot(
            dir,
            run,
            "shares",
            "Which workloads the calls reached, over virtual time",
            &shares,
        )?;
    }
    if r.loads.iter().any(|(_, _, o)| !o.calls.is_empty()) {
        let latency = [crate::traffic_plots::latency_panel(r)];
        let x = "latency (s)";
        write_plot_x(dir, run, "latency", "Latency per load", x, &latency)?;
    }
    let mut pools = pools.panels().into_iter();
    let whole = pools.next().expect("the whole run's span");
    write_plot(
        dir,
        run,
        "pool",
        "Connection pools over the whole run",
        &whole,
    )?;
    for ((load, _), panels) in zoomed.iter().zip(pools) {
        let title = format!("Connection pools during load {load}");
        write_plot(dir, run, &format!("pool-{load}"), &title, &panels)?;
    }
    crate::health_plots::write_plots(dir, run, r, health)
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
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    plot_panels(title, run, x_label, panels, &svg, &png)?;
    let data = serde_json::to_string_pretty(&plot_data_json(panels)).expect("plot data");
    write_file(&dir.join(format!("{stem}.json")), data.as_bytes())
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
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    let x_label = "virtual time (s)";
    plot_panels_marked(title, run, x_label, panels, markers, &svg, &png)?;
    let data = plot_data_json_marked(panels, markers);
    let data = serde_json::to_string_pretty(&data).expect("plot data");
    write_file(&dir.join(format!("{stem}.json")), data.as_bytes())
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
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    plot_lanes(title, run, lanes, end_ms, &svg, &png)?;
    let data = serde_json::to_string_pretty(&lanes_data_json(lanes, end_ms)).expect("lane data");
    write_file(&dir.join(format!("{stem}.json")), data.as_bytes())
}
