//! The ejections chart: one horizontal lane per (proxy, cluster, host), each interval the host
//! spent out of rotation drawn as a bar from its ejection to its unejection (or to the end of
//! the run), coloured by what took it out.

use super::draw::{heading, tick_label};
use super::font::{register_embedded_font, FAMILY};
use super::{RunLabel, TITLE_PX, WIDTH_PX};
use crate::ejections::{Lane, Source};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

/// Height of one lane in pixels.
pub const LANE_PX: u32 = 40;
/// Lanes drawn at most; the title says how many were left out.
pub const MAX_LANES: usize = 200;
/// Room for the x axis and the legend row.
const FRAME_PX: u32 = 110;

const OUTLIER: RGBColor = RGBColor(214, 39, 40);
const HEALTH_CHECK: RGBColor = RGBColor(255, 127, 14);

/// Pixel size of the image [`plot_lanes`] draws for `lanes` lanes (at most [`MAX_LANES`]).
pub fn lanes_image_size(lanes: usize) -> (u32, u32) {
    let n = u32::try_from(lanes.clamp(1, MAX_LANES)).unwrap_or(1);
    (WIDTH_PX, TITLE_PX + FRAME_PX + n * LANE_PX)
}

/// Draws `lanes` over virtual time `[0, end_ms]` into an SVG and a PNG of
/// [`lanes_image_size`], headed by `title` and `run`; the same input gives byte-identical
/// files.
pub fn plot_lanes(
    title: &str,
    run: &RunLabel,
    lanes: &[Lane],
    end_ms: f64,
    svg_path: &Path,
    png_path: &Path,
) -> std::io::Result<()> {
    register_embedded_font();
    let size = lanes_image_size(lanes.len());
    let run = run.to_string();
    {
        let root = SVGBackend::new(svg_path, size).into_drawing_area();
        draw(&root, title, &run, lanes, end_ms).map_err(io_error)?;
        root.present().map_err(io_error)?;
    }
    let root = BitMapBackend::new(png_path, size).into_drawing_area();
    draw(&root, title, &run, lanes, end_ms).map_err(io_error)?;
    root.present().map_err(io_error)
}

/// The plotted data: `{"end_ms", "lanes": [{"name", "intervals": [{"source",
/// "ejected_at_ms", "unejected_at_ms" (null: still out at the end), "reason",
/// "end_reason"}]}]}`.
pub fn lanes_data_json(lanes: &[Lane], end_ms: f64) -> Value {
    let lanes: Vec<Value> = lanes
        .iter()
        .map(|l| {
            let intervals: Vec<Value> = l
                .intervals
                .iter()
                .map(|e| {
                    json!({
                        "source": e.source,
                        "ejected_at_ms": e.ejected_at_ms,
                        "unejected_at_ms": e.unejected_at_ms,
                        "reason": e.reason,
                        "end_reason": e.end_reason,
                    })
                })
                .collect();
            json!({"name": l.name, "intervals": intervals})
        })
        .collect();
    json!({"end_ms": end_ms, "lanes": lanes})
}

fn io_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    run: &str,
    lanes: &[Lane],
    end_ms: f64,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let shown = &lanes[..lanes.len().min(MAX_LANES)];
    let title = if shown.len() < lanes.len() {
        format!("{title} (first {MAX_LANES} of {} hosts)", lanes.len())
    } else {
        title.to_string()
    };
    heading(root, &title, run)?;
    let (_, body) = root.split_vertically(TITLE_PX);
    let x_end = (end_ms / 1000.0).max(0.001);
    // One spare lane on top for the legend.
    let n = shown.len().max(1) as f64 + 1.0;
    let mut chart = ChartBuilder::on(&body)
        .margin_left(10)
        .margin(5)
        .margin_right(30)
        .x_label_area_size(50)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..x_end, 0.0..n)?;
    chart
        .configure_mesh()
        .x_desc("virtual time (s)")
        .x_label_formatter(&|v| tick_label(*v))
        .y_labels(0)
        .disable_y_mesh()
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    for (source, color, label) in [
        (Source::Outlier, OUTLIER, "outlier ejection"),
        (Source::HealthCheck, HEALTH_CHECK, "failed health check"),
    ] {
        if !shown
            .iter()
            .flat_map(|l| &l.intervals)
            .any(|e| e.source == source)
        {
            continue;
        }
        let bars = shown.iter().enumerate().flat_map(|(i, lane)| {
            let y = n - 1.0 - i as f64 - 1.0;
            lane.intervals
                .iter()
                .filter(move |e| e.source == source)
                .map(move |e| {
                    let from = e.ejected_at_ms / 1000.0;
                    let to = e.unejected_at_ms.map_or(x_end, |t| t / 1000.0);
                    Rectangle::new([(from, y + 0.08), (to.max(from), y + 0.45)], color.filled())
                })
        });
        chart
            .draw_series(bars)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], color.filled()));
    }
    let names = shown.iter().enumerate().map(|(i, lane)| {
        let y = n - 1.0 - i as f64 - 0.05;
        Text::new(lane.name.clone(), (0.0, y), (FAMILY, 14))
    });
    chart.draw_series(names)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(4)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(170, 170, 170))
        .label_font((FAMILY, 14))
        .draw()
}
