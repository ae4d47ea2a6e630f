//! The identities Envoy's own counters keep, checked at the end of every run. A broken one is
//! a bug in the twin (never in the user's input): `meshtwin test` fails the case, other
//! commands print a warning.
//!
//! Per cluster (`cluster.<name>.*`):
//! - `upstream_rq_completed = Σ upstream_rq_<N>xx`, and the same under `retry.` — both are
//!   charged together (`CodeStatsImpl::chargeBasicResponseStat`);
//! - `upstream_cx_total − upstream_cx_destroy = upstream_cx_active` at the end;
//! - `upstream_cx_destroy = _local + _remote`, and the same for `_with_active_rq`
//!   (`reportUpstreamCxDestroy`, `reportUpstreamCxDestroyActiveRequest`);
//! - `upstream_rq_pending_active` never above the cluster's `max_pending_requests`.
//!
//! Per HTTP connection manager (`http.<prefix>.*`):
//! - `downstream_rq_completed = Σ downstream_rq_<N>xx`;
//! - `downstream_rq_total = downstream_rq_completed + downstream_rq_rx_reset +
//!   downstream_rq_active`: every request is answered, abandoned, or still in progress.
//!
//! In the trace (when no event was dropped): each proxy wrote one HTTP access-log entry per
//! request that ended, and each load one `request` event per call it made.

use std::collections::BTreeMap;

use meshtwin_model::event::EventKind;
use meshtwin_model::policy::Thresholds;
use meshtwin_model::run::{ProxyStats, RunResult, Violation};

use crate::pods::{Hosts, PodRuntime};

mod scope;

use scope::{scopes, Scope, CLUSTER_COUNTERS, HTTP_COUNTERS};

/// What the checks need beyond the run's result, read from the pods at its end.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Each proxy's clusters' circuit-breaker thresholds, by pod and cluster name.
    pub limits: BTreeMap<String, BTreeMap<String, Thresholds>>,
    /// HTTP requests that ended on each pod's earlier proxies (crashed incarnations, whose
    /// stats are gone with them but whose access-log entries are in the trace).
    pub ended_before: BTreeMap<String, u64>,
}

/// The context of a run whose pods are `rt`.
pub fn context<H: Hosts>(rt: &PodRuntime<H>) -> Context {
    let mut ended_before: BTreeMap<String, u64> = BTreeMap::new();
    for p in &rt.graveyard {
        let s = p.stats();
        let stats = ProxyStats {
            counters: s.counters,
            gauges: s.gauges,
            gauges_max: s.gauges_max,
        };
        *ended_before.entry(p.cfg.node.clone()).or_default() += ended_requests(&stats);
    }
    Context {
        limits: (rt.proxies.iter())
            .map(|(pod, p)| (pod.clone(), p.circuit_breaker_limits()))
            .collect(),
        ended_before,
    }
}

/// Every identity `run` breaks.
pub fn check(run: &RunResult, cx: &Context) -> Vec<Violation> {
    let mut out = Vec::new();
    let none = BTreeMap::new();
    // The trace's identities need every event: a full trace that the cap did not cut.
    let whole_trace = run.dropped_events == 0 && run.trace_level.is_full();
    let counted = if whole_trace {
        Counted::of(run)
    } else {
        Counted::default()
    };
    let logged = &counted.logged;
    for (pod, stats) in &run.proxies {
        let mut found = Vec::new();
        check_clusters(stats, cx.limits.get(pod).unwrap_or(&none), &mut found);
        check_connection_managers(stats, &mut found);
        if whole_trace {
            let before = cx.ended_before.get(pod).copied().unwrap_or(0);
            let n = logged.get(pod.as_str()).copied().unwrap_or(0);
            check_access_logs(before + ended_requests(stats), n, &mut found);
        }
        out.extend(found.into_iter().map(|mut v| {
            v.proxy = pod.clone();
            v
        }));
    }
    if whole_trace {
        check_loads(run, &counted.traced, &mut out);
    }
    out
}

