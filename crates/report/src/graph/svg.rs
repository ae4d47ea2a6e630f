//! The graph as a standalone SVG document: inline styles only, the generic `sans-serif`
//! family, no scripts or external references — safe to embed in a self-contained HTML page.
//! Same graph, same bytes.
//!
//! Edges are grey when every request succeeded and shade from orange to red with their error
//! share; their width grows with the request count. A dashed edge had hosts ejected (or failing
//! health checks); an orange outline of dashes marks failed-over traffic. Each edge is labelled
//! `N req · E% err · p99 X ms` above the line — by its arrow head when its caller fans out to
//! several callees, else halfway — labels nudged down until they overlap no other. The legend wraps to
//! the drawing's width, and the drawing is at least as wide as its title.

use std::fmt::Write;

use super::layout::{layout, Layout, MARGIN, NODE_H, NODE_W};
use super::legend::{legend, legend_items, LEGEND_ROW_H};
use petgraph::Direction;

use super::{Edge, NodeKind, ServiceGraph};

/// Characters of a node name shown in its box (the full name is its tooltip).
const NAME_CHARS: usize = 26;
/// Estimated width of one label character at 11 px, px.
const CHAR_PX: f64 = 6.4;
const LABEL_LINE_PX: f64 = 13.0;
/// Longest list of ejected hosts a label spells out, characters; longer lists name the first
/// host and count the others (the label's tooltip has them all).
const HOSTS_CHARS: usize = 24;
/// Estimated width of one title character at 16 px bold, px.
const TITLE_CHAR_PX: f64 = 10.0;

pub use crate::markup::escape;

/// The stroke colour of an edge with this error share.
pub fn edge_color(error_share: f64) -> String {
    if error_share <= 0.0 {
        return "#7f7f7f".into();
    }
    // Orange (253,141,60) at a sliver of errors to red (189,0,38) when all fail.
    let s = error_share.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * s).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(253.0, 189.0),
        mix(141.0, 0.0),
        mix(60.0, 38.0)
    )
}

