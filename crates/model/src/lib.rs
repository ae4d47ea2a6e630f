//! The neutral, validated model every other meshtwin crate speaks.
//!
//! - [`topology`]: regions → zones → clusters → workloads → pods, services, app behaviour.
//! - [`policy`]: mesh policy lowered from Istio / App Mesh YAML (as istiod lowers it to xDS):
//!   circuit-breaker thresholds with the mesh's defaults applied, outlier detection, health checks.
//! - [`traffic`]: Istio `VirtualService` / `Gateway` routing lowered as istiod builds Envoy
//!   routes: matches, weighted destinations, timeouts, retries, faults, mirrors, TCP rules.
//! - [`scenario`]: what a run does: topology, policies, loads, duration, seed, expectations.
//! - [`event`]: the one event schema written to `trace.jsonl`.
//! - [`duration`]: serde helpers so durations read and write as milliseconds.
//! - [`limits`]: the limits of one run (duration, calls, pods, timeline, trace).
//!
//! This crate does no IO and knows no YAML dialect; `meshtwin-config` and
//! `meshtwin-topology` parse files into it.
#![forbid(unsafe_code)]

pub mod duration;
pub mod event;
pub mod limits;
pub mod policy;
pub mod scenario;
pub mod topology;
pub mod traffic;

/// Where a lowered object came from, for error messages and reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SourceRef {
    /// Path of the file as given by the user (relative paths stay relative).
    pub file: String,
    /// 1-based line of the object's first line in that file.
    pub line: u32,
}
