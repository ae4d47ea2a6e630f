//! `summary.json`: the run's results in one stable, documented, typed document. The same type
//! is read back by `meshtwin compare`, `test` and `report`, so what a run writes is what they
//! judge.

use meshtwin_model::event::TraceLevel;
use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::calls::CallStats;
use meshtwin_model::run::{ProxyStats, RunPlatform, RunResult};
use meshtwin_model::scenario::Scenario;
use meshtwin_model::topology::Topology;
use meshtwin_model::trace::walk_together;
use serde::{Deserialize, Serialize};

use crate::ejections::Source;
use crate::expect::{evaluate, Reach, Verdict};
use crate::explain::{explain_failed, Context, Explanation, FailedRequests};
use crate::failover::{Failover, Hosts, Place};
use crate::fortio::{CutShort, LatencySummary, LoadResult};
use crate::from_trace::FromTrace;
use crate::graph::build::Builder as GraphBuilder;
use crate::graph::render_svg;
use crate::places::pod_places;
use crate::simulated::Simulated;

/// The whole of `summary.json`. Field order is the file's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// meshtwin's version.
    pub meshtwin: String,
    /// What the pods ran on; absent for the twin (`real` for `meshtwin run --real`, whose
    /// outputs are not deterministic).
    #[serde(default, skip_serializing_if = "RunPlatform::is_twin")]
    pub platform: RunPlatform,
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub duration_ms: f64,
    pub topology: TopologySummary,
    /// Policy files as the scenario names them.
    pub policies: Vec<String>,
    pub loads: Vec<LoadSummary>,
    /// Each proxy's Envoy stats at the end of the run, by pod.
    pub proxies: BTreeMap<String, ProxyStats>,
    /// Every outlier ejection, in proxy, cluster, host, time order.
    pub ejections: Vec<EjectionSummary>,
    pub expectations: Vec<Verdict>,
    /// Whether every expectation held.
    pub passed: bool,
    pub trace: TraceSummary,
}

/// The topology in a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologySummary {
    pub name: String,
    pub pods: u64,
    /// Pods no load can reach exchange no packet and are not simulated.
    pub simulated_pods: u64,
}

/// One load: fortio's figures, then meshtwin's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    pub name: String,
    pub requests: u64,
    /// Calls per status in fortio's terms (socket failures `-1`), in numeric order.
    pub codes: BTreeMap<i32, u64>,
    pub latency_ms: LatencySummary,
    pub qps: f64,
    pub sockets_used: u64,
    pub src_pod: String,
    pub url: String,
    pub connections: u32,
    /// Calls per response-flag set (`-` for none, `UO`, `UF,URX`, …).
    pub flags: BTreeMap<String, u64>,
    /// Calls per answering pod (`-` when no app answered).
    pub upstream_pods: BTreeMap<String, u64>,
    /// Per workload any hop of a call reached: the sampled share and its 95 % interval.
    pub reached_workloads: BTreeMap<String, ReachedShare>,
    /// When the load's traffic left the locality it started in, if it did.
    pub failover: Option<Failover>,
}

/// A workload's share of a load's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReachedShare {
    pub calls: u64,
    pub share: f64,
    /// 95 % confidence interval (normal approximation), clamped to [0, 1].
    pub ci95: [f64; 2],
}

/// One outlier ejection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EjectionSummary {
    pub proxy: String,
    pub cluster: String,
    pub host: String,
    pub ejected_at_ms: f64,
    /// `None` while still ejected at the end of the run.
    pub unejected_at_ms: Option<f64>,
    /// Envoy's ejection type (`consecutive_5xx`, …).
    pub reason: String,
}

/// The trace's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub events: u64,
    pub dropped: u64,
    /// How much of the trace the run kept (`--trace`); absent for a full trace.
    #[serde(default, skip_serializing_if = "TraceLevel::is_full")]
    pub level: TraceLevel,
}

