//! Stacked time-series panels sharing one x axis of virtual seconds, drawn to SVG and PNG
//! ([`plot_panels`]), and the same data as JSON ([`plot_data_json`]) for snapshot tests.

mod draw;
mod font;
mod step;

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
    font::register_embedded_font();
    let size = image_size(panels.len());
    draw::svg(title, x_label, panels, svg_path, size)?;
    draw::png(title, x_label, panels, png_path, size)
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

#[cfg(test)]
mod tests;
