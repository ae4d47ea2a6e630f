//! meshtwin's proxy core: Envoy's concepts, one module each, on hyper.
//!
//! - [`platform`]: the seam (connect, bind/accept, spawn, time) — real sockets or the twin.
//! - [`body`]: request bodies, whole (replayable) or streamed with backpressure.
//! - [`breaker`]: circuit breakers (the cluster's resource manager).
//! - [`pool`]: upstream connection pools; [`pool::engine`] is the synchronous state machine.
//! - [`cluster`]: one cluster, built in one step and retired by pushes, from its info
//!   (`cluster_info`: settings, stats scope, circuit breakers), host set (`cluster_hosts`) and
//!   per-worker balancers and pools (`cluster_workers`); [`cluster_outlier`] runs its outlier
//!   detector, [`health::driver`] its health checks.
//! - [`lb`]: load balancing engines (priority load, panic, RR / least request / random, Istio locality).
//! - [`outlier`]: the outlier detection engine (consecutive errors, success rate, ejection).
//! - [`health`]: active health checking (App Mesh `healthCheck`): engine and per-host driver.
//! - [`router`]: synchronous router engines: route tables, weights, timeouts, retries, faults, mirrors.
//! - [`http`]: the HTTP connection manager (downstream side); [`active_stream`] is one
//!   request's record and access-log entry; [`router_filter`] routes, injects faults,
//!   mirrors, times out and retries, and charges each request once; [`upstream`] makes one
//!   attempt.
//! - [`local_reply`]: Envoy's local replies (503 UO, UH, UF ...) and response flags.
//! - [`listener`]: listeners and worker assignment; [`downstream`] holds real clients to
//!   Envoy's limits, [`conn_watch`] to its connection timeouts.
//! - [`tcp_proxy`]: opaque TCP proxying with the hard connection limit.
//! - [`config`]: what the control plane hands a proxy (listeners, clusters).
//! - [`observer`]: where access logs and pool events go.
//! - [`stats`]: Envoy-named counters and gauges; [`stats_snapshot`] a snapshot of them.
//!
//! The crate never depends on the simulator, YAML or topology files.
#![forbid(unsafe_code)]

pub mod active_stream;
pub mod body;
pub mod breaker;
pub mod cluster;
mod cluster_hosts;
mod cluster_info;
pub mod cluster_outlier;
mod cluster_workers;
pub mod config;
pub mod conn_watch;
pub mod downstream;
pub mod health;
pub mod http;
pub mod lb;
pub mod listener;
pub mod local_reply;
pub mod observer;
pub mod outlier;
pub mod platform;
pub mod pool;
pub mod proxy;
pub mod router;
pub mod router_filter;
pub mod stats;
pub mod stats_snapshot;
pub mod tcp_proxy;
pub mod upstream;

pub use proxy::Proxy;
