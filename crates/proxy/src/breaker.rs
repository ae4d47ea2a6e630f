//! Envoy's circuit breakers: the cluster's `ResourceManager` (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`, Istio `getDefaultCircuitBreakerThresholds`).
//!
//! One resource manager per cluster and routing priority, shared by every worker's pools.
//! `can_create` is "strictly below the limit"; the `*_open` gauges are 1 when the count is
//! **at or above** the limit (at capacity, not exceeded).

use meshtwin_model::policy::Thresholds;

/// One limited resource: a current count and its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    current: u64,
    max: u64,
}

impl Resource {
    pub fn new(max: u64) -> Self {
        Self { current: 0, max }
    }

    /// Whether one more may be created (`current < max`).
    pub fn can_create(&self) -> bool {
        self.current < self.max
    }

    pub fn inc(&mut self) {
        self.current += 1;
    }

    /// Panics if it would go below zero: that is a bookkeeping bug, never bad input.
    pub fn dec(&mut self) {
        assert!(self.current > 0, "resource count underflow");
        self.current -= 1;
    }

    pub fn count(&self) -> u64 {
        self.current
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `circuit_breakers.<priority>.*_open` gauge: 1 when at capacity.
    pub fn open(&self) -> u64 {
        u64::from(self.current >= self.max)
    }

    /// The `remaining_*` gauge (emitted only with `track_remaining`).
    pub fn remaining(&self) -> u64 {
        self.max.saturating_sub(self.current)
    }
}

/// The resources of one cluster priority (Envoy's `ResourceManagerImpl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceManager {
    pub connections: Resource,
    pub pending_requests: Resource,
    pub requests: Resource,
    pub retries: Resource,
    /// `max_connection_pools`: neither Istio nor App Mesh sets it, so it is Envoy's default,
    /// unlimited (`std::numeric_limits<uint64_t>::max()` in `ClusterInfoImpl`'s
    /// `createSingleResourceManager`); the pools are counted for `remaining_cx_pools`.
    pub connection_pools: Resource,
    /// `track_remaining`: the `remaining_*` gauges are published.
    pub track_remaining: bool,
}

impl ResourceManager {
    pub fn new(t: &Thresholds) -> Self {
        Self {
            connections: Resource::new(t.max_connections),
            pending_requests: Resource::new(t.max_pending_requests),
            requests: Resource::new(t.max_requests),
            retries: Resource::new(t.max_retries),
            connection_pools: Resource::new(u64::MAX),
            track_remaining: t.track_remaining,
        }
    }

    /// `(gauge name suffix, value)` for the `circuit_breakers.default.*` gauges.
    pub fn open_gauges(&self) -> [(&'static str, u64); 4] {
        [
            ("cx_open", self.connections.open()),
            ("rq_pending_open", self.pending_requests.open()),
            ("rq_open", self.requests.open()),
            ("rq_retry_open", self.retries.open()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_create_is_strictly_below_the_limit() {
        let mut r = Resource::new(1);
        assert!(r.can_create());
        r.inc();
        assert!(!r.can_create());
        r.dec();
        assert!(r.can_create());
    }

    #[test]
    fn open_gauge_is_one_at_capacity_not_only_when_exceeded() {
        let mut r = Resource::new(2);
        r.inc();
        assert_eq!(r.open(), 0);
        r.inc();
        assert_eq!(r.open(), 1, "max 2 with 2 active is open");
        r.inc();
        assert_eq!(r.open(), 1);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn istio_defaults_never_open() {
        let rm = ResourceManager::new(&Thresholds::ISTIO_DEFAULT);
        assert!(rm.open_gauges().iter().all(|(_, v)| *v == 0));
        assert_eq!(rm.connections.max(), 4_294_967_295);
    }
}
