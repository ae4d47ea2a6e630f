//! A run: which topology and policies, which loads when, for how long, with which seed, and
//! what must hold afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::release::MeshRelease;
pub use crate::topology::EnvoyOverrides;

/// A fortio-style load generator (`fortio load -c C -qps Q -n N | -t T URL`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSpec {
    pub name: String,
    /// Pod (or workload: its first pod) the load runs in; its sidecar, if any, is used.
    pub from: String,
    /// Virtual time the load starts.
    #[serde(with = "crate::duration::ms")]
    pub start: Duration,
    /// `-c`: concurrent connections, one client loop each.
    pub connections: u32,
    /// `-qps`: total queries per second over all connections; 0 = as fast as possible.
    pub qps: f64,
    /// `-n`: total calls (split evenly over connections, remainder to the first ones).
    pub calls: Option<u64>,
    /// `-t`: run for this long.
    #[serde(with = "crate::duration::opt_ms")]
    pub duration: Option<Duration>,
    pub url: String,
    pub method: String,
    pub headers: BTreeMap<String, String>,
    /// Per-request client timeout (fortio's default is 3 s).
    #[serde(with = "crate::duration::ms")]
    pub timeout: Duration,
}

impl LoadSpec {
    /// The time between one connection's calls when the load is paced (`qps > 0`): each of
    /// the `-c` connections makes `qps / c` calls per second. `None` at full speed.
    pub fn pacing_interval(&self) -> Option<Duration> {
        (self.qps > 0.0)
            .then(|| Duration::from_secs_f64(f64::from(self.connections.max(1)) / self.qps))
    }

    /// The calls connection `index` plans: its share of `calls` (the remainder to the first
    /// connections), or, for a paced load with a `duration`, one per pacing interval from the
    /// start for as long as the call is due before the deadline. `None` for a full-speed load
    /// with a `duration` (it makes what it can), and for a pacing interval that rounds to 0.
    pub fn planned_calls(&self, index: u64) -> Option<u64> {
        let c = u64::from(self.connections.max(1));
        if let Some(n) = self.calls {
            return Some(n / c + u64::from(index < n % c));
        }
        let (interval, duration) = (self.pacing_interval()?, self.duration?);
        let iv = interval.as_nanos();
        (iv > 0).then(|| u64::try_from(duration.as_nanos().div_ceil(iv)).unwrap_or(u64::MAX))
    }

    /// All connections' planned calls together (see [`LoadSpec::planned_calls`]).
    pub fn total_planned_calls(&self) -> Option<u64> {
        (0..u64::from(self.connections.max(1)))
            .map(|i| self.planned_calls(i))
            .try_fold(0u64, |sum, n| Some(sum.saturating_add(n?)))
    }
}

/// What an expectation measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Fraction (0..1) of a load's calls that ended with `code` (0 = socket error).
    CodeFraction { load: String, code: u16 },
    /// Number of a load's calls that ended with `code`.
    CodeCount { load: String, code: u16 },
    /// Number of calls a load made.
    Requests { load: String },
    /// Among a load's calls that ended with `code`, the fraction whose first proxy set
    /// response flag `flag` (UO, UH, ...). 1.0 when no call ended with `code`.
    FlagFraction {
        load: String,
        code: u16,
        flag: String,
    },
    /// A proxy's counter at the end of the run (`proxy` is a pod name, `stat` an Envoy name).
    Counter { proxy: String, stat: String },
    /// The highest value a proxy's gauge reached while loads ran.
    GaugeMax { proxy: String, stat: String },
    /// Fraction of a load's calls whose page reported `text` (the app's notes: an error text
    /// such as "Error fetching product reviews!").
    BodyContains { load: String, text: String },
    /// Fraction of a load's calls whose request reached a pod of `workload` anywhere on its
    /// path (any hop's upstream host, followed by request id).
    Reached { load: String, workload: String },
    /// A latency percentile of a load, in milliseconds.
    LatencyMs { load: String, percentile: f64 },
    /// Percent of a proxy's cluster traffic planned for `priority` (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::recalculatePerPriorityState`) at virtual
    /// time `at` (`None`: the end of the run): the last `priority_load` trace event at or
    /// before it.
    PriorityLoad {
        proxy: String,
        cluster: String,
        priority: u32,
        #[serde(with = "crate::duration::opt_ms")]
        at: Option<Duration>,
    },
    /// 1 when `priority` of a proxy's cluster is in panic (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::isHostSetInPanic`) at `at`, else 0 — from
    /// the same trace event as [`Metric::PriorityLoad`].
    PriorityPanic {
        proxy: String,
        cluster: String,
        priority: u32,
        #[serde(with = "crate::duration::opt_ms")]
        at: Option<Duration>,
    },
    /// When the load's traffic left the locality it started in (the summary's per-load
    /// `failover.at_ms`, virtual ms); no value — the expectation fails — when it never did.
    FailoverMs { load: String },
}

