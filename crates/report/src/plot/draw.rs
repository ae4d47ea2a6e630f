//! Drawing the panels on a plotters backend (SVG or bitmap). Each panel is a strip — caption,
//! legend rows, and on the top panel the fault-label lane — over a chart whose plotting area
//! holds only data and marker lines.

use super::axis::{y_range, YAxis};
use super::font::FAMILY;
use super::legend;
use super::plan::{
    plan, x_px, PanelPlan, Swatch, CAPTION_PX, LABEL_FONT_PX, LABEL_ROW_PX, MARGIN_LEFT_PX,
    MARGIN_RIGHT_PX, PLOT_LEFT_PX, Y_LABEL_AREA_PX,
};
use super::step::step_runs;
use super::{Marker, MarkerKind, Panel, WIDTH_PX};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Stroke of every series, in pixels.
const LINE_PX: f64 = 2.0;
const MARGIN_PX: u32 = 5;

/// Line colours, in series order (Tableau 10).
pub(super) const PALETTE: [RGBColor; 10] = [
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
    /// The run line under the title.
    pub run: &'a str,
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

/// The title (bold) and the run line, centred.
pub(super) fn heading<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    run: &str,
) -> DrawResult<DB> {
    let centre = (WIDTH_PX / 2) as i32;
    let top = Pos::new(HPos::Center, VPos::Top);
    // The tuple form loads the bold face; `FontDesc::style` would keep the regular one.
    let bold = (FAMILY, 24, FontStyle::Bold).into_text_style(root).pos(top);
    root.draw_text(title, &bold, (centre, 8))?;
    let small = (FAMILY, 15)
        .into_text_style(root)
        .pos(top)
        .color(&RGBColor(85, 85, 85));
    root.draw_text(run, &small, (centre, 42))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart<'_>) -> DrawResult<DB> {
    let panels = chart.panels;
    root.fill(&WHITE)?;
    heading(root, chart.title, chart.run)?;
    let (_, mut rest) = root.split_vertically(super::TITLE_PX);
    let x_range = x_range_s(panels, chart.markers);
    let plans = plan(panels, chart.markers);
    for (i, (panel, p)) in panels.iter().zip(&plans).enumerate() {
        let (area, below) = rest.split_vertically(p.height_px.round() as i32);
        let x_desc = if i + 1 == panels.len() {
            chart.x_label
        } else {
            ""
        };
        let (strip, chart_area) =
            area.split_vertically((CAPTION_PX + p.legend_px + p.lane_px).round() as i32);
        draw_strip(&strip, panel, p, x_range)?;
        draw_chart(&chart_area, panel, chart.markers, x_desc, x_range)?;
        rest = below;
    }
    Ok(())
}

/// Caption, legend rows and the fault-label lane.
fn draw_strip<DB: DrawingBackend>(
    strip: &DrawingArea<DB, Shift>,
    panel: &Panel,
    p: &PanelPlan,
    (x0, x1): (f64, f64),
) -> DrawResult<DB> {
    let caption = (FAMILY, 19)
        .into_text_style(strip)
        .pos(Pos::new(HPos::Center, VPos::Top));
    strip.draw_text(&panel.title, &caption, ((WIDTH_PX / 2) as i32, 4))?;
    let text = (FAMILY, legend::FONT_PX)
        .into_text_style(strip)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (placed, swatch) in &p.legend {
        let x = (PLOT_LEFT_PX + placed.x_px) as i32;
        let y = (CAPTION_PX + (placed.row as f64 + 0.5) * legend::ROW_PX) as i32;
        let sw = legend::SWATCH_PX as i32;
        match swatch {
            Swatch::Line(c) => {
                strip.draw(&Rectangle::new([(x, y - 1), (x + sw, y + 1)], c.filled()))?
            }
            Swatch::Bar(c) => strip.draw(&Rectangle::new(
                [(x + sw / 2 - 1, y - 6), (x + sw / 2 + 1, y + 6)],
                c.filled(),
            ))?,
        }
        let tx = x + sw + legend::SWATCH_GAP_PX as i32;
        strip.draw_text(&placed.text, &text, (tx, y))?;
    }
    let Some(lane) = &p.lane else {
        return Ok(());
    };
    let top = CAPTION_PX + p.legend_px;
    let bottom = top + p.lane_px;
    let label = (FAMILY, LABEL_FONT_PX)
        .into_text_style(strip)
        .pos(Pos::new(HPos::Left, VPos::Center))
        .color(&FAULT_COLOR);
    for s in &lane.plan.slots {
        let y = top + (s.row as f64 + 0.5) * LABEL_ROW_PX;
        strip.draw_text(&lane.texts[s.index], &label, (s.x_px as i32, y as i32))?;
        let mx = x_px(lane.t_s[s.index], x0, x1) as i32;
        strip.draw(&PathElement::new(
            vec![
                (mx, (y + LABEL_ROW_PX / 2.0 - 2.0) as i32),
                (mx, bottom as i32),
            ],
            FAULT_COLOR.stroke_width(1),
        ))?;
    }
    if lane.plan.hidden > 0 {
        let note = format!("+{} more (see the plot's JSON)", lane.plan.hidden);
        let right = Pos::new(HPos::Right, VPos::Center);
        let y = top + (lane.plan.rows.max(1) as f64 - 0.5) * LABEL_ROW_PX;
        strip.draw_text(
            &note,
            &label.pos(right),
            ((WIDTH_PX - MARGIN_RIGHT_PX) as i32, y as i32),
        )?;
    }
    Ok(())
}

