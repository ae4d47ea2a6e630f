//! Envoy's outlier detector (passive health checking, `source/common/upstream/outlier_detection_impl.cc` `DetectorImpl`): one per cluster, shared by
//! every worker, as a synchronous engine.
//!
//! The async proxy drives it:
//! - [`Detector::report`] after every upstream attempt (status code, or a local-origin event
//!   such as a refused connect, a timeout or a reset — never a local circuit-breaker overflow);
//!   consecutive-error ejections happen here, "immediately";
//! - [`Detector::on_interval`] on the cluster's interval timer: unejection, success-rate and
//!   failure-percentage detection, back-off decay;
//! - [`Detector::on_health_check`] when an active health check of a host completes.
//!
//! Every call returns [`Event`]s (ejections and unejections with their reason) for the trace and
//! for the load balancers' host health. Randomness (enforcement rolls, jitter) comes only from
//! the `RngCore` the caller passes.
//!
//! - [`config`]: the detector's settings with Envoy's defaults, from the lowered model.
//! - [`ejection`]: ejection types, the max-ejection-percent rule, durations, enforcement.
//! - [`monitor`]: one host's counters, success-rate buckets and ejection state.
//! - [`monitors`]: every host's monitor, dense by host id, and the hosts a sweep must visit.
//! - [`success_rate`]: the success-rate and failure-percentage statistics.
//! - [`stats`]: `cluster.<name>.outlier_detection.*` under Envoy's names.
//! - [`event`]: attempt outcomes in, ejection / unejection events out.
//! - [`detector`]: the detector itself ([`sweep`] holds its interval work).

pub mod config;
pub mod detector;
pub mod ejection;
pub mod event;
pub mod monitor;
pub mod monitors;
pub mod stats;
pub mod success_rate;
pub mod sweep;

#[cfg(test)]
mod tests;

pub use config::{Compat, Config, ConfigError, EjectionDurationRule, MaxEjectionRule};
pub use detector::Detector;
pub use ejection::EjectionType;
pub use event::{Event, LocalOrigin, Outcome, UnejectReason};
pub use monitor::Monitor;
pub use stats::OutlierStats;

/// Identifies a host (endpoint) of the cluster; shared with the load balancer.
pub use crate::lb::HostId;