/// A band a metric must fall in; either bound may be open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    pub name: String,
    pub metric: Metric,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A change the scenario's `timeline` makes at a virtual time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineAction {
    /// `kubectl apply -f <file>`: its resources replace those of the same kind, name and
    /// namespace, or are added. Proxies see it after the control plane's push delay.
    Apply { policy: PolicyFile },
    /// `kubectl delete -f <file>`: its resources (by kind, name, namespace) are removed.
    Delete { policy: PolicyFile },
    /// The app of every pod of `workload` changes behaviour at once (unset parts unchanged).
    App {
        workload: String,
        error_rate: Option<f64>,
        error_status: Option<u16>,
        #[serde(with = "crate::duration::opt_ms")]
        latency: Option<Duration>,
    },
    /// `kubectl scale --replicas=N`: pods beyond N stop at once and leave the endpoint sets
    /// (after the push delay); pods up to N (at most the topology's replicas) start again.
    Scale { workload: String, replicas: u32 },
    /// A pod's processes die (sockets reset, nothing listens); the pod is not ready, so it
    /// leaves the endpoint sets at the control plane's push.
    Crash { pod: String },
    /// A crashed pod's proxy and app start again; it rejoins the endpoint sets at the push.
    Restart { pod: String },
    /// Drop every packet from any pod matching `from` to any pod matching `to` (both
    /// directions unless `one_way`). A side is a pod, a workload, a cluster, a
    /// `region[/zone]` locality.
    Partition {
        from: String,
        to: String,
        one_way: bool,
    },
    /// Degrade the links from pods matching `from` to pods matching `to` (both directions
    /// unless `one_way`): extra one-way latency, and a loss probability per packet.
    Link {
        from: String,
        to: String,
        #[serde(with = "crate::duration::ms")]
        latency: Duration,
        loss: f64,
        one_way: bool,
    },
    /// Remove every partition and degraded link.
    Heal,
}

/// A policy file a timeline entry applies or deletes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyFile {
    /// Where it is read: resolved relative to the scenario file's directory.
    pub path: String,
    /// As the scenario writes it (relative to the scenario file): what the trace shows, so a
    /// trace does not depend on the directory the run started in.
    pub as_written: String,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    #[serde(with = "crate::duration::ms")]
    pub at: Duration,
    pub action: TimelineAction,
    /// 1-based line in the scenario file.
    pub line: u32,
}

/// The control plane's behaviour (istiod / App Mesh / Tetrate's edge control plane).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ControlPlane {
    /// Time from a change (policy applied, endpoint gone) to every proxy having it.
    #[serde(with = "crate::duration::ms")]
    pub push_delay: Duration,
}

impl Default for ControlPlane {
    /// istiod debounces changes for 100 ms (`PILOT_DEBOUNCE_AFTER`) before pushing.
    fn default() -> Self {
        Self {
            push_delay: Duration::from_millis(100),
        }
    }
}

/// A whole run, paths already resolved relative to the scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The scenario file, as given.
    pub file: String,
    pub topology: String,
    pub policies: Vec<String>,
    pub seed: u64,
    /// Virtual time the run stops at (loads still running are cut off).
    #[serde(with = "crate::duration::ms")]
    pub duration: Duration,
    pub loads: Vec<LoadSpec>,
    pub expectations: Vec<Expectation>,
    /// Faults and changes in virtual-time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEvent>,
    #[serde(default)]
    pub control_plane: ControlPlane,
    /// Envoy-version switches over the topology's (a what-if on another Envoy).
    #[serde(default)]
    pub envoy: EnvoyOverrides,
    /// Named what-if changes `meshtwin compare` can run against the scenario as written.
    #[serde(default)]
    pub variants: Vec<crate::variant::Variant>,
    /// The mesh release, over the topology's (a what-if on another release).
    #[serde(default)]
    pub mesh: MeshRelease,
    /// The seeds `meshtwin test` runs (each against its own digest); empty: just `seed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<u64>,
    /// How `meshtwin test` compares runs with their golden digests.
    #[serde(default)]
    pub digest: DigestOptions,
}

