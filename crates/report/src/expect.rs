//! Judging a run against the scenario's expectations.

use std::collections::BTreeMap;

use meshtwin_model::calls::CallStats;
use meshtwin_model::event::EventKind;
use meshtwin_model::run::{LoadOutcome, RunResult};
use meshtwin_model::scenario::{Expectation, Metric};
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use crate::failover::failovers;
use crate::failover::Failover;
use crate::fortio::LoadResult;

/// One expectation's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub name: String,
    pub value: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pass: bool,
    pub detail: String,
}

pub use crate::reach::Reach;

/// Every request's reached workloads ([`Reach::visit`] over the trace).
pub fn reached_workloads(r: &RunResult, workloads: &BTreeMap<String, String>) -> Reach {
    let mut out = Reach::new();
    for e in r.trace().events() {
        out.visit(&e, workloads);
    }
    out
}

/// Why a metric has no number in this run.
#[derive(Debug, Clone, PartialEq)]
enum Unmeasured {
    /// The run gave it nothing to measure (the share of a code among calls of which none had
    /// that code, a percentile of no call): no value, which is no result either way.
    NoValue(String),
    /// The expectation names something the run does not have.
    Unknown(String),
}

impl From<String> for Unmeasured {
    fn from(why: String) -> Self {
        Unmeasured::Unknown(why)
    }
}

/// The value a metric takes in this run, or why it has none.
fn measure(
    m: &Metric,
    r: &RunResult,
    loads: &[LoadResult],
    reach: &Reach,
    failovers: &BTreeMap<String, Failover>,
) -> Result<f64, Unmeasured> {
    let load_calls = |load: &str| {
        r.load(load)
            .ok_or_else(|| Unmeasured::Unknown(format!("no load named '{load}'")))
    };
    // The fraction of a load's calls that `count` counts.
    let share = |load: &str, count: &dyn Fn(&CallStats) -> u64| -> Result<f64, Unmeasured> {
        let o = load_calls(load)?;
        if o.calls.is_empty() {
            return Err(Unmeasured::NoValue(format!("load '{load}' made no call")));
        }
        Ok(count(&o.calls) as f64 / o.calls.len() as f64)
    };
    // Which workloads a call reached and where it was served are read from every request's
    // events, which only a full trace keeps.
    if matches!(m, Metric::Reached { .. } | Metric::FailoverMs { .. }) && !r.trace_level.is_full() {
        return Err(Unmeasured::Unknown(format!(
            "not measured: this metric reads every request's trace events, and the run kept \
             `--trace {}` (run with `--trace full`)",
            r.trace_level
        )));
    }
    match m {
        Metric::CodeFraction { load, code } => share(load, &|c| c.with_status(*code)),
        Metric::CodeCount { load, code } => Ok(load_calls(load)?.calls.with_status(*code) as f64),
        Metric::Requests { load } => Ok(load_calls(load)?.calls.len() as f64),
        Metric::FlagFraction { load, code, flag } => {
            flag_share(load_calls(load)?, load, *code, flag)
        }
        Metric::Counter { proxy, stat } => r
            .proxies
            .get(proxy)
            .and_then(|s| s.counters.get(stat))
            .map(|v| *v as f64)
            .ok_or_else(|| Unmeasured::Unknown(format!("proxy {proxy} has no counter {stat}"))),
        Metric::GaugeMax { proxy, stat } => r
            .proxies
            .get(proxy)
            .and_then(|s| s.gauges_max.get(stat))
            .map(|v| *v as f64)
            .ok_or_else(|| Unmeasured::Unknown(format!("proxy {proxy} has no gauge {stat}"))),
        Metric::BodyContains { load, text } => share(load, &|c| with_note(c, text)),
        Metric::Reached { load, workload } => share(load, &|c| {
            crate::summary::reached_by_load(c, load, reach)
                .get(workload)
                .copied()
                .unwrap_or(0)
        }),
        Metric::PriorityLoad {
            proxy,
            cluster,
            priority,
            at,
        } => Ok(priority_state(r, proxy, cluster, *priority, *at).map(|(load, _)| f64::from(load))?),
        Metric::PriorityPanic {
            proxy,
            cluster,
            priority,
            at,
        } => Ok(
            priority_state(r, proxy, cluster, *priority, *at)
                .map(|(_, panic)| if panic { 1.0 } else { 0.0 })?,
        ),
        Metric::FailoverMs { load } => {
            load_calls(load)?;
            failover_ms(failovers, load)
        }
        Metric::LatencyMs { load, percentile } => latency_ms(loads, load, *percentile),
    }
}

/// The calls whose answering app's page reported a note containing `text`.
fn with_note(c: &CallStats, text: &str) -> u64 {
    c.by_notes
        .iter()
        .filter(|(notes, _)| notes.iter().any(|n| n.contains(text)))
        .map(|(_, k)| k)
        .sum()
}

