//! What one simulated run produced, as plain data: the trace, each proxy's Envoy stats, each
//! load's calls (as aggregates: [`crate::calls`]). The simulator builds a [`RunResult`]; summaries, expectations, plots and
//! reports read it without knowing the simulator.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::event::TraceEvent;
use crate::scenario::LoadSpec;
use crate::trace::EventSource;

/// One completed call of a load generator, as the load counts it ([`crate::calls::CallStats::add`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The call's `x-request-id` (`<load>-<connection>-<n>`).
    pub request_id: String,
    /// Virtual time the call completed.
    pub end: Duration,
    /// HTTP status; 0 for a socket error or client timeout.
    pub status: u16,
    pub latency: Duration,
    /// Whether the call opened a new socket.
    pub new_socket: bool,
    /// The pod whose app answered, if any.
    pub upstream_pod: Option<String>,
    /// Envoy's response flags reported by the first proxy on the path (`-` when none).
    pub flags: crate::event::ResponseFlags,
    /// What the answering app's page reported (`x-app-notes`).
    pub notes: Vec<String>,
}

/// A connection of a paced load that reached its deadline before making all its calls
/// (fortio: `T003 warning only did 212 out of 625 calls before reaching 5s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutShort {
    /// The connection (fortio's thread), from 0.
    pub connection: u64,
    /// Calls it made.
    pub done: u64,
    /// Calls it planned (`LoadSpec::planned_calls`).
    pub planned: u64,
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadOutcome {
    /// Its calls, as aggregates updated as each ended (each call's own record is in the
    /// trace: [`crate::calls::traced_calls`]).
    pub calls: crate::calls::CallStats,
    pub sockets_used: u64,
    pub first_start: Option<Duration>,
    pub last_end: Option<Duration>,
    /// The connections that stopped at the deadline short of their planned calls, by
    /// connection.
    pub cut_short: Vec<CutShort>,
    /// A full-speed load with a duration that stopped at its call limit
    /// ([`crate::limits::MAX_UNPACED_CALLS`]).
    pub hit_call_limit: bool,
}

/// One proxy's stats, keyed by Envoy's full stat name
/// (`cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_cx_active`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyStats {
    /// Monotonic counters at the end of the run.
    pub counters: BTreeMap<String, u64>,
    /// Gauges' values at the end of the run.
    pub gauges: BTreeMap<String, u64>,
    /// Gauges' highest values during the run (not part of Envoy's `/stats`; for summaries).
    pub gauges_max: BTreeMap<String, u64>,
}

/// Counters of the engine itself, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub task_polls: u64,
    pub packets_delivered: u64,
    /// Pods simulated as network hosts (pods no load can reach are left out).
    pub hosts: u64,
}

/// What a run's pods ran on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunPlatform {
    /// The twin: a simulated network on a virtual clock; same inputs and seed, same outputs.
    #[default]
    Twin,
    /// Real loopback sockets in real time (`meshtwin run --real`): outputs vary run to run.
    Real,
}

impl RunPlatform {
    pub fn is_twin(&self) -> bool {
        *self == RunPlatform::Twin
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    /// What the pods ran on.
    pub platform: RunPlatform,
    /// The trace, in virtual-time order, when it is held in memory (empty when it outgrew
    /// memory and was streamed to its file: [`RunResult::streamed`]). Consumers read
    /// [`RunResult::trace`].
    pub events: Vec<TraceEvent>,
    /// The file `meshtwin run` wrote the trace to, read back event by event when `events` is
    /// empty (the trace outgrew memory and was streamed to it as the run went).
    pub streamed: Option<std::sync::Arc<dyn EventSource>>,
    /// Events not kept because the trace reached its cap (never for a streamed trace).
    pub dropped_events: u64,
    /// How much of the trace the run kept (`events` holds only that).
    pub trace_level: crate::event::TraceLevel,
    /// Each proxy's stats at the end, by pod name.
    pub proxies: BTreeMap<String, ProxyStats>,
    /// Each load: its spec, the pod it ran in, what it did.
    pub loads: Vec<(LoadSpec, String, LoadOutcome)>,
    /// Virtual time the run ended.
    pub end: Duration,
    pub engine: EngineStats,
    /// The Envoy identities the run's stats or trace break (none in a correct run).
    pub violations: Vec<Violation>,
}

/// An identity Envoy's counters keep that a run broke: a bug in the twin, never in the
/// user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The pod whose proxy broke it (empty when it concerns a load).
    pub proxy: String,
    /// The stat scope (`cluster.<name>`, `http.<prefix>`) or load it concerns.
    pub scope: String,
    /// The identity (`upstream_rq_completed = Σ upstream_rq_<N>xx`).
    pub identity: &'static str,
    /// The figures that break it.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.proxy.is_empty() {
            write!(f, "{}: ", self.proxy)?;
        }
        write!(f, "{}: {} ({})", self.scope, self.identity, self.detail)
    }
}

impl RunResult {
    /// The calls of the load named `name` as the trace records them, in completion order
    /// (every call only with a full trace).
    pub fn traced_calls(&self, name: &str) -> Vec<CallRecord> {
        crate::calls::traced_calls(self.trace(), name)
    }

    /// The trace, wherever it is: the events held in memory, or the file it was streamed to.
    pub fn trace(&self) -> &dyn EventSource {
        match &self.streamed {
            Some(file) if self.events.is_empty() => file.as_ref(),
            _ => &self.events,
        }
    }

    /// The outcome of the load named `name`.
    pub fn load(&self, name: &str) -> Option<&LoadOutcome> {
        self.loads
            .iter()
            .find(|(spec, _, _)| spec.name == name)
            .map(|(_, _, o)| o)
    }
}
