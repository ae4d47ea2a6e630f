//! Stacked time-series panels sharing one x axis of virtual seconds, drawn to SVG and PNG
//! ([`plot_panels`]), and the same data as JSON ([`plot_data_json`]) for snapshot tests.

mod draw;
mod font;
mod lanes;
mod step;

pub use lanes::{lanes_data_json, lanes_image_size, plot_lanes, MAX_LANES};

use crate::timeseries::Series;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;

/// Image width in pixels.
pub const WIDTH_PX: u32 = 1200;
/// Height of the title strip in pixels.
pub const TITLE_PX: u32 = 50;
/// Height of each panel in pixels.
pub const PANEL_PX: u32 = 300;

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

/// Pixel size of the image [`plot_panels`] draws for `panels` panels:
/// [`WIDTH_PX`] × ([`TITLE_PX`] + panels × [`PANEL_PX`]), at least one panel high.
pub fn image_size(panels: usize) -> (u32, u32) {
    let panels = u32::try_from(panels.max(1)).unwrap_or(u32::MAX);
    (
        WIDTH_PX,
        TITLE_PX.saturating_add(panels.saturating_mul(PANEL_PX)),
    )
}

/// Draws `panels` stacked top to bottom under `title` into an SVG and a PNG file of
/// [`image_size`]. All panels share the x axis: virtual seconds, from 0 (or the earliest point,
/// if earlier) to the latest point; `x_label` names it under the bottom panel. Each panel has
/// its title, `y_label`, a y axis from 0 (or its lowest value) up to its largest value plus room
/// for the legend in the top right corner, and one coloured line per series. Non-finite points
/// are skipped. Text uses an embedded font (DejaVu Sans); the same input gives byte-identical
/// files. Line (non-step) series are drawn point by point, so keep them to a few thousand
/// points; step series cost at most a few rectangles per pixel column.
pub fn plot_panels(
    title: &str,
    x_label: &str,
    panels: &[Panel],
    svg_path: &Path,
    png_path: &Path,
) -> std::io::Result<()> {
    plot_panels_marked(title, x_label, panels, &[], svg_path, png_path)
}

/// [`plot_panels`] with vertical `markers` across every panel (the x range includes them);
/// the legend lists each marker kind present.
pub fn plot_panels_marked(
    title: &str,
    x_label: &str,
    panels: &[Panel],
    markers: &[Marker],
    svg_path: &Path,
    png_path: &Path,
) -> std::io::Result<()> {
    font::register_embedded_font();
    let size = image_size(panels.len());
    let chart = draw::Chart {
        title,
        x_label,
        panels,
        markers,
    };
    draw::svg(&chart, svg_path, size)?;
    draw::png(&chart, png_path, size)
}

/// The plotted data, for snapshot tests:
/// `{"panels": [{"title", "y_label", "step", "series": [{"name", "points": [[t_ms, v], …]}]}]}`
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
            json!({"title": p.title, "y_label": p.y_label, "step": p.step, "series": series})
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
