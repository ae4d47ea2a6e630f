//! Envoy's load balancing (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase`) as synchronous engines: one [`LoadBalancer`] per worker and
//! cluster, fed host health and `rq_active`, returning a host or "no healthy upstream".
//!
//! - [`host`]: hosts (id, weight, locality, priority, health) grouped into per-priority sets.
//! - [`priority`]: the priority load planner (overprovisioning 1.4, Envoy's integer math).
//! - [`panic`]: the panic threshold per priority and the total-panic load.
//! - [`source`]: which host list a pick draws from.
//! - [`edf`]: the earliest-deadline-first scheduler behind every weighted pick.
//! - [`round_robin`], [`least_request`], [`random`]: the pickers.
//! - [`locality_wrr`]: locality-weighted LB inside a priority.
//! - [`config`]: a cluster's LB settings; the pick context and result.
//! - [`balancer`]: the per-worker load balancer tying them together, with retry host predicates.
//! - [`retry_priority`]: the `previous_priorities` retry priority (a retry's priority load).
//!
//! Istio's locality LB (priorities and weights per client proxy) is istiod's, in `meshtwin-xds`.
//!
//! Randomness comes only from the `RngCore` the caller passes (a seeded ChaCha stream per
//! worker); anything iterated is ordered, so a seed reproduces every pick.

pub mod balancer;
pub mod config;
pub mod edf;
pub mod host;
pub mod least_request;
pub mod locality_wrr;
pub mod panic;
pub mod priority;
pub mod random;
pub mod retry_priority;
pub mod round_robin;
pub mod source;

#[cfg(test)]
mod tests;

pub use balancer::LoadBalancer;
pub use config::{LbConfig, Pick, PickContext};
pub use host::{Health, Host, HostId, HostSet, LocalityWeights};
pub use least_request::{ActiveRequests, LeastRequestConfig};
pub use priority::{plan, Availability, Level, PriorityLoad};
pub use retry_priority::PreviousPriorities;
