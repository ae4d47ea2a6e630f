//! A load generator's result, summarised as fortio summarises it: percentiles by fortio's
//! histogram interpolation ([`histogram`]), the text fortio prints at the end of a `load`
//! ([`fortio_text`]), the `summary.json` entry ([`load_json`]) and fortio's own JSON
//! ([`json::fortio_json`]).

mod gofmt;
pub mod histogram;
pub mod json;

use gofmt::{go_duration_ms, go_g, go_seconds};
use histogram::{Histogram, Unit};
use meshtwin_model::calls::Latencies;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What one load generator (a fortio `load`) did during a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// The scenario's name for the load.
    pub name: String,
    /// Pod the load runs in.
    pub src_pod: String,
    pub url: String,
    /// fortio's `-c`: concurrent connections (threads).
    pub connections: u32,
    /// fortio's `-qps`; 0 means as fast as possible ("max qps").
    pub qps_target: f64,
    /// Calls completed, successful or not.
    pub calls: u64,
    /// Calls per HTTP status; 0 is a socket-level failure (fortio's `-1`).
    pub codes: BTreeMap<u16, u64>,
    /// Every call's duration (milliseconds).
    pub latencies: Latencies,
    /// Sockets (TCP connections) the load opened.
    pub sockets_used: u64,
    /// Virtual time the load started and ended.
    pub start_ms: f64,
    pub end_ms: f64,
    /// fortio's `-t`, when the load ran for a duration.
    #[serde(default)]
    pub requested_duration_ms: Option<f64>,
    /// The connections (fortio's threads) that stopped at the deadline before making all
    /// their calls, by thread.
    #[serde(default)]
    pub cut_short: Vec<CutShort>,
    /// A full-speed load with a duration that stopped at
    /// [`meshtwin_model::limits::MAX_UNPACED_CALLS`].
    #[serde(default)]
    pub hit_call_limit: bool,
}

/// A thread of a paced load that reached its `-t` deadline before making all its calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutShort {
    pub thread: u64,
    pub done: u64,
    pub planned: u64,
}

impl LoadResult {
    /// Wall length of the load in virtual milliseconds (never negative).
    pub fn duration_ms(&self) -> f64 {
        (self.end_ms - self.start_ms).max(0.0)
    }

    /// Achieved calls per second of virtual time (0 for an instantaneous load).
    pub fn qps(&self) -> f64 {
        let ms = self.duration_ms();
        if ms > 0.0 {
            self.calls as f64 * 1000.0 / ms
        } else {
            0.0
        }
    }
}

/// fortio's default target percentiles of call durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
}

/// The 50th, 75th, 90th, 99th and 99.9th percentiles of `latencies` (milliseconds), computed
/// as fortio computes them: linear interpolation inside fortio's histogram buckets (see
/// [`histogram`]), not nearest-rank. `None` when there are no samples.
pub fn percentiles(latencies: &Latencies) -> Option<Percentiles> {
    percentiles_of(&Histogram::of_latencies(latencies, Unit::Ms))
}

fn percentiles_of(h: &Histogram) -> Option<Percentiles> {
    Some(Percentiles {
        p50: h.percentile(50.0)?,
        p75: h.percentile(75.0)?,
        p90: h.percentile(90.0)?,
        p99: h.percentile(99.0)?,
        p99_9: h.percentile(99.9)?,
    })
}

const TARGETS: [f64; 5] = [50.0, 75.0, 90.0, 99.0, 99.9];

/// fortio's status key: socket failures (status 0) are `-1`.
fn fortio_code(status: u16) -> i32 {
    if status == 0 {
        -1
    } else {
        i32::from(status)
    }
}

/// The summary fortio prints after `fortio load -c N -qps Q -n CALLS URL`, with fortio's own
/// number formats (seconds with Go's `%g`, durations as Go prints them; each duration first
/// becomes whole nanoseconds and then seconds, as Go's `Duration.Seconds()`, so a run whose
/// calls took what fortio measured prints what fortio printed): a header naming the
/// load, `Ended after …`, `Aggregated Function Time …` with the histogram, the `# target`
/// percentiles, `Sockets used: S (for perfect keepalive, would be C)`, one
/// `Code %3d : n (p %)` line per status (socket failures as `Code  -1`, first), and fortio's
/// closing `All done …` line. Response sizes are not modelled and not printed. Before
/// `Ended after`, each thread that stopped at its `-t` deadline short of its calls logs
/// fortio's warning (`periodic.go` `runOne`, at fortio's `[W]` level):
/// `T003 warning only did 212 out of 625 calls before reaching 5s`.
pub fn fortio_text(load: &LoadResult) -> String {
    let h = Histogram::of_latencies(&load.latencies, Unit::Seconds);
    let elapsed_s = go_seconds(load.duration_ms());
    let qps = if elapsed_s > 0.0 {
        load.calls as f64 / elapsed_s
    } else {
        0.0
    };
    let qps_target = if load.qps_target > 0.0 {
        format!("{} qps", go_g(load.qps_target, None))
    } else {
        "max qps".to_string()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fortio-style summary for load {} ({} -> {}), {} connections, {}, {} calls",
        load.name, load.src_pod, load.url, load.connections, qps_target, load.calls
    );
    if let Some(t) = load.requested_duration_ms {
        for s in &load.cut_short {
            let _ = writeln!(
                out,
                "[W] T{:03} warning only did {} out of {} calls before reaching {}",
                s.thread,
                s.done,
                s.planned,
                go_duration_ms(t)
            );
        }
    }
    if load.hit_call_limit {
        let _ = writeln!(
            out,
            "[W] meshtwin: stopped at the limit of {} calls for a load at full speed (qps 0) \
             with a duration",
            meshtwin_model::limits::MAX_UNPACED_CALLS
        );
    }
    let _ = writeln!(
        out,
        "Ended after {} : {} calls. qps={}",
        go_duration_ms(load.duration_ms()),
        load.calls,
        go_g(qps, Some(5))
    );
    write_histogram(&mut out, "Aggregated Function Time", &h);
    let _ = writeln!(
        out,
        "Sockets used: {} (for perfect keepalive, would be {})",
        load.sockets_used, load.connections
    );
    for (code, n) in fortio_codes(load) {
        let percent = if load.calls > 0 {
            100.0 * n as f64 / load.calls as f64
        } else {
            0.0
        };
        let _ = writeln!(out, "Code {code:3} : {n} ({percent:.1} %)");
    }
    let _ = writeln!(
        out,
        "All done {} calls (plus 0 warmup) {:.3} ms avg, {:.1} qps",
        load.calls,
        1000.0 * h.avg(),
        qps
    );
    out
}

