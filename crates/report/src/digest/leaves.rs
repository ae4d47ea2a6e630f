//! A digest as a list of labelled figures ([`Leaf`]): what [`super::diff`] compares and
//! names. Labels say where a figure is in words a reviewer reads —
//! `load c2 · code 503`, `proxy fortio-0 · cluster.….upstream_rq_pending_overflow`,
//! `proxy fortio-0 · cluster … · host httpbin-0 · ejection 2 · ejected at` — and are unique
//! within a digest, so a golden and a fresh digest match figure by figure.

use std::collections::BTreeMap;
use std::fmt;

use meshtwin_model::scenario::DigestFigure;

use super::{Digest, LoadDigest};

/// The label of the trace's hash.
pub const TRACE_HASH: &str = "trace · sha256";

/// One figure of a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub label: String,
    pub value: LeafValue,
    /// The tolerance that may loosen it; `None`: it must match exactly.
    pub figure: Option<DigestFigure>,
}

/// A figure's value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LeafValue {
    /// Calls, counters, events; a count absent from a digest is 0.
    Count(u64),
    /// Virtual milliseconds.
    Ms(f64),
    Text(String),
}

impl LeafValue {
    /// The value as a number, for tolerances.
    pub fn number(&self) -> Option<f64> {
        match self {
            LeafValue::Count(n) => Some(*n as f64),
            LeafValue::Ms(ms) => Some(*ms),
            LeafValue::Text(_) => None,
        }
    }
}

impl fmt::Display for LeafValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeafValue::Count(n) => write!(f, "{n}"),
            LeafValue::Ms(ms) => write!(f, "{ms} ms"),
            LeafValue::Text(t) => write!(f, "{t}"),
        }
    }
}

struct Leaves(Vec<Leaf>);

impl Leaves {
    fn push(&mut self, label: String, value: LeafValue, figure: Option<DigestFigure>) {
        self.0.push(Leaf {
            label,
            value,
            figure,
        });
    }

    fn text(&mut self, label: String, text: impl Into<String>) {
        self.push(label, LeafValue::Text(text.into()), None);
    }
}

/// Every figure of `d`, in the digest's order.
pub fn leaves(d: &Digest) -> Vec<Leaf> {
    let mut out = Leaves(Vec::new());
    out.text("scenario".into(), d.scenario.clone());
    out.push("seed".into(), LeafValue::Count(d.seed), None);
    for (name, load) in &d.loads {
        load_leaves(&format!("load {name}"), load, &mut out);
    }
    for (pod, counters) in &d.proxies {
        for (stat, n) in counters {
            let label = format!("proxy {pod} · {stat}");
            out.push(label, LeafValue::Count(*n), Some(DigestFigure::Counters));
        }
    }
    ejection_leaves(d, &mut out);
    priority_leaves(d, &mut out);
    let t = &d.trace;
    out.push("trace · events".into(), LeafValue::Count(t.events), None);
    for (kind, n) in &t.kinds {
        out.push(format!("trace · {kind} events"), LeafValue::Count(*n), None);
    }
    out.push(
        "trace · dropped events".into(),
        LeafValue::Count(t.dropped),
        None,
    );
    out.text(TRACE_HASH.into(), t.sha256.clone());
    out.0
}

fn load_leaves(at: &str, l: &LoadDigest, out: &mut Leaves) {
    use DigestFigure as F;
    let count = |n: u64| LeafValue::Count(n);
    out.push(
        format!("{at} · requests"),
        count(l.requests),
        Some(F::Requests),
    );
    for (code, n) in &l.codes {
        out.push(format!("{at} · code {code}"), count(*n), Some(F::Codes));
    }
    for (flags, n) in &l.flags {
        out.push(format!("{at} · flags {flags}"), count(*n), Some(F::Flags));
    }
    let lat = &l.latency_ms;
    let figures = [
        ("min", lat.min, F::MinMs),
        ("avg", lat.avg, F::AvgMs),
        ("p50", lat.p50, F::P50Ms),
        ("p75", lat.p75, F::P75Ms),
        ("p90", lat.p90, F::P90Ms),
        ("p99", lat.p99, F::P99Ms),
        ("p99.9", lat.p99_9, F::P999Ms),
        ("max", lat.max, F::MaxMs),
    ];
    for (name, value, figure) in figures {
        if let Some(ms) = value {
            out.push(
                format!("{at} · latency {name}"),
                LeafValue::Ms(ms),
                Some(figure),
            );
        }
    }
    for (workload, n) in &l.reached {
        out.push(
            format!("{at} · reached {workload}"),
            count(*n),
            Some(F::Reached),
        );
    }
    if let Some(f) = &l.failover {
        let ms = LeafValue::Ms(f.at_ms);
        out.push(format!("{at} · failover at"), ms, Some(F::FailoverMs));
        out.text(format!("{at} · failover from"), f.from_locality.clone());
        out.text(format!("{at} · failover to"), f.to_locality.clone());
    }
}

/// Ejections numbered per (proxy, cluster, host), from 1.
fn ejection_leaves(d: &Digest, out: &mut Leaves) {
    let mut nth: BTreeMap<(&str, &str, &str), u32> = BTreeMap::new();
    for e in &d.ejections {
        let n = nth.entry((&e.proxy, &e.cluster, &e.host)).or_default();
        *n += 1;
        let at = format!(
            "proxy {} · cluster {} · host {} · ejection {n}",
            e.proxy, e.cluster, e.host
        );
        let ejected = LeafValue::Ms(e.ejected_at_ms);
        out.push(
            format!("{at} · ejected at"),
            ejected,
            Some(DigestFigure::EjectionMs),
        );
        let unejected = match e.unejected_at_ms {
            Some(ms) => LeafValue::Ms(ms),
            None => LeafValue::Text("still ejected at the end".into()),
        };
        out.push(
            format!("{at} · unejected at"),
            unejected,
            Some(DigestFigure::EjectionMs),
        );
        out.text(format!("{at} · reason"), e.reason.clone());
    }
}

/// Priority-load changes numbered per (proxy, cluster), from 1.
fn priority_leaves(d: &Digest, out: &mut Leaves) {
    fn slash<T: ToString>(v: &[T]) -> String {
        v.iter().map(T::to_string).collect::<Vec<_>>().join("/")
    }
    let mut nth: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for c in &d.priority_loads {
        let n = nth.entry((&c.proxy, &c.cluster)).or_default();
        *n += 1;
        let at = format!(
            "proxy {} · cluster {} · priority-load change {n}",
            c.proxy, c.cluster
        );
        let t = LeafValue::Ms(c.at_ms);
        out.push(format!("{at} · at"), t, Some(DigestFigure::PriorityLoadMs));
        out.text(format!("{at} · load %"), slash(&c.load));
        out.text(format!("{at} · healthy %"), slash(&c.healthy_percent));
        let panic: Vec<&str> = c
            .panic
            .iter()
            .map(|p| if *p { "yes" } else { "no" })
            .collect();
        out.text(format!("{at} · panic"), slash(&panic));
        out.text(format!("{at} · reason"), c.reason.clone());
    }
}
