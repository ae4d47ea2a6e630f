//! A run: which topology and policies, which loads when, for how long, with which seed, and
//! what must hold afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
}

/// A band a metric must fall in; either bound may be open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    pub name: String,
    pub metric: Metric,
    pub min: Option<f64>,
    pub max: Option<f64>,
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
}
