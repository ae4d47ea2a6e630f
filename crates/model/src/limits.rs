//! The limits of one run: a limit on everything a user's files can make large. The input
//! layers (`meshtwin-config`, `meshtwin-topology`) refuse a file past them up front with a
//! located error; the simulation applies the ones it alone can see. The README's Inputs
//! section lists them.

use std::time::Duration;

/// Longest virtual duration of a scenario. Idle time is not free — every proxy's periodic
/// timers (outlier detection sweeps, health checks) fire through it — and a day covers
/// any failover or ejection back-off the twin models.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Most calls the loads of one scenario may plan, all loads together: a load's `calls`, or
/// for a paced load with a `duration` its `qps × duration` (a day at about 1,150 calls per
/// second). Calls are counted as they end, not kept ([`crate::calls`]); what still grows with
/// them is the trace, up to [`MAX_TRACE_EVENTS`], and the set of distinct latencies (one
/// entry per distinct microsecond value). The engine simulates some thousands of calls per
/// wall second, so the limit is also about a day of wall time.
pub const MAX_CALLS: u64 = 100_000_000;

/// Most calls one load at full speed (`qps: 0`) with a `duration` makes: how many it would
/// plan is not known up front, so it stops at this count (and says so).
pub const MAX_UNPACED_CALLS: u64 = 1_000_000;

/// Highest `qps` a load may ask for (its pacing interval stays at least a microsecond).
pub const MAX_QPS: f64 = 1_000_000.0;

/// Most pods in a topology, all workloads' replicas together.
pub const MAX_PODS: u64 = 10_000;

/// Most entries in a scenario's timeline.
pub const MAX_TIMELINE_ENTRIES: usize = 10_000;

/// Most events a trace kept in memory keeps; past it, events are counted, not stored
/// (`summary.json`: `trace.dropped`). A full trace that `meshtwin run` streams to its file
/// has no cap: memory holds none of it, and a user who asked for every event gets every one.
pub const MAX_TRACE_EVENTS: usize = 2_000_000;
