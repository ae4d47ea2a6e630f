//! A cluster's load-balancing settings and what one pick is asked and answers.

use meshtwin_model::policy::{LbPolicy, OutlierDetection};

use super::host::HostId;
use super::least_request::LeastRequestConfig;
use super::panic::DEFAULT_HEALTHY_PANIC_THRESHOLD;
use super::priority::{PriorityLoad, DEFAULT_OVERPROVISIONING_FACTOR};

/// A cluster's load-balancing settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LbConfig {
    pub policy: LbPolicy,
    /// 140 = 1.4.
    pub overprovisioning_factor: u32,
    /// Percent; 0 disables panic (Istio with outlier detection: `minHealthPercent`, default 0).
    pub healthy_panic_threshold: u32,
    /// `common_lb_config.locality_weighted_lb_config` is set.
    pub locality_weighted: bool,
    /// Priority health from host weights instead of host counts.
    pub weighted_priority_health: bool,
    pub least_request: LeastRequestConfig,
}

impl LbConfig {
    /// Envoy's defaults for `policy`.
    pub fn new(policy: LbPolicy) -> Self {
        Self {
            policy,
            overprovisioning_factor: DEFAULT_OVERPROVISIONING_FACTOR,
            healthy_panic_threshold: DEFAULT_HEALTHY_PANIC_THRESHOLD,
            locality_weighted: false,
            weighted_priority_health: false,
            least_request: LeastRequestConfig::default(),
        }
    }

    /// The settings a lowered cluster implies: the panic threshold is the outlier block's
    /// (Istio: `minHealthPercent`, default 0) when it sets one, else Envoy's 50 %.
    pub fn from_model(policy: LbPolicy, od: Option<&OutlierDetection>) -> Self {
        let threshold = od.and_then(|o| o.healthy_panic_threshold);
        Self {
            healthy_panic_threshold: threshold.unwrap_or(DEFAULT_HEALTHY_PANIC_THRESHOLD),
            ..Self::new(policy)
        }
    }
}

/// What a request's host selection may avoid (the router's `LoadBalancerContext`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PickContext<'a> {
    /// Hosts already attempted (the `previous_hosts` retry host predicate).
    pub previous_hosts: &'a [HostId],
    /// Extra selections allowed when the predicate rejects a host: 0 on first attempts,
    /// `host_selection_retry_max_attempts` on retries (Istio: 5).
    pub host_selection_retries: u32,
    /// The priority load a retry priority chose instead of the balancer's own
    /// (`LoadBalancerContext::determinePriorityLoad`; see [`super::retry_priority`]).
    pub priority_load: Option<&'a PriorityLoad>,
}

/// A chosen host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    pub host: HostId,
    pub priority: u32,
    /// Chosen from all hosts of a priority in panic (`lb_healthy_panic`).
    pub panic: bool,
}