/// A share as a percentage a reader can tell from zero: `0%`, `<0.1%`, `0.6%`, `35%`.
pub fn percent(share: f64) -> String {
    let p = 100.0 * share;
    if p <= 0.0 {
        "0%".into()
    } else if p < 0.1 {
        "<0.1%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// The edge's label lines.
pub fn edge_label(e: &Edge) -> Vec<String> {
    let mut first = format!("{} req · {} err", e.requests, percent(e.error_share()));
    if let Some(p) = e.p99_ms() {
        let _ = write!(first, " · p99 {p:.1} ms");
    }
    let mut marks = Vec::new();
    let out = hosts_out(e);
    if !out.is_empty() {
        let all = out.join(", ");
        let shown = if out.len() == 1 || all.chars().count() <= HOSTS_CHARS {
            all
        } else {
            format!("{} and {} more", out[0], out.len() - 1)
        };
        marks.push(format!("ejected: {shown}"));
    }
    if e.failover_requests > 0 {
        marks.push(format!("failover {}", e.failover_requests));
    }
    let mut lines = vec![first];
    if !marks.is_empty() {
        lines.push(marks.join(" · "));
    }
    lines
}

/// The callee hosts the caller took out of rotation (ejected, then unhealthy), by name.
fn hosts_out(e: &Edge) -> Vec<&str> {
    e.ejected_hosts
        .iter()
        .chain(&e.unhealthy_hosts)
        .map(String::as_str)
        .collect()
}

/// The SVG document for `g` under `title`.
pub fn render_svg(g: &ServiceGraph, title: &str) -> String {
    let mut l = layout(g);
    l.width = l
        .width
        .max(2.0 * MARGIN + title.chars().count() as f64 * TITLE_CHAR_PX);
    let items = legend_items(l.width - 2.0 * MARGIN);
    let rows = items.last().map_or(0, |i| i.row + 1) + usize::from(g.unattributed > 0);
    let height = l.bottom + 8.0 + rows as f64 * LEGEND_ROW_H + MARGIN;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{height:.0}" viewBox="0 0 {w:.0} {height:.0}" font-family="sans-serif" font-size="12">"#,
        w = l.width
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    s.push_str(DEFS);
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{:.0}" height="{height:.0}" fill="#ffffff"/>"##,
        l.width
    );
    let _ = writeln!(
        s,
        r##"<text x="{MARGIN}" y="{:.1}" font-size="16" font-weight="bold" fill="#222222">{}</text>"##,
        MARGIN + 18.0,
        escape(title)
    );
    bands(&mut s, &l);
    edges(&mut s, g, &l);
    nodes(&mut s, g, &l);
    legend(&mut s, g, &items, l.bottom);
    s.push_str("</svg>\n");
    s
}

const DEFS: &str = r##"<defs>
<marker id="arrow-ok" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#7f7f7f"/></marker>
<marker id="arrow-err" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#bd0026"/></marker>
</defs>
"##;

fn bands(s: &mut String, l: &Layout) {
    for b in &l.bands {
        let _ = writeln!(
            s,
            r##"<rect x="{MARGIN}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="#f5f7fa" stroke="#c8ced6"/>"##,
            b.y,
            l.width - 2.0 * MARGIN,
            b.height
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="#555555" font-size="12">{}</text>"##,
            MARGIN + 8.0,
            b.y + 17.0,
            escape(&b.group.label())
        );
    }
}

/// The curve from `a`'s box to `b`'s: right side to left side going forward, below both
/// boxes going back or within a column. Returns the path and its midpoint.
fn curve(a: (f64, f64), b: (f64, f64)) -> (String, (f64, f64)) {
    let (p0, p1, p2, p3) = if b.0 > a.0 {
        let (x1, y1) = (a.0 + NODE_W, a.1 + NODE_H / 2.0);
        let (x2, y2) = (b.0, b.1 + NODE_H / 2.0);
        let dx = (x2 - x1) / 2.0;
        ((x1, y1), (x1 + dx, y1), (x2 - dx, y2), (x2, y2))
    } else {
        let (x1, y1) = (a.0 + NODE_W * 0.4, a.1 + NODE_H);
        let (x2, y2) = (b.0 + NODE_W * 0.6, b.1 + NODE_H);
        let dip = 28.0 + (y1 - y2).abs() / 4.0;
        ((x1, y1), (x1, y1 + dip), (x2, y2 + dip), (x2, y2))
    };
    let mid = |i: usize| {
        let c = [p0, p1, p2, p3].map(|p| if i == 0 { p.0 } else { p.1 });
        0.125 * c[0] + 0.375 * c[1] + 0.375 * c[2] + 0.125 * c[3]
    };
    let d = format!(
        "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
        p0.0, p0.1, p1.0, p1.1, p2.0, p2.1, p3.0, p3.1
    );
    (d, (mid(0), mid(1)))
}

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// Every edge's path, then every edge's label on top of all paths (on a white ground, so
/// no other edge runs through it).
fn edges(s: &mut String, g: &ServiceGraph, l: &Layout) {
    let mut labels = String::new();
    let mut placed: Vec<Rect> = Vec::new();
    for e in g.graph.edge_indices() {
        let Some((a, b)) = g.graph.edge_endpoints(e) else {
            continue;
        };
        let edge = &g.graph[e];
        let (d, mid) = curve(l.nodes[&a], l.nodes[&b]);
        let color = edge_color(edge.error_share());
        let width = 1.0 + (edge.requests.max(1) as f64).log10().min(3.0);
        let dash = if edge.ejected() {
            r#" stroke-dasharray="7 4""#
        } else {
            ""
        };
        let arrow = if edge.errors > 0 {
            "arrow-err"
        } else {
            "arrow-ok"
        };
        if edge.failover_requests > 0 {
            let _ = writeln!(
                s,
                r##"<path d="{d}" fill="none" stroke="#fd8d3c" stroke-opacity="0.45" stroke-width="{:.1}" stroke-dasharray="2 3"/>"##,
                width + 6.0
            );
        }
        let _ = writeln!(
            s,
            r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="{width:.1}"{dash} marker-end="url(#{arrow})"><title>{} → {}</title></path>"#,
            escape(&g.graph[a].name),
            escape(&g.graph[b].name)
        );
        let fans_out = {
            let fan_out = g.graph.neighbors_directed(a, Direction::Outgoing).count();
            let fan_in = g.graph.neighbors_directed(b, Direction::Incoming).count();
            fan_out > 1 && fan_out > fan_in
        };
        let at = if fans_out && l.nodes[&b].0 > l.nodes[&a].0 {
            LabelAt::ArrowHead(l.nodes[&b])
        } else {
            LabelAt::Middle(mid)
        };
        label(&mut labels, edge, &color, at, &mut placed);
    }
    s.push_str(&labels);
}

/// A label's box: x, y (top), width, height.
type Rect = (f64, f64, f64, f64);

/// Where an edge's label goes.
enum LabelAt {
    /// Above the edge, right-aligned to the arrow head at the callee's box (its top-left
    /// corner): for a caller calling many callees, whose edges bundle near the caller.
    ArrowHead((f64, f64)),
    /// Above the edge's midpoint, centred.
    Middle((f64, f64)),
}

/// An edge's label, above its line so that the line does not strike it through, nudged down
/// until it overlaps no label `placed` before it.
fn label(s: &mut String, edge: &Edge, color: &str, at: LabelAt, placed: &mut Vec<Rect>) {
    let lines = edge_label(edge);
    let w = lines.iter().map(|t| t.chars().count()).max().unwrap_or(0) as f64 * CHAR_PX;
    let h = lines.len() as f64 * LABEL_LINE_PX;
    let (anchor, x, mut rect) = match at {
        LabelAt::ArrowHead((bx, by)) => {
            let x = bx - 14.0;
            ("end", x, (x - w, by + NODE_H / 2.0 - h - 3.0, w, h))
        }
        LabelAt::Middle((mx, my)) => ("middle", mx, (mx - w / 2.0, my - h - 3.0, w, h)),
    };
    for _ in 0..20 {
        if !placed.iter().any(|p| overlaps(*p, rect)) {
            break;
        }
        rect.1 += LABEL_LINE_PX;
    }
    placed.push(rect);
    let _ = writeln!(
        s,
        r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="#ffffff" fill-opacity="0.85"/>"##,
        rect.0 - 2.0,
        rect.1 + 1.0,
        rect.2 + 4.0,
        rect.3
    );
    let hosts = hosts_out(edge);
    for (i, t) in lines.iter().enumerate() {
        // The line that names ejected hosts carries the whole list as its tooltip.
        let tooltip = if i == 1 && !hosts.is_empty() {
            format!("<title>ejected: {}</title>", escape(&hosts.join(", ")))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            r##"<text x="{x:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11" fill="{color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{tooltip}{}</text>"##,
            rect.1 + 10.0 + i as f64 * LABEL_LINE_PX,
            escape(t)
        );
    }
}

fn nodes(s: &mut String, g: &ServiceGraph, l: &Layout) {
    for n in g.graph.node_indices() {
        let node = &g.graph[n];
        let (x, y) = l.nodes[&n];
        let (fill, stroke, dash) = match node.kind {
            NodeKind::Workload => ("#dbe9f6", "#3b75af", ""),
            NodeKind::Service => ("#ffffff", "#3b75af", r#" stroke-dasharray="4 3""#),
            NodeKind::External => ("#eeeeee", "#777777", ""),
        };
        let shown: String = if node.name.chars().count() > NAME_CHARS {
            let head: String = node.name.chars().take(NAME_CHARS - 1).collect();
            format!("{head}…")
        } else {
            node.name.clone()
        };
        let _ = writeln!(
            s,
            r##"<g><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#1a1a1a">{}</text></g>"##,
            escape(&node.name),
            x + NODE_W / 2.0,
            y + NODE_H / 2.0 + 4.0,
            escape(&shown)
        );
    }
}