/// A run judged: per-load results in fortio's terms, every expectation's verdict, the summary,
/// and what the plots need.
pub struct Judged {
    pub loads: Vec<LoadResult>,
    pub verdicts: Vec<Verdict>,
    pub summary: Summary,
    /// Request id → workloads reached.
    pub reach: Reach,
    /// Pod → locality and cluster.
    pub places: BTreeMap<String, Place>,
    /// The endpoint sets' localities (where upstreams that are no pods run).
    pub hosts: Hosts,
    /// What the run simulated (`inputs.json`).
    pub simulated: Simulated,
    /// Why requests failed (`explanations.json`), once [`Judged::annotate`] ran.
    pub explanations: Vec<Explanation>,
    /// The service graph (`graph.svg`), once [`Judged::annotate`] ran.
    pub graph_svg: Option<String>,
}

impl Judged {
    /// Explain the run's failures and draw its service graph — what `meshtwin run` writes
    /// beside the summary (sweeps and comparisons, which keep only figures, skip it).
    /// The failed requests and the graph share one walk of the trace; the explanations' index
    /// of the failed requests takes a second.
    pub fn annotate(&mut self, r: &RunResult, ctx: &Context<'_>) {
        let places = crate::graph::places(ctx.topology);
        let mut failed = FailedRequests::default();
        let mut graph = GraphBuilder::new(&places);
        walk_together(
            r.trace(),
            &mut [&mut |e| failed.visit(e), &mut |e| graph.add(e)],
        );
        // The graph first: its builder's per-request state goes before the index is built.
        let graph = graph.finish();
        self.explanations = explain_failed(r.trace(), ctx, &failed);
        let title = format!(
            "Service graph — {} · seed {}",
            self.summary.scenario, self.summary.seed
        );
        self.graph_svg = Some(render_svg(&graph, &title));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// Judge a run of `sc` on `topo` and build its summary.
pub fn judge(sc: &Scenario, topo: &Topology, r: &RunResult) -> Judged {
    let loads = load_results(r);
    let places = pod_places(topo);
    let read = FromTrace::read(r, topo, &places);
    let verdicts = evaluate(&sc.expectations, r, &loads, &read.reach, &read.failovers);
    let summary = Summary::build(sc, topo, r, &loads, &read, &verdicts);
    Judged {
        loads,
        verdicts,
        summary,
        reach: read.reach,
        places,
        hosts: read.hosts,
        simulated: Simulated::build(sc, topo, read.timeline),
        explanations: Vec::new(),
        graph_svg: None,
    }
}

/// Per-load results in fortio's terms.
pub fn load_results(r: &RunResult) -> Vec<LoadResult> {
    r.loads
        .iter()
        .map(|(spec, src, o)| LoadResult {
            name: spec.name.clone(),
            src_pod: src.clone(),
            url: spec.url.clone(),
            connections: spec.connections,
            qps_target: spec.qps,
            calls: o.calls.len(),
            codes: o.calls.by_status.clone(),
            latencies: o.calls.latencies.clone(),
            sockets_used: o.sockets_used,
            start_ms: o.first_start.map(ms).unwrap_or(ms(spec.start)),
            end_ms: o.last_end.map(ms).unwrap_or(ms(spec.start)),
            requested_duration_ms: spec.duration.map(ms),
            cut_short: o
                .cut_short
                .iter()
                .map(|s| CutShort {
                    thread: s.connection,
                    done: s.done,
                    planned: s.planned,
                })
                .collect(),
            hit_call_limit: o.hit_call_limit,
        })
        .collect()
}

impl Summary {
    /// The summary of run `r` of `sc` on `topo`, with its loads' fortio results and verdicts.
    pub fn build(
        sc: &Scenario,
        topo: &Topology,
        r: &RunResult,
        loads: &[LoadResult],
        read: &FromTrace,
        verdicts: &[Verdict],
    ) -> Self {
        // Where each call was served is read from every request's events: a run that kept
        // less than the full trace has no failover to report (nor reached workloads).
        let loads = loads
            .iter()
            .map(|l| {
                let failover = read.failovers.get(&l.name).cloned();
                LoadSummary::build(l, r, &read.reach, failover)
            })
            .collect();
        Summary {
            meshtwin: env!("CARGO_PKG_VERSION").to_string(),
            platform: r.platform,
            scenario: sc.name.clone(),
            description: sc.description.clone(),
            seed: sc.seed,
            duration_ms: ms(sc.duration),
            topology: TopologySummary {
                name: topo.name.clone(),
                pods: topo.pods().len() as u64,
                simulated_pods: r.engine.hosts,
            },
            policies: sc
                .policies
                .iter()
                .map(|p| crate::shown_path::shown(p, &sc.file))
                .collect(),
            loads,
            proxies: r.proxies.clone(),
            ejections: (read.ejections.iter())
                .filter(|e| e.source == Source::Outlier)
                .map(|e| EjectionSummary {
                    proxy: e.proxy.clone(),
                    cluster: e.cluster.clone(),
                    host: e.host.clone(),
                    ejected_at_ms: e.ejected_at_ms,
                    unejected_at_ms: e.unejected_at_ms,
                    reason: e.reason.clone(),
                })
                .collect(),
            expectations: verdicts.to_vec(),
            passed: verdicts.iter().all(|v| v.pass),
            trace: TraceSummary {
                events: r.trace().len(),
                level: r.trace_level,
                dropped: r.dropped_events,
            },
        }
    }

    /// The summary as `summary.json` writes it: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a summary serializes");
        s.push('\n');
        s
    }

    /// The run in a heading: `scenario · seed N`, and `· real sockets (not deterministic)`
    /// for a `run --real`.
    pub fn heading(&self) -> String {
        let real = match self.platform {
            RunPlatform::Twin => "",
            RunPlatform::Real => " · real sockets (not deterministic)",
        };
        format!("{} · seed {}{real}", self.scenario, self.seed)
    }

    /// The load named `name`.
    pub fn load(&self, name: &str) -> Option<&LoadSummary> {
        self.loads.iter().find(|l| l.name == name)
    }
}

/// How many of `load`'s calls (counted in `calls`) reached each workload.
pub fn reached_by_load(calls: &CallStats, load: &str, reach: &Reach) -> BTreeMap<String, u64> {
    let mut reached: BTreeMap<String, u64> = BTreeMap::new();
    for (_, workloads) in reach.requests().filter(|(id, _)| calls.ended(load, id)) {
        for w in workloads {
            match reached.get_mut(w) {
                Some(n) => *n += 1,
                None => {
                    reached.insert(w.to_string(), 1);
                }
            }
        }
    }
    reached
}

impl LoadSummary {
    fn build(l: &LoadResult, r: &RunResult, reach: &Reach, failover: Option<Failover>) -> Self {
        let empty = CallStats::default();
        let calls = r.load(&l.name).map_or(&empty, |o| &o.calls);
        let mut flags = BTreeMap::new();
        for ((_, f), n) in &calls.by_status_flags {
            *flags.entry(f.to_string()).or_default() += n;
        }
        let mut upstream_pods = BTreeMap::new();
        for (pod, n) in &calls.by_upstream {
            let pod = pod.clone().unwrap_or_else(|| "-".into());
            *upstream_pods.entry(pod).or_default() += n;
        }
        let reached = if r.trace_level.is_full() {
            reached_by_load(calls, &l.name, reach)
        } else {
            BTreeMap::new()
        };
        let n = calls.len().max(1) as f64;
        let reached_workloads = reached
            .into_iter()
            .map(|(w, k)| {
                let p = k as f64 / n;
                let half = 1.96 * (p * (1.0 - p) / n).sqrt();
                let share = ReachedShare {
                    calls: k,
                    share: p,
                    ci95: [(p - half).max(0.0), (p + half).min(1.0)],
                };
                (w, share)
            })
            .collect();
        let fortio = l.summary();
        LoadSummary {
            name: l.name.clone(),
            requests: l.calls,
            codes: fortio.codes,
            latency_ms: fortio.latency_ms,
            qps: fortio.qps,
            sockets_used: l.sockets_used,
            src_pod: l.src_pod.clone(),
            url: l.url.clone(),
            connections: l.connections,
            flags,
            upstream_pods,
            reached_workloads,
            failover,
        }
    }
}