fn violation(scope: &str, identity: &'static str, detail: String) -> Violation {
    Violation {
        proxy: String::new(),
        scope: scope.to_string(),
        identity,
        detail,
    }
}

/// A scope's `completed` counter and its `<N>xx` classes, as one identity names them.
struct Classes {
    completed: &'static str,
    classes: [&'static str; 5],
}

const UPSTREAM: Classes = Classes {
    completed: "upstream_rq_completed",
    classes: [
        "upstream_rq_1xx",
        "upstream_rq_2xx",
        "upstream_rq_3xx",
        "upstream_rq_4xx",
        "upstream_rq_5xx",
    ],
};

const RETRY: Classes = Classes {
    completed: "retry.upstream_rq_completed",
    classes: [
        "retry.upstream_rq_1xx",
        "retry.upstream_rq_2xx",
        "retry.upstream_rq_3xx",
        "retry.upstream_rq_4xx",
        "retry.upstream_rq_5xx",
    ],
};

const DOWNSTREAM: Classes = Classes {
    completed: "downstream_rq_completed",
    classes: [
        "downstream_rq_1xx",
        "downstream_rq_2xx",
        "downstream_rq_3xx",
        "downstream_rq_4xx",
        "downstream_rq_5xx",
    ],
};

/// `completed` against the sum of its classes, when they differ.
fn classes_add_up(scope: &Scope, names: &Classes) -> Option<String> {
    let completed = scope.counter(names.completed);
    let classes: u64 = names.classes.iter().map(|c| scope.counter(c)).sum();
    (completed != classes).then(|| format!("completed {completed}, classes add up to {classes}"))
}

/// A destroy counter and its local and remote parts
/// (`reportUpstreamCxDestroy`, `reportUpstreamCxDestroyActiveRequest`).
const DESTROY_SPLITS: [(&str, &str, &str, &str); 2] = [
    (
        "upstream_cx_destroy",
        "upstream_cx_destroy_local",
        "upstream_cx_destroy_remote",
        "upstream_cx_destroy = _local + _remote",
    ),
    (
        "upstream_cx_destroy_with_active_rq",
        "upstream_cx_destroy_local_with_active_rq",
        "upstream_cx_destroy_remote_with_active_rq",
        "upstream_cx_destroy_with_active_rq = _local_with_active_rq + _remote_with_active_rq",
    ),
];

fn check_clusters(
    stats: &ProxyStats,
    limits: &BTreeMap<String, Thresholds>,
    out: &mut Vec<Violation>,
) {
    for scope in scopes(stats, "cluster.", "upstream_cx_total") {
        let stats = Scope::of(stats, scope, &CLUSTER_COUNTERS);
        let s = |n: &str| stats.counter(n);
        if let Some(d) = classes_add_up(&stats, &UPSTREAM) {
            out.push(violation(
                scope,
                "upstream_rq_completed = Σ upstream_rq_<N>xx",
                d,
            ));
        }
        if let Some(d) = classes_add_up(&stats, &RETRY) {
            let identity = "retry.upstream_rq_completed = Σ retry.upstream_rq_<N>xx";
            out.push(violation(scope, identity, d));
        }
        let (total, destroy) = (s("upstream_cx_total"), s("upstream_cx_destroy"));
        let active = stats.gauge("upstream_cx_active");
        if total.checked_sub(destroy) != Some(active) {
            let d = format!("total {total}, destroy {destroy}, active {active}");
            out.push(violation(
                scope,
                "upstream_cx_total − upstream_cx_destroy = upstream_cx_active",
                d,
            ));
        }
        for (all, local, remote, identity) in DESTROY_SPLITS {
            let (local, remote) = (s(local), s(remote));
            if s(all) != local + remote {
                let d = format!("{} {}, local {local}, remote {remote}", all, s(all));
                out.push(violation(scope, identity, d));
            }
        }
        let name = scope.strip_prefix("cluster.").unwrap_or(scope);
        let pending = stats.gauge_max("upstream_rq_pending_active");
        if let (Some(pending), Some(t)) = (pending, limits.get(name)) {
            if pending > t.max_pending_requests {
                let d = format!(
                    "{pending} pending, max_pending_requests {}",
                    t.max_pending_requests
                );
                out.push(violation(
                    scope,
                    "upstream_rq_pending_active ≤ max_pending_requests",
                    d,
                ));
            }
        }
    }
}

fn check_connection_managers(stats: &ProxyStats, out: &mut Vec<Violation>) {
    for scope in scopes(stats, "http.", "downstream_rq_total") {
        let stats = Scope::of(stats, scope, &HTTP_COUNTERS);
        let s = |n: &str| stats.counter(n);
        if let Some(d) = classes_add_up(&stats, &DOWNSTREAM) {
            out.push(violation(
                scope,
                "downstream_rq_completed = Σ downstream_rq_<N>xx",
                d,
            ));
        }
        let (total, completed, reset) = (
            s("downstream_rq_total"),
            s("downstream_rq_completed"),
            s("downstream_rq_rx_reset"),
        );
        let active = stats.gauge("downstream_rq_active");
        if total != completed + reset + active {
            let d =
                format!("total {total}, completed {completed}, rx_reset {reset}, active {active}");
            let identity = "downstream_rq_total = downstream_rq_completed + downstream_rq_rx_reset + downstream_rq_active";
            out.push(violation(scope, identity, d));
        }
    }
}

/// HTTP requests a proxy has seen end (answered or abandoned).
fn ended_requests(stats: &ProxyStats) -> u64 {
    scopes(stats, "http.", "downstream_rq_total")
        .into_iter()
        .map(|scope| {
            let s = Scope::of(stats, scope, &HTTP_COUNTERS);
            (s.counter("downstream_rq_total")).saturating_sub(s.gauge("downstream_rq_active"))
        })
        .sum()
}

/// Counts by name, looked up once per event of the trace. Only looked up, never iterated, so
/// its order does not matter: a hash map of a fixed seed (no OS randomness) finds a name in
/// one hash, where a `BTreeMap` compared it with a dozen others, mostly sharing a long prefix
/// (`svc-3-us-east-a-…`). foldhash, not SipHash: hashing each event's name was most of the
/// count's cost, and these keys come from the run, not from an adversary.
type Counts = indexmap::IndexMap<String, u64, foldhash::fast::FixedState>;

/// What the trace's identities count, in one pass over the trace.
#[derive(Default)]
struct Counted {
    /// HTTP access-log entries (TCP entries have no request id) by proxy.
    logged: Counts,
    /// `request` events by load.
    traced: Counts,
}

impl Counted {
    fn of(run: &RunResult) -> Self {
        let mut counted = Counted::default();
        let count = |map: &mut Counts, key: &str| match map.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                map.insert(key.to_string(), 1);
            }
        };
        for e in run.trace().events() {
            match &e.kind {
                EventKind::AccessLog {
                    proxy, request_id, ..
                } if !request_id.is_empty() => count(&mut counted.logged, proxy),
                EventKind::Request { load, .. } => count(&mut counted.traced, load),
                _ => {}
            }
        }
        counted
    }
}

/// One HTTP access-log entry (`logged`) per request that ended.
fn check_access_logs(ended: u64, logged: u64, out: &mut Vec<Violation>) {
    if logged != ended {
        let d = format!("{ended} requests ended, {logged} logged");
        out.push(violation(
            "access log",
            "one access-log entry per request that ended",
            d,
        ));
    }
}

/// One `request` event per call each load made (`traced`: request events by load).
fn check_loads(run: &RunResult, traced: &Counts, out: &mut Vec<Violation>) {
    for (spec, _, outcome) in &run.loads {
        let (calls, seen) = (
            outcome.calls.len(),
            traced.get(spec.name.as_str()).copied().unwrap_or(0),
        );
        if calls != seen {
            let d = format!("{calls} calls, {seen} request events");
            out.push(violation(
                &format!("load {}", spec.name),
                "one request event per call",
                d,
            ));
        }
    }
}

#[cfg(test)]
#[path = "invariants_tests.rs"]
mod tests;
