//! The service graph's legend: what each kind of edge means, in rows that fit the drawing's
//! width, and how many load requests the graph could not draw.

use std::fmt::Write;

use super::layout::MARGIN;
use super::svg::escape;
use super::ServiceGraph;

/// Estimated width of one legend character at 11 px — generous, so that no font pushes the
/// last entry out of the drawing.
const LEGEND_CHAR_PX: f64 = 6.8;
/// Distance between legend rows, px.
pub const LEGEND_ROW_H: f64 = 20.0;

/// One legend entry: a line sample and what it means.
struct LegendEntry {
    color: &'static str,
    dash: &'static str,
    text: &'static str,
}

const LEGEND: [LegendEntry; 4] = [
    LegendEntry {
        color: "#7f7f7f",
        dash: "",
        text: "no errors",
    },
    LegendEntry {
        color: "#e34a33",
        dash: "",
        text: "errors (darker: larger share)",
    },
    LegendEntry {
        color: "#bd0026",
        dash: r#" stroke-dasharray="7 4""#,
        text: "hosts ejected / unhealthy",
    },
    LegendEntry {
        color: "#fd8d3c",
        dash: r#" stroke-dasharray="2 3""#,
        text: "failed-over traffic",
    },
];

/// A legend entry placed: its row and its x offset from the left margin.
pub struct Placed {
    entry: &'static LegendEntry,
    pub row: usize,
    x: f64,
}

/// The legend's entries left to right, a new row whenever the next would pass `width`.
pub fn legend_items(width: f64) -> Vec<Placed> {
    let mut out = Vec::new();
    let (mut row, mut x) = (0, 0.0);
    for entry in &LEGEND {
        let w = 34.0 + entry.text.chars().count() as f64 * LEGEND_CHAR_PX;
        if x > 0.0 && x + w > width {
            row += 1;
            x = 0.0;
        }
        out.push(Placed { entry, row, x });
        x += w + 24.0;
    }
    out
}

pub fn legend(s: &mut String, g: &ServiceGraph, items: &[Placed], top: f64) {
    for p in items {
        let (x, y) = (MARGIN + p.x, top + 16.0 + p.row as f64 * LEGEND_ROW_H);
        let LegendEntry { color, dash, text } = p.entry;
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="3"{dash}/>"#,
            x + 28.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#333333">{}</text>"##,
            x + 34.0,
            y + 4.0,
            escape(text)
        );
    }
    if g.unattributed > 0 {
        let rows = items.last().map_or(0, |i| i.row + 1);
        let _ = writeln!(
            s,
            r##"<text x="{MARGIN}" y="{:.1}" font-size="11" fill="#333333">{} load requests reached no proxy and named no upstream (not drawn)</text>"##,
            top + 20.0 + rows as f64 * LEGEND_ROW_H,
            g.unattributed
        );
    }
}
