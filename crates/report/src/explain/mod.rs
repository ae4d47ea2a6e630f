//! Why requests failed: each failure class of a run — a (status, response flags) pair of the
//! loads' requests — explained by the mechanism that produced it and the lowered settings
//! behind that mechanism, each cited where it was written (or as the mesh's default).
//!
//! - [`classes`]: grouping the loads' requests into failure classes, their time windows;
//! - [`index`]: the trace indexed by request, proxy and cluster;
//! - [`resolve`]: an Envoy cluster name → the policy settings (with origins) it was built
//!   from, as the twin's control plane builds clusters and routes;
//! - [`diagnose`]: one failed request at one proxy → its mechanism and settings, by response
//!   flag (Envoy's `ResponseFlagUtils`, `source/common/stream_info/utility.cc`);
//! - [`render`]: the plain text `meshtwin explain` prints.
//!
//! Data and rendering are separate: [`Explanation`] and [`RequestExplanation`] serialize, so
//! HTML and Markdown reports render the same findings.

use std::collections::{BTreeMap, BTreeSet};

use meshtwin_model::event::{EventKind, FaultAction, ResponseFlags, TraceEvent};
use meshtwin_model::origin::Origin;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Topology;
use meshtwin_model::trace::EventSource;
use serde::{Deserialize, Serialize};

pub mod classes;
pub mod diagnose;
pub mod index;
pub mod render;
pub mod resolve;

pub use render::{render_explanations, render_request};

/// What a run used: the topology, and the policies in force at each moment.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub topology: &'a Topology,
    /// The policies from the start of the run.
    pub policies: &'a MeshPolicies,
    /// The policy set after each timeline `apply` / `delete` entry, by timeline index (as
    /// `meshtwin_sim::run_with_timeline` takes them).
    pub timeline: &'a BTreeMap<usize, MeshPolicies>,
}

/// Where a failure arose: the proxy that set the response flags and the cluster it routed to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Site {
    pub proxy: String,
    pub cluster: String,
}

/// A timeline entry that happened before or during a failure window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub t_ms: f64,
    pub action: FaultAction,
    pub target: String,
    pub detail: String,
}

/// What made one failure happen at one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// One sentence, starting with the mechanism's name (`pending queue full (UO): ...`).
    pub mechanism: String,
    /// The settings the mechanism depends on, cited where they came from.
    pub settings: Vec<Origin>,
    /// Hosts the mechanism names (ejected, unhealthy, tried), sorted.
    pub hosts: Vec<String>,
    /// Where it arose, when a proxy decided it.
    pub site: Option<Site>,
    /// Why settings the mechanism depends on are not cited, when they are not.
    pub note: Option<String>,
}

/// One failure class of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// HTTP status the load saw (0: no response).
    pub code: u16,
    /// Envoy response flags (`-`: none).
    pub flags: ResponseFlags,
    /// Requests in the class.
    pub count: usize,
    /// Requests per load.
    pub loads: BTreeMap<String, usize>,
    /// One sentence: what produced these responses.
    pub mechanism: String,
    /// The settings behind the mechanism, with their origins.
    pub settings: Vec<Origin>,
    /// Hosts the mechanism names.
    pub hosts: Vec<String>,
    /// Why settings the mechanism depends on are not cited, when they are not.
    pub note: Option<String>,
    /// Where the failures arose, with how many each site produced (most first).
    pub sites: Vec<(Site, usize)>,
    /// Stretches of virtual time holding the class's requests: `(first, last)` completion in
    /// ms, a new window after a gap of more than [`classes::WINDOW_GAP_MS`].
    pub windows: Vec<(f64, f64)>,
    /// Timeline entries up to the end of the last window (latest [`MAX_TIMELINE`]).
    pub timeline: Vec<TimelineEntry>,
    /// The first request of the class, for `meshtwin explain --request`.
    pub example_request_id: String,
}

/// Timeline entries an explanation lists at most.
pub const MAX_TIMELINE: usize = 5;

/// One proxy's record of a request (an access-log line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// When the proxy finished the request.
    pub t_ms: f64,
    pub proxy: String,
    pub cluster: String,
    pub upstream_host: Option<String>,
    pub status: u16,
    pub flags: ResponseFlags,
    pub duration_ms: f64,
}

/// Everything about one request: its result, every proxy's record of it (innermost first, as
/// they finished) and, when it failed, the diagnosis at the hop that caused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestExplanation {
    pub request_id: String,
    pub load: String,
    pub t_ms: f64,
    pub status: u16,
    pub flags: ResponseFlags,
    pub latency_ms: f64,
    pub upstream_pod: Option<String>,
    pub hops: Vec<Hop>,
    /// `None` when the request succeeded.
    pub diagnosis: Option<Diagnosis>,
}

/// Every failure class of the run's loads, most requests first (then by code and flags).
pub fn explain_failures(
    events: &(impl EventSource + ?Sized),
    ctx: &Context<'_>,
) -> Vec<Explanation> {
    // Two passes: which requests failed, then the index of those only (memory holds the
    // failed requests, not every request of the run).
    let mut failed = FailedRequests::default();
    for e in events.events() {
        failed.visit(&e);
    }
    explain_failed(events, ctx, &failed)
}

/// The requests that failed, collected in a walk shared with other consumers
/// ([`FailedRequests::visit`]), for [`explain_failed`].
#[derive(Debug, Default)]
pub struct FailedRequests(BTreeSet<String>);

impl FailedRequests {
    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        match &e.kind {
            EventKind::Request {
                request_id,
                status,
                flags,
                ..
            } if classes::is_failure(*status, flags) => {
                self.0.insert(request_id.clone());
            }
            _ => {}
        }
    }
}

/// [`explain_failures`] once the failed requests are known (one more walk of `events`).
pub fn explain_failed(
    events: &(impl EventSource + ?Sized),
    ctx: &Context<'_>,
    failed: &FailedRequests,
) -> Vec<Explanation> {
    let idx = index::TraceIndex::new(events, &|id| failed.0.contains(id));
    classes::failure_classes(&idx)
        .into_iter()
        .map(|c| classes::explain_class(&idx, ctx, c))
        .collect()
}

/// One request by id; `None` when no load made it.
pub fn explain_request(
    events: &(impl EventSource + ?Sized),
    ctx: &Context<'_>,
    request_id: &str,
) -> Option<RequestExplanation> {
    let idx = index::TraceIndex::new(events, &|id| id == request_id);
    let req = idx.request(request_id)?;
    let hops: Vec<Hop> = idx.hops(request_id).to_vec();
    let diagnosis = classes::is_failure(req.status, &req.flags)
        .then(|| diagnose::diagnose_request(&idx, ctx, req));
    Some(RequestExplanation {
        request_id: request_id.to_string(),
        load: req.load.clone(),
        t_ms: req.t_ms,
        status: req.status,
        flags: req.flags.clone(),
        latency_ms: req.latency_ms,
        upstream_pod: req.upstream_pod.clone(),
        hops,
        diagnosis,
    })
}

#[cfg(test)]
mod tests;
