//! Stacked time-series panels sharing one x axis of virtual seconds, drawn to SVG and PNG
//! ([`plot_panels`]), and the same data as JSON ([`plot_data_json`]) for snapshot tests.
//!
//! Every image is headed by its title and the run it shows ([`RunLabel`]: scenario and seed).
//! Each panel's legend is a strip above its plotting area and fault labels have a lane of
//! their own above the top panel ([`labels`]: staggered so they never overlap), so the data
//! decide the axes: shares run exactly 0–1, counts have whole-number ticks ([`YAxis`]).

mod axis;
mod draw;
mod font;
pub mod labels;
mod lanes;
pub mod legend;
mod plan;
mod step;

pub use axis::{y_range, YAxis, YRange};
pub use lanes::{lanes_data_json, lanes_image_size, plot_lanes, MAX_LANES};

use crate::timeseries::Series;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;

/// Image width in pixels.
pub const WIDTH_PX: u32 = 1200;
/// Height of the heading (title and run line) in pixels.
pub const TITLE_PX: u32 = 72;
/// Height of each panel without its legend rows (and, on the top panel, fault-label rows).
pub const PANEL_PX: u32 = 300;

/// Which run an image shows: printed under its title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLabel {
    pub scenario: String,
    pub seed: u64,
}

impl std::fmt::Display for RunLabel {
    /// `scenario <name> · seed <n>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "scenario {} · seed {}", self.scenario, self.seed)
    }
}

/// One chart in a stack: its series share the panel's y axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Draw each series as a step function (a value holds until the next point, and the last
    /// one to the right edge; drawn per pixel column, so sub-pixel pulses stay visible)
    /// instead of straight segments between points.
    pub step: bool,
    /// What the values are, which decides the y axis.
    #[serde(default)]
    pub y_axis: YAxis,
}

/// What a [`Marker`] marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    /// A fault or change from the scenario's timeline (drawn dashed, labelled).
    Fault,
    /// A host left rotation (outlier ejection or failed health check; drawn thin red).
    Ejection,
}

/// A vertical line across every panel at a virtual time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub t_ms: f64,
    pub kind: MarkerKind,
    /// Shown beside fault markers.
    pub label: String,
}

/// Pixel size of the image [`plot_panels_marked`] draws: [`WIDTH_PX`] wide; [`TITLE_PX`] plus,
/// per panel, [`PANEL_PX`] and its legend rows (the top panel also its fault-label rows) high;
/// at least one panel high.
pub fn image_size(panels: &[Panel], markers: &[Marker]) -> (u32, u32) {
    let plans = plan::plan(panels, markers);
    let body: f64 = plans.iter().map(|p| p.height_px).sum();
    let body = if plans.is_empty() {
        f64::from(PANEL_PX)
    } else {
        body
    };
    (WIDTH_PX, TITLE_PX + body.ceil() as u32)
}

/// Draws `panels` stacked top to bottom under `title` and `run` into an SVG and a PNG file of
/// [`image_size`]. All panels share the x axis: virtual seconds, from 0 (or the earliest point,
/// if earlier) to the latest point; `x_label` names it under the bottom panel. Each panel has
/// its title, a legend strip, `y_label`, a y axis by its [`YAxis`], and one coloured line per
/// series. Non-finite points are skipped. Text uses an embedded font (DejaVu Sans); the same
/// input gives byte-identical files. Line (non-step) series are drawn point by point, so keep
/// them to a few thousand points; step series cost at most a few rectangles per pixel column.
pub fn plot_panels(
    title: &str,
    run: &RunLabel,
    x_label: &str,
    panels: &[Panel],
    svg_path: &Path,
    png_path: &Path,
) -> std::io::Result<()> {
    plot_panels_marked(title, run, x_label, panels, &[], svg_path, png_path)
}

/// [`plot_panels`] with vertical `markers` across every panel (the x range includes them);
/// fault markers are labelled in a lane above the top panel, and each panel's legend lists
/// each marker kind present.
pub fn plot_panels_marked(
    title: &str,
    run: &RunLabel,
    x_label: &str,
    panels: &[Panel],
    markers: &[Marker],
    svg_path: &Path,
    png_path: &Path,
) -> std::io::Result<()> {
    font::register_embedded_font();
    let size = image_size(panels, markers);
    let run = run.to_string();
    let chart = draw::Chart {
        title,
        run: &run,
        x_label,
        panels,
        markers,
    };
    draw::svg(&chart, svg_path, size)?;
    draw::png(&chart, png_path, size)
}

/// The plotted data, for snapshot tests:
/// `{"panels": [{"title", "y_label", "y_axis", "step", "series": [{"name", "points": [[t_ms,
/// v], …]}]}]}`
/// (non-finite values become `null`).
pub fn plot_data_json(panels: &[Panel]) -> Value {
    let panels: Vec<Value> = panels
        .iter()
        .map(|p| {
            let series: Vec<Value> = p
                .series
                .iter()
                .map(|s| json!({"name": s.name, "points": s.points}))
                .collect();
            json!({
                "title": p.title,
                "y_label": p.y_label,
                "y_axis": p.y_axis,
                "step": p.step,
                "series": series,
            })
        })
        .collect();
    json!({ "panels": panels })
}

/// [`plot_data_json`] plus `"markers": [{"t_ms", "kind", "label"}, …]`.
pub fn plot_data_json_marked(panels: &[Panel], markers: &[Marker]) -> Value {
    let mut v = plot_data_json(panels);
    v["markers"] = json!(markers);
    v
}

#[cfg(test)]
mod tests;
