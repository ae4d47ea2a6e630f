//! Istio resources, lowered the way istiod lowers them into Envoy clusters.
//!
//! - [`destination_rule`] — the `DestinationRule` envelope, host and subsets.
//! - [`traffic_policy`] — `trafficPolicy` blocks, `portLevelSettings` and subset merging.
//! - [`connection_pool`] — `connectionPool` → circuit-breaker thresholds and pool settings (spec §1.1).
//! - [`outlier`] — `outlierDetection` → Envoy outlier detection (spec §3.8).
//! - [`load_balancer`] — `loadBalancer.simple` → LB policy.

pub mod connection_pool;
pub mod destination_rule;
pub mod load_balancer;
pub mod outlier;
pub mod traffic_policy;
