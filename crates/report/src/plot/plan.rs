//! The layout of an image's panels before anything is drawn: each panel's legend rows and
//! the top panel's fault-label lane, and so each panel's height ([`super::image_size`]).

use super::draw::{marker_kinds, marker_style, x_range_s, PALETTE};
use super::font::text_width;
use super::labels::{self, Plan};
use super::legend::{self, Placed};
use super::{Marker, MarkerKind, Panel, PANEL_PX, WIDTH_PX};
use plotters::style::RGBColor;

/// The chart's left margin and y-label area, and its right margin: the plotting area spans
/// `[PLOT_LEFT_PX, WIDTH_PX - MARGIN_RIGHT_PX]`.
pub(super) const MARGIN_LEFT_PX: u32 = 10;
pub(super) const Y_LABEL_AREA_PX: u32 = 75;
pub(super) const MARGIN_RIGHT_PX: u32 = 25;
pub(super) const PLOT_LEFT_PX: f64 = (MARGIN_LEFT_PX + Y_LABEL_AREA_PX) as f64;
/// Caption strip, and fault-label rows, px.
pub(super) const CAPTION_PX: f64 = 28.0;
pub(super) const LABEL_ROW_PX: f64 = 18.0;
pub(super) const LABEL_FONT_PX: u32 = 13;

/// How a legend entry's swatch looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    /// A series: a short horizontal line.
    Line(RGBColor),
    /// A marker kind: a short vertical bar.
    Bar(RGBColor),
}

/// The fault labels of an image: where each goes, its text and its marker's time (s).
pub(super) struct Lane {
    pub plan: Plan,
    pub texts: Vec<String>,
    pub t_s: Vec<f64>,
}

/// One panel's strip: its legend, its fault-label lane (top panel only), its height.
pub(super) struct PanelPlan {
    pub legend: Vec<(Placed, Swatch)>,
    pub legend_px: f64,
    pub lane: Option<Lane>,
    pub lane_px: f64,
    pub height_px: f64,
}

pub(super) fn plot_width_px() -> f64 {
    f64::from(WIDTH_PX - MARGIN_RIGHT_PX) - PLOT_LEFT_PX
}

/// The strips of every panel (see [`PanelPlan`]).
pub(super) fn plan(panels: &[Panel], markers: &[Marker]) -> Vec<PanelPlan> {
    let kinds = marker_kinds(markers);
    let (x0, x1) = x_range_s(panels, markers);
    panels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut names: Vec<String> = p.series.iter().map(|s| s.name.clone()).collect();
            let mut swatches: Vec<Swatch> = (0..p.series.len())
                .map(|j| Swatch::Line(PALETTE[j % PALETTE.len()]))
                .collect();
            for k in &kinds {
                let (color, label) = marker_style(*k);
                names.push(label.to_string());
                swatches.push(Swatch::Bar(color));
            }
            let placed = legend::flow(&names, plot_width_px());
            let rows = legend::rows(&placed);
            let legend_px = rows as f64 * legend::ROW_PX;
            let lane = (i == 0).then(|| fault_lane(markers, x0, x1));
            let lane_px = lane
                .as_ref()
                .map_or(0.0, |l| l.plan.rows as f64 * LABEL_ROW_PX);
            PanelPlan {
                legend: placed.into_iter().zip(swatches).collect(),
                legend_px,
                lane,
                lane_px,
                height_px: f64::from(PANEL_PX) + legend_px + lane_px,
            }
        })
        .collect()
}

/// The fault labels' placement over the plotting area's width.
fn fault_lane(markers: &[Marker], x0: f64, x1: f64) -> Lane {
    let faults: Vec<&Marker> = markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Fault && m.t_ms.is_finite())
        .collect();
    let texts: Vec<String> = faults.iter().map(|m| m.label.clone()).collect();
    let spans: Vec<(f64, f64)> = faults
        .iter()
        .zip(&texts)
        .map(|(m, t)| (x_px(m.t_ms / 1000.0, x0, x1), text_width(t, LABEL_FONT_PX)))
        .collect();
    let right = PLOT_LEFT_PX + plot_width_px();
    Lane {
        plan: labels::place(&spans, PLOT_LEFT_PX, right, labels::MAX_ROWS),
        texts,
        t_s: faults.iter().map(|m| m.t_ms / 1000.0).collect(),
    }
}

/// A time in seconds as a pixel column of the plotting area.
pub(super) fn x_px(t_s: f64, x0: f64, x1: f64) -> f64 {
    PLOT_LEFT_PX + (t_s - x0) / (x1 - x0) * plot_width_px()
}
