//! Istio resources, lowered the way istiod lowers them into Envoy clusters.
//!
//! - [`destination_rule`] — the `DestinationRule` envelope, host and subsets.
//! - [`traffic_policy`] — `trafficPolicy` blocks, `portLevelSettings` and subset merging.
//! - [`connection_pool`] — `connectionPool` → circuit-breaker thresholds and pool settings (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`, Istio `getDefaultCircuitBreakerThresholds`).
//! - [`outlier`] — `outlierDetection` → Envoy outlier detection (istiod `pilot/pkg/networking/core/cluster_traffic_policy.go` `applyOutlierDetection`).
//! - [`load_balancer`] — `loadBalancer.simple` → LB policy.
//! - [`virtual_service`] — `VirtualService` → routing (`source/common/router/router.cc` `Filter`): [`http_route`] rules with
//!   their [`http_match`] blocks, [`destination`]s and weights, [`retries`], [`fault`],
//!   [`mirror`] and [`http_action`]s (redirect, direct response, rewrite); [`tcp_route`] rules.
//! - [`route_origins`] — where a rule's timeout, retries and fault came from.
//! - [`gateway`] — `Gateway` → the servers of a gateway.
//! - [`references`] — VirtualService hosts, subsets and gateways checked across files.
//! - [`checks`] — Istio's shared field checks and messages.

pub mod checks;
pub mod connection_pool;
pub mod destination;
pub mod destination_rule;
pub mod fault;
pub mod gateway;
pub mod http_action;
pub mod http_match;
pub mod http_route;
pub mod load_balancer;
pub mod mirror;
pub mod outlier;
pub mod references;
pub mod retries;
pub mod route_origins;
pub mod service_entry;
pub mod tcp_route;
pub mod traffic_policy;
pub mod virtual_service;
