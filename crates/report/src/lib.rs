//! meshtwin's outputs, computed from a run's results and trace; pure functions except
//! [`plot::plot_panels`], which writes the image files.
//!
//! - [`stats`]: per-proxy Envoy counters and gauges, and `stats.txt` in the admin `/stats` form
//!   (and its `?filter=` and `?format=json` forms).
//! - [`prometheus`]: `stats.prom`, the stats as Envoy's `/stats/prometheus` renders them.
//! - [`perfetto`]: `trace.perfetto.json`, the trace as Chrome trace-event JSON.
//! - [`fortio`]: a load generator's result, percentiles computed as fortio computes them, the
//!   fortio-style text summary, the `summary.json` entry and fortio's own JSON
//!   (`fortio-<load>.json`, [`fortio::json`]).
//! - [`timeseries`]: named `(t_ms, value)` series and per-bucket event counts.
//! - [`pool`]: the pool-behaviour panels (connections, pending requests, overflows) built from
//!   the trace's pool events.
//! - [`endpoints`]: the `istioctl proxy-config endpoints` view at any virtual time.
//! - [`ejections`]: ejected intervals per host (outlier detection and active health checks).
//! - [`explain`]: why requests failed — each failure class's mechanism and the settings behind
//!   it, cited where they were written; one request's hops and diagnosis.
//! - [`graph`]: the service graph (workloads grouped by region, zone and cluster; traffic,
//!   errors, p99, ejections and failover on the edges) and its standalone SVG.
//! - [`failover`]: traffic share per upstream locality / cluster over time, and the failover
//!   time.
//! - [`compare`]: two variants on the same seeds, paired deltas and gates.
//! - [`document`]: the reviewer's report, self-contained HTML and Markdown.
//! - [`config_diff`]: what differs between two variants' proxy configurations.
//! - [`confidence`]: means and Student's t 95 % intervals over seeds.
//! - [`places`]: where each pod runs and which workload it belongs to.
//! - [`expect`]: the scenario's expectations judged against a run ([`expect::Verdict`]).
//! - [`reach`]: which workloads each request reached, compactly.
//! - [`summary`]: the typed `summary.json` ([`summary::Summary`]) and [`summary::judge`];
//!   [`from_trace`]: what the judgement reads from the trace, in two walks.
//! - [`shown_path`]: input paths as outputs name them (never the machine's).
//! - [`simulated`]: `inputs.json`, what a run simulated (policy files with their hashes).
//! - [`digest`]: `meshtwin test`'s golden digests — a run reduced to what a reviewer cares
//!   about — and their figure-by-figure diff within a scenario's tolerances.
//! - [`junit`]: JUnit XML of `meshtwin test`'s cases, for CI systems to render.
//! - [`markup`]: the one escape for XML, SVG and HTML text.
//! - [`output`]: a run's files (summary, trace, stats, plots), each written beside its name and
//!   renamed into place; [`traffic_plots`] and [`health_plots`] are the run's plots.
//! - [`plot`]: stacked panels drawn to SVG and PNG with an embedded font, and their data as JSON
//!   (tests check plots by their data, not their pixels).
//!
//! Every output is deterministic: the same inputs give byte-identical text, JSON and images.
#![forbid(unsafe_code)]

pub mod compare;
pub mod confidence;
pub mod config_diff;
pub mod digest;
pub mod document;
pub mod ejections;
pub mod endpoints;
pub mod expect;
pub mod explain;
pub mod failover;
pub mod fortio;
pub mod from_trace;
pub mod graph;
pub mod health_plots;
pub mod junit;
pub mod markup;
pub mod output;
pub mod output_dir;
pub mod perfetto;
pub mod places;
pub mod plot;
pub mod pool;
pub mod prometheus;
pub mod reach;
pub mod shown_path;
pub mod simulated;
pub mod stats;
pub mod summary;
pub mod timeseries;
pub mod traffic_plots;
