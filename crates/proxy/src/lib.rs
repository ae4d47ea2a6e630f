//! meshtwin's proxy core: Envoy's concepts, one module each, on hyper.
//!
//! - [`platform`]: the seam (connect, bind/accept, spawn, time) — real sockets or the twin.
//! - [`body`]: request bodies, whole (replayable) or streamed with backpressure.
//! - [`breaker`]: circuit breakers (the cluster's resource manager).
//! - [`pool`]: upstream connection pools; [`pool::engine`] is the synchronous state machine.
//! - [`cluster`]: clusters, their endpoints, per-worker pools and balancers;
//!   [`cluster_outlier`] runs a cluster's outlier detector.
//! - [`lb`]: load balancing engines (priority load, panic, RR / least request / random, Istio locality).
//! - [`outlier`]: the outlier detection engine (consecutive errors, success rate, ejection).
//! - [`health`]: active health checking (App Mesh `healthCheck`): engine and per-host driver.
//! - [`router`]: synchronous router engines: route tables, weights, timeouts, retries, faults, mirrors.
//! - [`http`]: the HTTP connection manager (downstream side); [`router_filter`] routes,
//!   injects faults, mirrors, retries and times out; [`upstream`] makes one attempt.
//! - [`local_reply`]: Envoy's local replies (503 UO, UH, UF ...) and response flags.
//! - [`listener`]: listeners and worker assignment; [`downstream`] holds real clients to
//!   Envoy's limits, [`conn_watch`] to its connection timeouts.
//! - [`tcp_proxy`]: opaque TCP proxying with the hard connection limit.
//! - [`config`]: what the control plane hands a proxy (listeners, clusters).
//! - [`observer`]: where access logs and pool events go.
//! - [`stats`]: Envoy-named counters and gauges.
//!
//! The crate never depends on the simulator, YAML or topology files.
#![forbid(unsafe_code)]

pub mod body;
pub mod breaker;
pub mod cluster;
mod cluster_hosts;
pub mod cluster_outlier;
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
pub mod tcp_proxy;
pub mod upstream;

pub use proxy::Proxy;