impl Scenario {
    /// The seeds `meshtwin test` runs: `seeds`, or else `seed` alone.
    pub fn test_seeds(&self) -> Vec<u64> {
        if self.seeds.is_empty() {
            vec![self.seed]
        } else {
            self.seeds.clone()
        }
    }
}

/// `digest:` in a scenario: how far a run may drift from its golden digest and still match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DigestOptions {
    /// Allowed difference per figure; a figure not listed must match exactly.
    pub tolerance: BTreeMap<DigestFigure, Tolerance>,
}

/// A kind of figure in a digest that a tolerance can loosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DigestFigure {
    /// A load's number of calls.
    Requests,
    /// A load's calls per status code.
    Codes,
    /// A load's calls per response-flag set.
    Flags,
    /// A load's calls per workload reached.
    Reached,
    /// A proxy's counters.
    Counters,
    /// Every latency figure of a load (each one below overrides it for itself).
    LatencyMs,
    MinMs,
    AvgMs,
    P50Ms,
    P75Ms,
    P90Ms,
    P99Ms,
    P999Ms,
    MaxMs,
    /// A load's failover time.
    FailoverMs,
    /// Ejection and unejection times.
    EjectionMs,
    /// Times of priority-load changes.
    PriorityLoadMs,
}

impl DigestFigure {
    /// Every figure with its name in a scenario's `digest.tolerance`.
    pub const ALL: [(DigestFigure, &'static str); 17] = [
        (DigestFigure::Requests, "requests"),
        (DigestFigure::Codes, "codes"),
        (DigestFigure::Flags, "flags"),
        (DigestFigure::Reached, "reached"),
        (DigestFigure::Counters, "counters"),
        (DigestFigure::LatencyMs, "latency_ms"),
        (DigestFigure::MinMs, "min_ms"),
        (DigestFigure::AvgMs, "avg_ms"),
        (DigestFigure::P50Ms, "p50_ms"),
        (DigestFigure::P75Ms, "p75_ms"),
        (DigestFigure::P90Ms, "p90_ms"),
        (DigestFigure::P99Ms, "p99_ms"),
        (DigestFigure::P999Ms, "p99_9_ms"),
        (DigestFigure::MaxMs, "max_ms"),
        (DigestFigure::FailoverMs, "failover_ms"),
        (DigestFigure::EjectionMs, "ejection_ms"),
        (DigestFigure::PriorityLoadMs, "priority_load_ms"),
    ];

    /// The figure named `name` in `digest.tolerance`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// Its name in `digest.tolerance`.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .expect("every figure is in ALL")
    }
}

/// How far a figure may move: a share of its golden value, or an amount in its unit (calls,
/// counts, milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    /// `5%`: up to 5 % of the golden value, either way.
    Percent(f64),
    /// `2`: up to 2 (calls, counts or ms), either way.
    Absolute(f64),
}

impl Tolerance {
    /// Whether `new` is within the tolerance of the golden value `old`.
    pub fn allows(self, old: f64, new: f64) -> bool {
        let limit = match self {
            Tolerance::Percent(p) => old.abs() * p / 100.0,
            Tolerance::Absolute(a) => a,
        };
        (new - old).abs() <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(connections: u32, qps: f64, calls: Option<u64>, duration: Option<u64>) -> LoadSpec {
        LoadSpec {
            name: "l".into(),
            from: "fortio".into(),
            start: Duration::ZERO,
            connections,
            qps,
            calls,
            duration: duration.map(Duration::from_secs),
            url: "http://h/".into(),
            method: "GET".into(),
            headers: BTreeMap::new(),
            timeout: Duration::from_secs(3),
        }
    }

    #[test]
    fn calls_split_over_connections_with_the_remainder_first() {
        let l = load(2, 8.0, Some(5), None);
        assert_eq!((l.planned_calls(0), l.planned_calls(1)), (Some(3), Some(2)));
        assert_eq!(l.total_planned_calls(), Some(5));
    }

    #[test]
    fn a_paced_load_with_a_duration_plans_one_call_per_interval() {
        // 10 qps over 2 connections: every 200 ms each, 5 in a second.
        let l = load(2, 10.0, None, Some(1));
        assert_eq!(l.pacing_interval(), Some(Duration::from_millis(200)));
        assert_eq!(l.total_planned_calls(), Some(10));
        // 1000 qps for 5 s over 8 connections: 625 each.
        assert_eq!(load(8, 1000.0, None, Some(5)).planned_calls(7), Some(625));
    }

    #[test]
    fn a_full_speed_load_with_a_duration_plans_nothing_up_front() {
        assert_eq!(load(8, 0.0, None, Some(5)).total_planned_calls(), None);
    }
}
