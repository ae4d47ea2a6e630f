//! Drawing the panels on a plotters backend (SVG or bitmap).

use super::font::FAMILY;
use super::step::step_runs;
use super::{Marker, MarkerKind, Panel};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Stroke of every series, in pixels.
const LINE_PX: f64 = 2.0;
const MARGIN_PX: u32 = 5;
const LEGEND_FONT_PX: u32 = 14;
const LEGEND_MARGIN_PX: u32 = 8;

/// Line colours, in series order (Tableau 10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// What one image shows.
pub(super) struct Chart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub panels: &'a [Panel],
    pub markers: &'a [Marker],
}

pub(super) fn svg(chart: &Chart<'_>, path: &Path, size: (u32, u32)) -> std::io::Result<()> {
    let root = SVGBackend::new(path, size).into_drawing_area();
    draw(&root, chart).map_err(io_error)?;
    root.present().map_err(io_error)
}

pub(super) fn png(chart: &Chart<'_>, path: &Path, size: (u32, u32)) -> std::io::Result<()> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw(&root, chart).map_err(io_error)?;
    root.present().map_err(io_error)
}

fn io_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart<'_>) -> DrawResult<DB> {
    let panels = chart.panels;
    root.fill(&WHITE)?;
    // The tuple form loads the bold face; `FontDesc::style` would keep the regular one.
    let body = root.titled(chart.title, (FAMILY, 24, FontStyle::Bold))?;
    let (x_from, x_to) = x_range_s(panels, chart.markers);
    let areas = body.split_evenly((panels.len().max(1), 1));
    for (i, (area, panel)) in areas.iter().zip(panels).enumerate() {
        let x_desc = if i + 1 == panels.len() {
            chart.x_label
        } else {
            ""
        };
        draw_panel(area, panel, chart.markers, x_desc, x_from..x_to)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    markers: &[Marker],
    x_desc: &str,
    x_s: std::ops::Range<f64>,
) -> DrawResult<DB> {
    let x_label_px = if x_desc.is_empty() { 28 } else { 50 };
    let kinds = marker_kinds(markers);
    let (y_lo, y_hi) = y_range(panel, kinds.len(), area.dim_in_pixel().1, x_label_px);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 19))
        .margin_left(10)
        .margin_right(25)
        .margin_top(MARGIN_PX)
        .margin_bottom(MARGIN_PX)
        .x_label_area_size(x_label_px)
        .y_label_area_size(75)
        .build_cartesian_2d(x_s.clone(), y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(&panel.y_label)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| tick_label(*v))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    let (w_px, h_px) = chart.plotting_area().dim_in_pixel();
    // Half a stroke, in data units, so step bars are LINE_PX thick on screen.
    let half_x = (x_s.end - x_s.start) / f64::from(w_px.max(1)) * LINE_PX / 2.0;
    let half_y = (y_hi - y_lo) / f64::from(h_px.max(1)) * LINE_PX / 2.0;
    for (j, series) in panel.series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter(|(t, v)| t.is_finite() && (v.is_finite() || (panel.step && v.is_nan())))
            .map(|&(t, v)| (t / 1000.0, v))
            .collect();
        let drawn = if panel.step {
            let runs = step_runs(&points, x_s.start, x_s.end, w_px as usize);
            chart.draw_series(runs.into_iter().map(|r| {
                let pad_x = if r.lo < r.hi { half_x } else { 0.0 };
                Rectangle::new(
                    [
                        (r.x_from - pad_x, r.hi + half_y),
                        (r.x_to + pad_x, r.lo - half_y),
                    ],
                    color.filled(),
                )
            }))?
        } else {
            chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?
        };
        drawn
            .label(series.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 1), (x + 20, y + 1)], color.filled()));
    }
    for kind in &kinds {
        let (color, label) = marker_style(*kind);
        let lines = markers.iter().filter(|m| m.kind == *kind).map(|m| {
            let x = m.t_ms / 1000.0;
            PathElement::new(vec![(x, y_lo), (x, y_hi)], color.stroke_width(1))
        });
        chart
            .draw_series(lines)?
            .label(label)
            .legend(move |(x, y)| {
                Rectangle::new([(x + 9, y - 6), (x + 11, y + 6)], color.filled())
            });
    }
    let font_px = f64::from(LEGEND_FONT_PX);
    let label_y = y_hi - (y_hi - y_lo) * font_px / f64::from(h_px.max(1));
    for m in markers.iter().filter(|m| m.kind == MarkerKind::Fault) {
        chart.draw_series(std::iter::once(Text::new(
            format!(" {}", m.label),
            (m.t_ms / 1000.0, label_y),
            (FAMILY, LEGEND_FONT_PX).into_font().color(&FAULT_COLOR),
        )))?;
    }
    if !panel.series.is_empty() || !kinds.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(LEGEND_MARGIN_PX)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(170, 170, 170))
            .label_font((FAMILY, LEGEND_FONT_PX))
            .draw()?;
    }
    Ok(())
}

/// Fault markers' colour.
const FAULT_COLOR: RGBColor = RGBColor(40, 40, 40);

/// Colour and legend text of a marker kind.
fn marker_style(kind: MarkerKind) -> (RGBColor, &'static str) {
    match kind {
        MarkerKind::Fault => (FAULT_COLOR, "fault"),
        MarkerKind::Ejection => (RGBColor(214, 39, 40), "ejection"),
    }
}

/// The marker kinds present, in order.
fn marker_kinds(markers: &[Marker]) -> Vec<MarkerKind> {
    let mut kinds: Vec<MarkerKind> = markers.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The y axis: from 0 (or the lowest value) to above the highest, with room at the top for
/// the legend (series and `marker_kinds` entries) so it never hides a line.
fn y_range(panel: &Panel, marker_kinds: usize, area_h_px: u32, x_label_px: u32) -> (f64, f64) {
    let (lo, hi) =
        finite_points(panel).fold((0.0f64, 0.0f64), |(lo, hi), (_, v)| (lo.min(v), hi.max(v)));
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let plot_h_px = f64::from(
        area_h_px
            .saturating_sub(x_label_px + 2 * MARGIN_PX + 30)
            .max(1),
    );
    let entries = panel.series.len() + marker_kinds;
    let legend_px = if entries == 0 {
        0.0
    } else {
        entries as f64 * f64::from(LEGEND_FONT_PX + 6) + f64::from(2 * LEGEND_MARGIN_PX)
    };
    let legend_share = (legend_px / plot_h_px).min(0.6);
    let span = (hi - lo) * 1.05 / (1.0 - legend_share);
    (lo, lo + span)
}

fn finite_points(panel: &Panel) -> impl Iterator<Item = (f64, f64)> + '_ {
    panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(t, v)| t.is_finite() && v.is_finite())
}

/// The shared x range in seconds: from the earliest point or marker to the latest (0 to 1 s
/// when there is none; one millisecond wide at least).
fn x_range_s(panels: &[Panel], markers: &[Marker]) -> (f64, f64) {
    let marks = markers.iter().map(|m| m.t_ms).filter(|t| t.is_finite());
    let (lo, hi) = panels
        .iter()
        .flat_map(finite_points)
        .map(|(t, _)| t)
        .chain(marks)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
            (lo.min(t), hi.max(t))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    let (lo, hi) = (lo / 1000.0, hi / 1000.0);
    (lo, if hi > lo { hi } else { lo + 0.001 })
}

/// Axis numbers: integers without decimals, others with up to three.
pub(super) fn tick_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round() + 0.0)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
