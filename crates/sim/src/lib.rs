//! meshtwin's simulated world.
//!
//! - [`executor`]: a deterministic single-threaded executor; every task belongs to a host.
//! - [`clock`]: virtual time and timers (microsecond resolution; time jumps to the next event).
//! - [`network`]: turmoil-net hosts and the packet scheduler (latency by locality pair).
//! - [`platform`]: the proxy core's platform seam on a simulated host.
//! - [`xds`]: the control plane: topology + policies → each proxy's listeners and clusters.
//! - [`app`]: application models (service time, errors, worker concurrency).
//! - [`loadgen`]: fortio-style load generators.
//! - [`recorder`]: the trace.
//! - [`rng`]: one seeded ChaCha stream per component.
//! - [`world`]: builds and runs a scenario.
#![forbid(unsafe_code)]

pub mod app;
pub mod clock;
pub mod executor;
pub mod loadgen;
pub mod network;
pub mod platform;
pub mod recorder;
pub mod rng;
pub mod world;
pub mod xds;

pub use world::{run, EngineStats, RunResult, SimError};
