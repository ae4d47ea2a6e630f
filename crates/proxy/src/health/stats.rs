//! `cluster.<name>.health_check.*` (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`): Envoy's `ALL_HEALTH_CHECKER_STATS`.

use crate::stats::{Gauge, StatsWriter};

/// The health checker's stats.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HealthCheckStats {
    /// Checks started.
    pub attempt: u64,
    pub success: u64,
    /// Every failed check (network ones too).
    pub failure: u64,
    /// Failures that were connect failures, resets or timeouts.
    pub network_failure: u64,
    /// Data-plane `x-envoy-immediate-health-check-fail` (not produced by the twin's apps).
    pub passive_failure: u64,
    /// Checks that verified `x-envoy-upstream-healthchecked-cluster` (App Mesh sets no
    /// service name matcher: stays 0).
    pub verify_cluster: u64,
    /// Hosts without `FAILED_ACTIVE_HC`.
    pub healthy: Gauge,
    /// Hosts with `DEGRADED_ACTIVE_HC` (`x-envoy-degraded`; not produced by the twin's apps).
    pub degraded: Gauge,
}

impl HealthCheckStats {
    /// Counters then gauges as `(name, value)`, names relative to the cluster.
    pub fn render(&self) -> Vec<(String, u64)> {
        let p = "health_check.";
        vec![
            (format!("{p}attempt"), self.attempt),
            (format!("{p}failure"), self.failure),
            (format!("{p}network_failure"), self.network_failure),
            (format!("{p}passive_failure"), self.passive_failure),
            (format!("{p}success"), self.success),
            (format!("{p}verify_cluster"), self.verify_cluster),
            (format!("{p}healthy"), self.healthy.value()),
            (format!("{p}degraded"), self.degraded.value()),
        ]
    }

    /// Add them to a snapshot under `cluster.<cluster>.health_check.*`.
    pub fn write(&self, cluster: &str, out: &mut StatsWriter) {
        self.write_prefixed(&["cluster.", cluster, "."].concat(), out);
    }

    /// Add them under `<prefix>health_check.*` (`prefix`: `cluster.<name>.`), in name order.
    pub fn write_prefixed(&self, prefix: &str, out: &mut StatsWriter) {
        let prefix = [prefix, "health_check."].concat();
        let counters = [
            ("attempt", self.attempt),
            ("failure", self.failure),
            ("network_failure", self.network_failure),
            ("passive_failure", self.passive_failure),
            ("success", self.success),
            ("verify_cluster", self.verify_cluster),
        ];
        for (name, v) in counters {
            out.counter_in(&prefix, name, v);
        }
        for (name, g) in [("degraded", &self.degraded), ("healthy", &self.healthy)] {
            out.gauge_in(&prefix, name, g);
        }
    }
}
