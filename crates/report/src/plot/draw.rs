//! Drawing the panels on a plotters backend (SVG or bitmap).

use super::font::FAMILY;
use super::Panel;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

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

pub(super) fn svg(
    title: &str,
    x_label: &str,
    panels: &[Panel],
    path: &Path,
    size: (u32, u32),
) -> std::io::Result<()> {
    let root = SVGBackend::new(path, size).into_drawing_area();
    draw(&root, title, x_label, panels).map_err(io_error)?;
    root.present().map_err(io_error)
}

pub(super) fn png(
    title: &str,
    x_label: &str,
    panels: &[Panel],
    path: &Path,
    size: (u32, u32),
) -> std::io::Result<()> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw(&root, title, x_label, panels).map_err(io_error)?;
    root.present().map_err(io_error)
}

fn io_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    panels: &[Panel],
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let body = root.titled(title, (FAMILY, 26).into_font().style(FontStyle::Bold))?;
    let (x_from, x_to) = x_range_s(panels);
    let areas = body.split_evenly((panels.len().max(1), 1));
    for (i, (area, panel)) in areas.iter().zip(panels).enumerate() {
        let x_desc = if i + 1 == panels.len() { x_label } else { "" };
        draw_panel(area, panel, x_desc, x_from..x_to)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_desc: &str,
    x_s: std::ops::Range<f64>,
) -> DrawResult<DB> {
    let y_max = finite_points(panel)
        .map(|(_, v)| v)
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 18))
        .margin_left(10)
        .margin_right(25)
        .margin_top(5)
        .margin_bottom(5)
        .x_label_area_size(if x_desc.is_empty() { 25 } else { 45 })
        .y_label_area_size(70)
        .build_cartesian_2d(x_s.clone(), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(&panel.y_label)
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| tick_label(*v))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (j, series) in panel.series.iter().enumerate() {
        let style = PALETTE[j % PALETTE.len()].stroke_width(2);
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter(|(t, v)| t.is_finite() && v.is_finite())
            .map(|&(t, v)| (t / 1000.0, v))
            .collect();
        let points = if panel.step {
            step_points(&points, x_s.end)
        } else {
            points
        };
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(series.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    if !panel.series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font((FAMILY, 13))
            .draw()?;
    }
    Ok(())
}

fn finite_points(panel: &Panel) -> impl Iterator<Item = (f64, f64)> + '_ {
    panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(t, v)| t.is_finite() && v.is_finite())
}

/// The shared x range in seconds: from 0 (or the earliest point) to the latest point, at
/// least one second wide.
fn x_range_s(panels: &[Panel]) -> (f64, f64) {
    let (lo, hi) = panels
        .iter()
        .flat_map(finite_points)
        .fold((0.0f64, 0.0f64), |(lo, hi), (t, _)| (lo.min(t), hi.max(t)));
    let (lo, hi) = (lo / 1000.0, hi / 1000.0);
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

/// A step function through `points`: each value holds until the next point's time, the last
/// until `x_end`.
pub(super) fn step_points(points: &[(f64, f64)], x_end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 1);
    for (i, &(t, v)) in points.iter().enumerate() {
        out.push((t, v));
        match points.get(i + 1) {
            Some(&(next_t, _)) => out.push((next_t, v)),
            None if x_end > t => out.push((x_end, v)),
            None => {}
        }
    }
    out
}

/// Axis numbers: integers without decimals, others with up to three.
fn tick_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v.round() + 0.0)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
