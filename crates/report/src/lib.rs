//! meshtwin's outputs, computed from a run's results and trace; pure functions except
//! [`plot::plot_panels`], which writes the image files.
//!
//! - [`stats`]: per-proxy Envoy counters and gauges, and `stats.txt` in the admin `/stats` form.
//! - [`fortio`]: a load generator's result, percentiles computed as fortio computes them, the
//!   fortio-style text summary and the `summary.json` entry.
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
//! - [`plot`]: stacked panels drawn to SVG and PNG with an embedded font, and their data as JSON
//!   (tests check plots by their data, not their pixels).
//!
//! Every output is deterministic: the same inputs give byte-identical text, JSON and images.
#![forbid(unsafe_code)]

pub mod ejections;
pub mod endpoints;
pub mod explain;
pub mod failover;
pub mod fortio;
pub mod graph;
pub mod plot;
pub mod pool;
pub mod stats;
pub mod timeseries;
