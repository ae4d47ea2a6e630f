//! Envoy's active health checker (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`): one per cluster that has a `health_checks` entry
//! (App Mesh virtual nodes' `healthCheck`, run by every client on its egress cluster, App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh)), as
//! a synchronous engine; [`driver`] runs it.
//!
//! - [`config`]: settings with Envoy's defaults, the next-check delay and its jitter.
//! - [`session`]: one host's state machine (`FAILED_ACTIVE_HC`, thresholds, first check).
//! - [`checker`]: the cluster's sessions and stats; turns a check result into decisions.
//! - [`flags`]: a host's health flags from both detectors, combined for the load balancer.
//! - [`stats`]: `cluster.<name>.health_check.*` under Envoy's names.
//! - [`probe`]: one HTTP / gRPC / TCP check on its own connection (never the cluster's pools).
//! - [`driver`]: one task per host on the platform: timers, probes, and the cluster's hooks
//!   (host health, outlier unejection on a passing check, `source/common/upstream/outlier_detection_impl.cc` `successful_active_health_check_uneject_host`, and the trace).
//!
//! Randomness (interval jitter) comes only from the `RngCore` the caller passes; in the twin
//! the cluster's health checker has its own derived stream.

pub mod checker;
pub mod config;
pub mod driver;
pub mod flags;
pub mod probe;
pub mod session;
pub mod stats;

#[cfg(test)]
mod tests;

pub use checker::{Change, Completed, HealthChecker};
pub use config::{Config, Kind, Transition};
pub use flags::HealthFlags;
pub use session::{CheckResult, Session};
pub use stats::HealthCheckStats;