/// When `load` first left the locality it started in (`failovers`: the run's, [`failovers`]).
fn failover_ms(failovers: &BTreeMap<String, Failover>, load: &str) -> Result<f64, Unmeasured> {
    failovers.get(load).map(|f| f.at_ms).ok_or_else(|| {
        Unmeasured::NoValue(format!(
            "load '{load}' never left the locality it started in"
        ))
    })
}

/// The `percentile` of `load`'s latencies, as fortio's histogram reports it.
fn latency_ms(loads: &[LoadResult], load: &str, percentile: f64) -> Result<f64, Unmeasured> {
    let l = loads
        .iter()
        .find(|l| l.name == load)
        .ok_or_else(|| format!("no load named '{load}'"))?;
    use crate::fortio::histogram::{Histogram, Unit};
    Histogram::of_latencies(&l.latencies, Unit::Ms)
        .percentile(percentile)
        .ok_or_else(|| Unmeasured::NoValue(format!("load '{load}' made no call")))
}

/// The share of `load`'s calls answered `code` that carry `flag`; no value without such calls.
fn flag_share(o: &LoadOutcome, load: &str, code: u16, flag: &str) -> Result<f64, Unmeasured> {
    let with_code = o.calls.with_status(code);
    if with_code == 0 {
        return Err(Unmeasured::NoValue(format!(
            "no call of load '{load}' was answered {code}, so the share of {code}s flagged \
             {flag} is undefined"
        )));
    }
    let n: u64 = o
        .calls
        .by_status_flags
        .iter()
        .filter(|((c, flags), _)| *c == code && flags.iter().any(|f| f.as_str() == flag))
        .map(|(_, k)| k)
        .sum();
    Ok(n as f64 / with_code as f64)
}

/// `priority`'s load (percent) and panic flag in `proxy`'s `cluster` at `at` (default: the
/// end of the run): the last `priority_load` trace event at or before that time. A priority
/// the event does not list carries no load and is not in panic.
fn priority_state(
    r: &RunResult,
    proxy: &str,
    cluster: &str,
    priority: u32,
    at: Option<std::time::Duration>,
) -> Result<(u32, bool), String> {
    let at_ms = at.unwrap_or(r.end).as_secs_f64() * 1000.0;
    let last = r
        .trace()
        .events()
        .take_while(|e| e.t_ms <= at_ms)
        .filter_map(|e| match &e.kind {
            EventKind::PriorityLoad {
                proxy: p,
                cluster: c,
                load,
                panic,
                ..
            } if p == proxy && c == cluster => Some((load.clone(), panic.clone())),
            _ => None,
        })
        .last();
    let Some((load, panic)) = last else {
        // No change traced: a cluster whose endpoints the proxy had, all in priority 0, sends
        // everything to P0 and is not in panic (the proxy traces any other first state).
        let single = r
            .trace()
            .events()
            .take_while(|e| e.t_ms <= at_ms)
            .filter_map(|e| match &e.kind {
                EventKind::Endpoints {
                    proxy: p,
                    cluster: c,
                    endpoints,
                } if p == proxy && c == cluster => Some(endpoints.clone()),
                _ => None,
            })
            .last()
            .filter(|eps| !eps.is_empty() && eps.iter().all(|e| e.priority == 0));
        return match single {
            Some(_) => Ok((if priority == 0 { 100 } else { 0 }, false)),
            None => Err(format!(
                "proxy {proxy} traced no priority load for cluster {cluster} by {at_ms} ms"
            )),
        };
    };
    let i = priority as usize;
    Ok((
        load.get(i).copied().unwrap_or(0),
        panic.get(i).copied().unwrap_or(false),
    ))
}

fn band(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("= {a}"),
        (Some(a), Some(b)) => format!("in [{a}, {b}]"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(b)) => format!("<= {b}"),
        (None, None) => "any".into(),
    }
}

/// Judge every expectation (`reach`: [`reached_workloads`] of the run; `failovers`: its
/// loads' failovers, [`failovers`], read only from a full trace).
pub fn evaluate(
    exps: &[Expectation],
    r: &RunResult,
    loads: &[LoadResult],
    reach: &Reach,
    failovers: &BTreeMap<String, Failover>,
) -> Vec<Verdict> {
    exps.iter()
        .map(|e| {
            let (value, pass, detail) = match measure(&e.metric, r, loads, reach, failovers) {
                Ok(v) => {
                    let pass = e.min.is_none_or(|m| v >= m) && e.max.is_none_or(|m| v <= m);
                    (
                        Some(v),
                        pass,
                        format!("{v:.4} (expected {})", band(e.min, e.max)),
                    )
                }
                // No value is not a result: the expectation fails, saying why, rather than
                // reading as a number that was met (or missed).
                Err(Unmeasured::NoValue(why)) => (
                    None,
                    false,
                    format!("no value: {why} (expected {})", band(e.min, e.max)),
                ),
                Err(Unmeasured::Unknown(why)) => (None, false, why),
            };
            Verdict {
                name: e.name.clone(),
                value,
                min: e.min,
                max: e.max,
                pass,
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "expect_tests.rs"]
mod tests;
