//! Deterministic positions: one horizontal band per group (region / zone / cluster, in name
//! order), and inside the bands one column per call depth — a node's distance from the nearest
//! node nothing calls (the loads' sources) — so calls run left to right. Nodes of one band and
//! column stack in name order.

use std::collections::{BTreeMap, VecDeque};

use petgraph::graph::NodeIndex;
use petgraph::Direction;

use super::{Group, ServiceGraph};

/// Node box size, px.
pub const NODE_W: f64 = 200.0;
pub const NODE_H: f64 = 36.0;
/// Distance between columns, px.
pub const COL_W: f64 = 420.0;
/// Distance between stacked nodes, px.
pub const ROW_H: f64 = 64.0;
/// Band title strip and padding, px.
pub const BAND_HEADER: f64 = 26.0;
pub const BAND_PAD: f64 = 14.0;
pub const BAND_GAP: f64 = 10.0;
/// Outer margin, and room on top for the title.
pub const MARGIN: f64 = 20.0;
pub const TITLE_H: f64 = 34.0;

/// A band: its group and vertical extent.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub group: Group,
    pub y: f64,
    pub height: f64,
}

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Top-left corner of each node's box, by node index.
    pub nodes: BTreeMap<NodeIndex, (f64, f64)>,
    /// Each node's call depth (its column).
    pub depth: BTreeMap<NodeIndex, usize>,
    pub bands: Vec<Band>,
    /// Width of the drawing area and the y where the bands end.
    pub width: f64,
    pub bottom: f64,
}

/// Each node's distance from the nearest node without callers (BFS along edges); nodes only
/// reachable through cycles, or not at all, get depth 0.
pub fn depths(g: &ServiceGraph) -> BTreeMap<NodeIndex, usize> {
    let gr = &g.graph;
    let mut depth: BTreeMap<NodeIndex, usize> = BTreeMap::new();
    let mut queue: VecDeque<NodeIndex> = gr
        .node_indices()
        .filter(|n| {
            gr.neighbors_directed(*n, Direction::Incoming)
                .next()
                .is_none()
        })
        .collect();
    for n in &queue {
        depth.insert(*n, 0);
    }
    while let Some(n) = queue.pop_front() {
        let d = depth[&n];
        let mut next: Vec<NodeIndex> = gr.neighbors_directed(n, Direction::Outgoing).collect();
        next.sort();
        for m in next {
            if let std::collections::btree_map::Entry::Vacant(v) = depth.entry(m) {
                v.insert(d + 1);
                queue.push_back(m);
            }
        }
    }
    for n in gr.node_indices() {
        depth.entry(n).or_insert(0);
    }
    depth
}

/// One band's nodes by column: depth → (name, node).
type Columns<'a> = BTreeMap<usize, Vec<(&'a str, NodeIndex)>>;

/// Lay the graph out.
pub fn layout(g: &ServiceGraph) -> Layout {
    let depth = depths(g);
    // group → depth → nodes (name order).
    let mut cells: BTreeMap<&Group, Columns<'_>> = BTreeMap::new();
    for n in g.graph.node_indices() {
        let node = &g.graph[n];
        cells
            .entry(&node.group)
            .or_default()
            .entry(depth[&n])
            .or_default()
            .push((node.name.as_str(), n));
    }
    let columns = depth.values().max().map_or(1, |d| d + 1);
    let width = 2.0 * MARGIN + (columns - 1) as f64 * COL_W + NODE_W + 2.0 * BAND_PAD;
    let mut nodes = BTreeMap::new();
    let mut bands = Vec::new();
    let mut y = MARGIN + TITLE_H;
    for (group, by_depth) in cells {
        let rows = by_depth.values().map(Vec::len).max().unwrap_or(1);
        let height = BAND_HEADER + rows as f64 * ROW_H - (ROW_H - NODE_H) + 2.0 * BAND_PAD;
        for (d, mut list) in by_depth {
            list.sort();
            for (row, (_, n)) in list.into_iter().enumerate() {
                let x = MARGIN + BAND_PAD + d as f64 * COL_W;
                let ny = y + BAND_HEADER + BAND_PAD + row as f64 * ROW_H;
                nodes.insert(n, (x, ny));
            }
        }
        bands.push(Band {
            group: group.clone(),
            y,
            height,
        });
        y += height + BAND_GAP;
    }
    Layout {
        nodes,
        depth,
        bands,
        width,
        bottom: y,
    }
}