/// fortio's `HistogramData.Print` of a histogram of seconds, with the target percentiles.
fn write_histogram(out: &mut String, label: &str, h: &Histogram) {
    if h.buckets.is_empty() {
        let _ = writeln!(out, "{label} : no data");
        return;
    }
    let _ = writeln!(
        out,
        "{label} : count {} avg {} +/- {} min {} max {} sum {}",
        h.count,
        go_g(h.avg(), Some(8)),
        go_g(h.stddev, Some(4)),
        go_g(h.min, None),
        go_g(h.max, None),
        go_g(h.sum, Some(9)),
    );
    out.push_str("# range, mid point, percentile, count\n");
    for (i, b) in h.buckets.iter().enumerate() {
        let _ = writeln!(
            out,
            "{} {} <= {} , {} , {:.2}, {}",
            if i == 0 { ">=" } else { ">" },
            go_g(b.start, Some(6)),
            go_g(b.end, Some(6)),
            go_g((b.start + b.end) / 2.0, Some(6)),
            b.cumulative_percent,
            b.count
        );
    }
    for target in TARGETS {
        let value = h.percentile(target).unwrap_or(0.0);
        let _ = writeln!(
            out,
            "# target {}% {}",
            go_g(target, None),
            go_g(value, Some(6))
        );
    }
}

/// Calls per status in fortio's terms and order (socket failures as `-1`, first).
fn fortio_codes(load: &LoadResult) -> Vec<(i32, u64)> {
    let mut codes: Vec<(i32, u64)> = load
        .codes
        .iter()
        .map(|(status, n)| (fortio_code(*status), *n))
        .collect();
    codes.sort_unstable();
    codes
}

/// Rounds milliseconds to whole nanoseconds (the trace's precision is a microsecond), so
/// summaries carry no float noise.
fn round_ms(ms: f64) -> f64 {
    (ms * 1e6).round() / 1e6
}

/// A load's latencies in milliseconds, as `summary.json` gives them: rounded to the
/// nanosecond, every field `null` when there were no calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p99_9: Option<f64>,
    pub max: Option<f64>,
}

/// The load's fortio figures in `summary.json`: `{"name", "requests", "codes": {"200": n,
/// "-1": n, …}, "latency_ms": {"min", "avg", "p50", "p75", "p90", "p99", "p99_9", "max"},
/// "qps", "sockets_used"}`. Status codes are fortio's (socket failures `-1`), in numeric
/// order; `qps` is rounded to 1e-6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FortioSummary {
    pub name: String,
    pub requests: u64,
    pub codes: BTreeMap<i32, u64>,
    pub latency_ms: LatencySummary,
    pub qps: f64,
    pub sockets_used: u64,
}

impl LoadResult {
    /// This load's [`FortioSummary`].
    pub fn summary(&self) -> FortioSummary {
        let h = Histogram::of_latencies(&self.latencies, Unit::Ms);
        let latency_ms = match percentiles_of(&h) {
            Some(p) => LatencySummary {
                min: Some(round_ms(h.min)),
                avg: Some(round_ms(h.avg())),
                p50: Some(round_ms(p.p50)),
                p75: Some(round_ms(p.p75)),
                p90: Some(round_ms(p.p90)),
                p99: Some(round_ms(p.p99)),
                p99_9: Some(round_ms(p.p99_9)),
                max: Some(round_ms(h.max)),
            },
            None => LatencySummary::default(),
        };
        FortioSummary {
            name: self.name.clone(),
            requests: self.calls,
            codes: fortio_codes(self).into_iter().collect(),
            latency_ms,
            qps: round_ms(self.qps()),
            sockets_used: self.sockets_used,
        }
    }
}

/// [`LoadResult::summary`] as JSON.
pub fn load_json(load: &LoadResult) -> Value {
    serde_json::to_value(load.summary()).expect("a fortio summary serializes")
}

#[cfg(test)]
mod tests;
