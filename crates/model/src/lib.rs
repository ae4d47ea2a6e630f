//! The neutral, validated model every other meshtwin crate speaks.
//!
//! - [`topology`]: regions → zones → clusters → workloads → pods, services.
//! - [`app`]: an app's behaviour (service time, errors, calls), by path and method.
//! - [`policy`]: mesh policy lowered from Istio / App Mesh YAML (as istiod lowers it to xDS):
//!   circuit-breaker thresholds with the mesh's defaults applied, outlier detection, health checks.
//! - [`traffic`]: Istio `VirtualService` / `Gateway` routing lowered as istiod builds Envoy
//!   routes: matches, weighted destinations, timeouts, retries, faults, mirrors, TCP rules.
//! - [`release`]: the mesh release a run models (Istio, App Mesh's Envoy) and the version
//!   switches it implies.
//! - [`scenario`]: what a run does: topology, policies, loads, duration, seed, expectations.
//! - [`variant`]: a named what-if change to a scenario (`meshtwin compare`).
//! - [`event`]: the one event schema written to `trace.jsonl`.
//! - [`run`]: what one simulated run produced (trace, proxies' stats, each load's calls).
//! - [`trace`]: where a run's trace is read from (memory or the file it was streamed to).
//! - [`calls`]: a load's calls as online aggregates (counts, exact latencies, fortio's sums).
//! - [`origin`]: where each lowered setting came from (file, line, field, value as written, or
//!   the mesh default), for reports that explain failures.
//! - [`envoy`]: Envoy-version switches (listener balance, max-ejection rule, ejection time).
//! - [`duration`]: serde helpers so durations read and write as milliseconds.
//! - [`limits`]: the limits of one run (duration, calls, pods, timeline, trace).
//! - [`rng`]: the one seed derivation: a ChaCha stream per (seed, component name).
//!
//! This crate does no IO and knows no YAML dialect; `meshtwin-config` and
//! `meshtwin-topology` parse files into it.
#![forbid(unsafe_code)]

pub mod app;
pub mod calls;
pub mod duration;
pub mod envoy;
pub mod event;
pub mod limits;
pub mod origin;
pub mod policy;
pub mod release;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod topology;
pub mod trace;
pub mod traffic;
pub mod variant;

/// Where a lowered object came from, for error messages and reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SourceRef {
    /// Path of the file as given by the user (relative paths stay relative).
    pub file: String,
    /// 1-based line of the object's first line in that file.
    pub line: u32,
}
