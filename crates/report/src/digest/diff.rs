//! A golden digest against a fresh one, figure by figure: every figure that moved, with its
//! label, old and new value — `load c2 · code 503: 5 → 1` — unless the scenario's
//! `digest.tolerance` allows the move.
//!
//! A count absent from a digest is 0 (`code 503: 0 → 3`); any other figure absent on one side
//! reads `none`. The trace's hash is compared exactly; when the scenario sets any tolerance
//! it is not compared (any latency that moves within a tolerance changes the trace), and a
//! different hash is only noted.

use std::collections::BTreeMap;

use meshtwin_model::scenario::{DigestFigure, DigestOptions};

use super::leaves::{leaves, Leaf, LeafValue, TRACE_HASH};
use super::Digest;

/// One figure that moved beyond its tolerance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub label: String,
    pub old: Option<LeafValue>,
    pub new: Option<LeafValue>,
}

/// What differs between a golden digest and a fresh one (serialisable: a sharded
/// `meshtwin test` hands it to `meshtwin merge`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DigestDiff {
    /// Figures that moved beyond their tolerance, in the digests' order.
    pub changes: Vec<Change>,
    /// Figures that moved within their tolerance.
    pub tolerated: usize,
    /// The trace hash differs but was not compared (the scenario sets tolerances, or the run
    /// kept less than the full trace: [`DigestDiff::without_trace`]).
    pub trace_not_compared: bool,
}

impl DigestDiff {
    /// This diff without the figures a run that kept less than the full trace cannot have:
    /// the trace's own (events, kinds, hash) and what is read from every request's events
    /// (the workloads each load reached, its failover).
    pub fn without_trace(mut self) -> Self {
        self.changes.retain(|c| {
            !(c.label.starts_with("trace · ")
                || c.label.contains(" · reached ")
                || c.label.contains(" · failover "))
        });
        self.trace_not_compared = true;
        self
    }

    /// Whether the fresh digest matches the golden one.
    pub fn matches(&self) -> bool {
        self.changes.is_empty()
    }

    /// One line per change (`label: old → new`), at most `limit`, then how many more; then
    /// notes on tolerated figures and an uncompared trace.
    pub fn lines(&self, limit: usize) -> Vec<String> {
        let mut out: Vec<String> = self.changes.iter().take(limit).map(line).collect();
        if self.changes.len() > limit {
            out.push(format!(
                "… and {} more (rewrite the digest with --update and read its diff)",
                self.changes.len() - limit
            ));
        }
        if self.tolerated > 0 {
            out.push(format!(
                "({} figure(s) moved within the scenario's digest.tolerance)",
                self.tolerated
            ));
        }
        if self.trace_not_compared {
            out.push(
                "(the trace differs; not compared: the scenario sets digest.tolerance, or the run \
                 kept less than the full trace)"
                    .into(),
            );
        }
        out
    }
}

fn shown(v: &Option<LeafValue>, other: &Option<LeafValue>) -> String {
    match (v, other) {
        (Some(v), _) => v.to_string(),
        (None, Some(LeafValue::Count(_))) => "0".into(),
        (None, _) => "none".into(),
    }
}

fn line(c: &Change) -> String {
    format!(
        "{}: {} → {}",
        c.label,
        shown(&c.old, &c.new),
        shown(&c.new, &c.old)
    )
}

/// The tolerance of `figure` in `options`: its own, or for a latency figure `latency_ms`'s.
fn tolerance(
    options: &DigestOptions,
    figure: DigestFigure,
) -> Option<meshtwin_model::scenario::Tolerance> {
    use DigestFigure as F;
    let latency = matches!(
        figure,
        F::MinMs | F::AvgMs | F::P50Ms | F::P75Ms | F::P90Ms | F::P99Ms | F::P999Ms | F::MaxMs
    );
    options
        .tolerance
        .get(&figure)
        .or_else(|| {
            latency
                .then(|| options.tolerance.get(&F::LatencyMs))
                .flatten()
        })
        .copied()
}

/// Whether a move from `old` to `new` of a figure is within the scenario's tolerance.
fn tolerated(
    options: &DigestOptions,
    leaf: &Leaf,
    old: &Option<LeafValue>,
    new: &Option<LeafValue>,
) -> bool {
    let Some(t) = leaf.figure.and_then(|f| tolerance(options, f)) else {
        return false;
    };
    let number = |v: &Option<LeafValue>, other: &Option<LeafValue>| match (v, other) {
        (Some(v), _) => v.number(),
        (None, Some(LeafValue::Count(_))) => Some(0.0),
        (None, _) => None,
    };
    match (number(old, new), number(new, old)) {
        (Some(a), Some(b)) => t.allows(a, b),
        _ => false,
    }
}

/// Compare a fresh digest with the golden one under the scenario's `options`.
pub fn diff(golden: &Digest, fresh: &Digest, options: &DigestOptions) -> DigestDiff {
    let old = leaves(golden);
    let new = leaves(fresh);
    let old_by: BTreeMap<&str, &Leaf> = old.iter().map(|l| (l.label.as_str(), l)).collect();
    let new_by: BTreeMap<&str, &Leaf> = new.iter().map(|l| (l.label.as_str(), l)).collect();
    let mut out = DigestDiff::default();
    for label in union_order(&old, &new) {
        let (o, n) = (old_by.get(label), new_by.get(label));
        let (ov, nv) = (o.map(|l| l.value.clone()), n.map(|l| l.value.clone()));
        let same = match (&ov, &nv) {
            (Some(a), Some(b)) => a == b,
            (Some(LeafValue::Count(0)), None) | (None, Some(LeafValue::Count(0))) => true,
            _ => false,
        };
        if same {
            continue;
        }
        let leaf = o.or(n).expect("a label comes from one side");
        if label == TRACE_HASH && !options.tolerance.is_empty() {
            out.trace_not_compared = true;
        } else if tolerated(options, leaf, &ov, &nv) {
            out.tolerated += 1;
        } else {
            out.changes.push(Change {
                label: label.to_string(),
                old: ov,
                new: nv,
            });
        }
    }
    out
}

/// Every label of `old` and `new` once: `old`'s order, with each label only in `new` placed
/// after the label that precedes it in `new`.
fn union_order<'a>(old: &'a [Leaf], new: &'a [Leaf]) -> Vec<&'a str> {
    let mut out: Vec<&str> = old.iter().map(|l| l.label.as_str()).collect();
    let mut known: std::collections::BTreeSet<&str> = out.iter().copied().collect();
    for (i, l) in new.iter().enumerate() {
        if known.contains(l.label.as_str()) {
            continue;
        }
        let at = match i.checked_sub(1) {
            None => 0,
            Some(prev) => {
                let prev = new[prev].label.as_str();
                out.iter()
                    .position(|x| *x == prev)
                    .map_or(out.len(), |p| p + 1)
            }
        };
        out.insert(at, &l.label);
        known.insert(&l.label);
    }
    out
}
