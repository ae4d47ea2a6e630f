//! Golden digests for `meshtwin test`: a run reduced to what a reviewer of a policy change
//! cares about, in a stable, path-independent, diff-friendly text.
//!
//! A [`Digest`] holds, per load, its calls, status codes, response flags, latency
//! percentiles, the workloads its calls reached and its failover; per proxy, the non-zero
//! counters people chart ([`charted`]); every outlier ejection interval; every priority-load
//! change; and the trace's event counts with the SHA-256 of `trace.jsonl`, so a behavioural
//! change is caught even where no summarised number moves. No path appears in it (a timeline's
//! policy file is named in the trace as the scenario writes it), so a digest is the same from
//! any working directory and on any machine.
//!
//! The file is pretty JSON with every object's keys sorted ([`Digest::to_text`]). [`diff`]
//! compares a golden digest with a fresh one figure by figure ([`leaves`]), within the
//! scenario's tolerances, and names every change with its old and new value.

pub mod charted;
pub mod diff;
pub mod leaves;

use std::collections::BTreeMap;

use meshtwin_model::event::EventKind;
use meshtwin_model::trace::EventSource;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::failover::Failover;
use crate::fortio::LatencySummary;
use crate::summary::Summary;

/// The digest format this meshtwin writes; a golden digest of another format is not diffed.
pub const FORMAT: u32 = 1;

/// One run's digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// [`FORMAT`] when written.
    pub format: u32,
    /// The scenario's `name`.
    pub scenario: String,
    pub seed: u64,
    pub loads: BTreeMap<String, LoadDigest>,
    /// Per pod, its non-zero [`charted`] counters under Envoy's names.
    pub proxies: BTreeMap<String, BTreeMap<String, u64>>,
    /// Every outlier ejection, in proxy, cluster, host, time order.
    pub ejections: Vec<EjectionDigest>,
    /// Every change of a proxy's priority load, in proxy, cluster, time order.
    pub priority_loads: Vec<PriorityChange>,
    pub trace: TraceDigest,
}

/// One load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadDigest {
    pub requests: u64,
    /// Calls per status in fortio's terms (socket failures `-1`).
    pub codes: BTreeMap<i32, u64>,
    /// Calls per response-flag set (`-` for none).
    pub flags: BTreeMap<String, u64>,
    pub latency_ms: LatencySummary,
    /// Calls per workload any hop of the call reached.
    pub reached: BTreeMap<String, u64>,
    pub failover: Option<Failover>,
}

/// One outlier ejection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EjectionDigest {
    pub proxy: String,
    pub cluster: String,
    pub host: String,
    pub ejected_at_ms: f64,
    /// `None` while still ejected at the end of the run.
    pub unejected_at_ms: Option<f64>,
    pub reason: String,
}

/// A proxy's cluster's priority load after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityChange {
    pub proxy: String,
    pub cluster: String,
    pub at_ms: f64,
    /// Percent of traffic per priority.
    pub load: Vec<u32>,
    pub healthy_percent: Vec<u32>,
    pub panic: Vec<bool>,
    /// What changed it (`first pick`, `<host> ejected`, …).
    pub reason: String,
}

/// The trace in figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceDigest {
    pub events: u64,
    /// Events per `kind`.
    pub kinds: BTreeMap<String, u64>,
    /// Events not kept because the trace reached its cap.
    pub dropped: u64,
    /// SHA-256 of `trace.jsonl`'s bytes, in hex.
    pub sha256: String,
}

impl Digest {
    /// The digest of a run, from its summary and its trace.
    pub fn build(summary: &Summary, events: &(impl EventSource + ?Sized)) -> Self {
        let loads = summary
            .loads
            .iter()
            .map(|l| {
                let load = LoadDigest {
                    requests: l.requests,
                    codes: l.codes.clone(),
                    flags: l.flags.clone(),
                    latency_ms: l.latency_ms,
                    reached: (l.reached_workloads.iter())
                        .map(|(w, s)| (w.clone(), s.calls))
                        .collect(),
                    failover: l.failover.clone(),
                };
                (l.name.clone(), load)
            })
            .collect();
        let proxies = (summary.proxies.iter())
            .map(|(pod, stats)| (pod.clone(), charted::counters(stats)))
            .filter(|(_, counters)| !counters.is_empty())
            .collect();
        let ejections = (summary.ejections.iter())
            .map(|e| EjectionDigest {
                proxy: e.proxy.clone(),
                cluster: e.cluster.clone(),
                host: e.host.clone(),
                ejected_at_ms: e.ejected_at_ms,
                unejected_at_ms: e.unejected_at_ms,
                reason: e.reason.clone(),
            })
            .collect();
        Digest {
            format: FORMAT,
            scenario: summary.scenario.clone(),
            seed: summary.seed,
            loads,
            proxies,
            ejections,
            priority_loads: priority_changes(events),
            trace: TraceDigest {
                events: events.len(),
                kinds: kinds(events),
                dropped: summary.trace.dropped,
                sha256: trace_sha256(events),
            },
        }
    }

    /// The digest file's text: pretty JSON, every object's keys sorted, ending in a newline.
    pub fn to_text(&self) -> String {
        let value = serde_json::to_value(self).expect("a digest serializes");
        let mut text = serde_json::to_string_pretty(&sorted(value)).expect("JSON serializes");
        text.push('\n');
        text
    }

    /// A digest file's text read back; the message says where it is not a digest.
    pub fn from_text(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("line {}: not JSON: {e}", e.line()))?;
        let format = value.get("format").and_then(Value::as_u64);
        if format != Some(u64::from(FORMAT)) {
            return Err(match format {
                Some(f) => format!(
                    "digest format {f}, this meshtwin writes format {FORMAT}: rewrite it with --update"
                ),
                None => "no `format`: not a meshtwin digest".to_string(),
            });
        }
        serde_json::from_value(value).map_err(|e| format!("not a digest: {e}"))
    }

    /// This digest as it reads back from its own text (floats as the file holds them), so
    /// a fresh digest compares with a golden one exactly as the files would.
    pub fn reread(&self) -> Self {
        Self::from_text(&self.to_text()).expect("a digest reads back its own text")
    }
}

/// `value` with every object's keys in sorted order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let entries: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Every priority-load event, in proxy, cluster, time order.
fn priority_changes(events: &(impl EventSource + ?Sized)) -> Vec<PriorityChange> {
    let mut out: Vec<PriorityChange> = events
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::PriorityLoad {
                proxy,
                cluster,
                load,
                healthy_percent,
                panic,
                reason,
            } => Some(PriorityChange {
                proxy: proxy.clone(),
                cluster: cluster.clone(),
                at_ms: e.t_ms,
                load: load.clone(),
                healthy_percent: healthy_percent.clone(),
                panic: panic.clone(),
                reason: reason.clone(),
            }),
            _ => None,
        })
        .collect();
    // Stable: changes at the same time keep the trace's order.
    out.sort_by(|a, b| (&a.proxy, &a.cluster).cmp(&(&b.proxy, &b.cluster)));
    out
}

fn kinds(events: &(impl EventSource + ?Sized)) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in events.events() {
        *out.entry(e.kind.name().to_string()).or_default() += 1;
    }
    out
}

/// SHA-256 of `trace.jsonl` as [`crate::output::trace_jsonl`] writes it, in hex.
pub fn trace_sha256(events: &(impl EventSource + ?Sized)) -> String {
    let mut hasher = Sha256::new();
    for e in events.events() {
        crate::output::write_trace_line(&e, &mut hasher);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