/// The chart: mesh and axes by the panel's [`YAxis`], series, marker lines.
fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    markers: &[Marker],
    x_desc: &str,
    x_s: (f64, f64),
) -> DrawResult<DB> {
    let x_label_px = if x_desc.is_empty() { 28 } else { 50 };
    let y = y_range(panel);
    let mut chart = ChartBuilder::on(area)
        .margin_left(MARGIN_LEFT_PX)
        .margin_right(MARGIN_RIGHT_PX)
        .margin_top(MARGIN_PX)
        .margin_bottom(MARGIN_PX)
        .x_label_area_size(x_label_px)
        .y_label_area_size(Y_LABEL_AREA_PX)
        .build_cartesian_2d(x_s.0..x_s.1, y.lo..y.hi)?;
    let whole = panel.y_axis == YAxis::Count;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(&panel.y_label)
        .y_labels(y.labels)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| {
            if whole && (v - v.round()).abs() > 1e-9 {
                String::new()
            } else {
                tick_label(*v)
            }
        })
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    let (w_px, h_px) = chart.plotting_area().dim_in_pixel();
    // Half a stroke, in data units, so step bars are LINE_PX thick on screen.
    let half_x = (x_s.1 - x_s.0) / f64::from(w_px.max(1)) * LINE_PX / 2.0;
    let half_y = (y.hi - y.lo) / f64::from(h_px.max(1)) * LINE_PX / 2.0;
    for (j, series) in panel.series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter(|(t, v)| t.is_finite() && (v.is_finite() || (panel.step && v.is_nan())))
            .map(|&(t, v)| (t / 1000.0, v))
            .collect();
        if panel.step {
            let runs = step_runs(&points, x_s.0, x_s.1, w_px as usize);
            chart.draw_series(runs.into_iter().map(|r| {
                let pad_x = if r.lo < r.hi { half_x } else { 0.0 };
                Rectangle::new(
                    [
                        (r.x_from - pad_x, r.hi + half_y),
                        (r.x_to + pad_x, r.lo - half_y),
                    ],
                    color.filled(),
                )
            }))?;
        } else {
            chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
        }
    }
    for kind in marker_kinds(markers) {
        let (color, _) = marker_style(kind);
        let lines = markers.iter().filter(|m| m.kind == kind).map(|m| {
            let x = m.t_ms / 1000.0;
            PathElement::new(vec![(x, y.lo), (x, y.hi)], color.stroke_width(1))
        });
        chart.draw_series(lines)?;
    }
    Ok(())
}

/// Fault markers' colour.
const FAULT_COLOR: RGBColor = RGBColor(40, 40, 40);

/// Colour and legend text of a marker kind.
pub(super) fn marker_style(kind: MarkerKind) -> (RGBColor, &'static str) {
    match kind {
        MarkerKind::Fault => (FAULT_COLOR, "fault"),
        MarkerKind::Ejection => (RGBColor(214, 39, 40), "ejection"),
    }
}

/// The marker kinds present, in order.
pub(super) fn marker_kinds(markers: &[Marker]) -> Vec<MarkerKind> {
    let mut kinds: Vec<MarkerKind> = markers.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
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
pub(super) fn x_range_s(panels: &[Panel], markers: &[Marker]) -> (f64, f64) {
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
