//! meshtwin's simulated world.
//!
//! - [`executor`]: a deterministic single-threaded executor; every task belongs to a host.
//! - [`clock`]: virtual time and timers (microsecond resolution; time jumps to the next event).
//! - [`timers`]: the clock's pending timers, due in (deadline, arming order).
//! - [`ticker`]: fixed-phase tickers (outlier sweeps) that rest without losing their place
//!   among same-instant wake-ups.
//! - [`network`]: the hosts' network on one of two substrates: [`fabric`], the twin's own
//!   event-driven socket layer (the default), or turmoil-net driven by [`packets`]; both
//!   route packets through [`links`] (latency by locality pair — [`pod_latency`] —, partitions,
//!   degraded links).
//! - [`platform`]: the proxy core's platform seam on a simulated host; [`stream`] its TCP stream.
//! - [`xds`]: the control plane (the `meshtwin-xds` crate, re-exported): topology + policies →
//!   each proxy's listeners and clusters.
//! - [`app`]: application models (service time, errors, worker concurrency); [`app_call`]
//!   their calls to other services.
//! - [`loadgen`]: fortio-style load generators; [`pacing`] when their loops call and stop;
//!   [`load_request`] the request a load's calls send, parsed once;
//!   [`tcp_client`] their `tcp://` calls (one connection, one line each). Apps and load
//!   generators are generic over the proxy's platform seam, so they run on real loopback
//!   sockets too (`tests/real_loopback.rs`).
//! - [`tcp_echo`]: Istio's tcp-echo sample (answers each line with its prefix).
//! - [`reach`]: which pods can exchange packets (only those become network hosts).
//! - [`recorder`]: the trace; [`trace_filter`] what a `failures` / `none` trace keeps;
//!   [`trace_stream`] a full trace streamed to its file during the run and read back.
//! - [`rng`]: one seeded ChaCha stream per component.
//! - [`rss_log`]: the memory probe `MESHTWIN_RSS_LOG` turns on (for the README's measurement).
//! - [`scheduler`]: the event loop (tasks, packets, then the clock jumps).
//! - [`pods`]: starting and crashing a pod's proxy and app.
//! - [`timeline`]: the scenario's faults and changes, and the control plane's pushes.
//! - [`target`]: where a load's or an app call's URL leads (own sidecar, or a service's pods).
//! - [`world`]: a run's fixed inputs ([`World`]) and the entry points that run a scenario.
//! - [`simulator`]: one run as `init` / `step` / `finish` (building the world, applying the
//!   timeline, collecting the result).
//! - [`invariants`]: Envoy's counter identities, checked at the end of every run.
//! - [`baseline`]: a bare echo over the same hops, for the benchmark.
//! - [`real`]: the same pods on real loopback sockets in real time (`meshtwin run --real`).
#![forbid(unsafe_code)]

pub mod app;
pub mod app_call;
pub mod baseline;
pub mod clock;
pub mod executor;
pub mod fabric;
pub mod http_client;
pub mod invariants;
pub mod links;
pub mod load_request;
pub mod loadgen;
pub mod network;
pub mod pacing;
pub mod packets;
pub mod platform;
pub mod pod_latency;
pub mod pods;
pub mod reach;
pub mod real;
pub mod recorder;
pub mod rng;
pub mod rss_log;
pub mod scheduler;
pub mod simulator;
pub mod stream;
pub mod target;
pub mod tcp_client;
pub mod tcp_echo;
pub mod ticker;
pub mod timeline;
pub mod timers;
pub mod trace_filter;
pub mod trace_stream;
pub mod world;

pub use meshtwin_xds as xds;

pub use network::Substrate;
pub use simulator::Simulator;
pub use world::{
    proxy_configs, run, run_on, run_recorded, run_traced, run_with_timeline, EngineStats,
    RunResult, SimError, World,
};
