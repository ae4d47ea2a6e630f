//! `cluster.<name>.outlier_detection.*` (`source/common/upstream/outlier_detection_impl.h` `ALL_OUTLIER_DETECTION_STATS`): counters per ejection type, the deprecated
//! totals and the `ejections_active` gauge, rendered under Envoy's names.

use super::ejection::EjectionType;
use crate::stats::{Gauge, StatsWriter};

const TYPES: usize = EjectionType::ALL.len();

/// The detector's stats. Detected counters grow even when enforcement is 0 %.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutlierStats {
    /// Hosts currently ejected.
    pub ejections_active: Gauge,
    /// Ejections refused by `max_ejection_percent`.
    pub ejections_overflow: u64,
    pub ejections_enforced_total: u64,
    /// Deprecated: consecutive-5xx and success-rate ejections that passed the percent check.
    pub ejections_total: u64,
    /// Deprecated: consecutive-5xx detections on a host not already ejected.
    pub ejections_consecutive_5xx: u64,
    /// Deprecated: success-rate outliers found by a sweep.
    pub ejections_success_rate: u64,
    detected: [u64; TYPES],
    enforced: [u64; TYPES],
}

impl OutlierStats {
    /// `ejections_detected_<type>`.
    pub fn detected(&self, t: EjectionType) -> u64 {
        self.detected[t.index()]
    }

    /// `ejections_enforced_<type>`.
    pub fn enforced(&self, t: EjectionType) -> u64 {
        self.enforced[t.index()]
    }

    pub(crate) fn count_detected(&mut self, t: EjectionType) {
        self.detected[t.index()] += 1;
    }

    pub(crate) fn count_enforced(&mut self, t: EjectionType) {
        self.ejections_enforced_total += 1;
        self.enforced[t.index()] += 1;
    }

    /// Every counter as `(name, value)` with names relative to the cluster
    /// (`outlier_detection.ejections_enforced_total`), in a stable order.
    pub fn counters(&self) -> Vec<(String, u64)> {
        let p = "outlier_detection.";
        let mut out = vec![
            (
                [p, "ejections_enforced_total"].concat(),
                self.ejections_enforced_total,
            ),
            ([p, "ejections_overflow"].concat(), self.ejections_overflow),
            ([p, "ejections_total"].concat(), self.ejections_total),
            (
                [p, "ejections_consecutive_5xx"].concat(),
                self.ejections_consecutive_5xx,
            ),
            (
                [p, "ejections_success_rate"].concat(),
                self.ejections_success_rate,
            ),
        ];
        for t in EjectionType::ALL {
            let s = t.stat_suffix();
            out.push(([p, "ejections_detected_", s].concat(), self.detected(t)));
            out.push(([p, "ejections_enforced_", s].concat(), self.enforced(t)));
        }
        out
    }

    /// Counters and the gauge's current value, names relative to the cluster.
    pub fn render(&self) -> Vec<(String, u64)> {
        let mut out = self.counters();
        out.push((
            "outlier_detection.ejections_active".to_string(),
            self.ejections_active.value(),
        ));
        out
    }

    /// Add them to a snapshot under `cluster.<cluster>.outlier_detection.*`.
    pub fn write(&self, cluster: &str, out: &mut StatsWriter) {
        for (name, v) in self.counters() {
            out.counter(["cluster.", cluster, ".", name.as_str()].concat(), v);
        }
        let gauge = ["cluster.", cluster, ".outlier_detection.ejections_active"].concat();
        out.gauge(gauge, &self.ejections_active);
    }
}
