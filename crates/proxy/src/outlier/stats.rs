//! `cluster.<name>.outlier_detection.*` (`source/common/upstream/outlier_detection_impl.h` `ALL_OUTLIER_DETECTION_STATS`): counters per ejection type, the deprecated
//! totals and the `ejections_active` gauge, rendered under Envoy's names.

use std::sync::OnceLock;

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

    /// Every counter's value, in the order of [`counter_names`].
    fn values(&self) -> [u64; COUNTERS] {
        let mut v = [0; COUNTERS];
        v[..FIXED.len()].copy_from_slice(&[
            self.ejections_enforced_total,
            self.ejections_overflow,
            self.ejections_total,
            self.ejections_consecutive_5xx,
            self.ejections_success_rate,
        ]);
        for (k, t) in EjectionType::ALL.into_iter().enumerate() {
            let i = FIXED.len() + 2 * k;
            v[i] = self.detected(t);
            v[i + 1] = self.enforced(t);
        }
        v
    }

    /// Every counter as `(name, value)` with names relative to the cluster
    /// (`outlier_detection.ejections_enforced_total`), in a stable order.
    pub fn counters(&self) -> Vec<(String, u64)> {
        (counter_names().0.iter())
            .zip(self.values())
            .map(|(name, v)| (["outlier_detection.", name].concat(), v))
            .collect()
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
        self.write_prefixed(&["cluster.", cluster, "."].concat(), out);
    }

    /// Add them under `<prefix>outlier_detection.*` (`prefix`: `cluster.<name>.`), in name
    /// order (see [`StatsWriter`]).
    pub fn write_prefixed(&self, prefix: &str, out: &mut StatsWriter) {
        let prefix = [prefix, "outlier_detection."].concat();
        let (names, order) = counter_names();
        let values = self.values();
        for &i in order {
            out.counter_in(&prefix, &names[i], values[i]);
        }
        out.gauge_in(&prefix, "ejections_active", &self.ejections_active);
    }
}

/// The counters besides the per-type ones, in [`OutlierStats::values`]' order.
const FIXED: [&str; 5] = [
    "ejections_enforced_total",
    "ejections_overflow",
    "ejections_total",
    "ejections_consecutive_5xx",
    "ejections_success_rate",
];

const COUNTERS: usize = FIXED.len() + 2 * TYPES;

/// The counters' names after `outlier_detection.`, in [`OutlierStats::values`]' order (the
/// fixed ones, then detected and enforced per type), and their indices in name order: made
/// once, since a proxy's snapshot writes them for every cluster.
fn counter_names() -> &'static (Vec<String>, Vec<usize>) {
    static NAMES: OnceLock<(Vec<String>, Vec<usize>)> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = FIXED.iter().map(|n| n.to_string()).collect();
        for t in EjectionType::ALL {
            let s = t.stat_suffix();
            names.push(["ejections_detected_", s].concat());
            names.push(["ejections_enforced_", s].concat());
        }
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names[a].cmp(&names[b]));
        (names, order)
    })
}
