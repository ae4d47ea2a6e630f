//! A cluster's stats scope (`cluster.<name>.*`) written in name order: the cluster's own
//! stats, its response codes, its circuit breakers' gauges and its detectors' stats
//! interleave by name, so each part is written in the pieces that fall between the others'.
//! [`StatsWriter::scope`] then finds the scope sorted and only checks it, instead of merging
//! a dozen runs of long names per cluster (a 324-pod mesh snapshots ≈ 14,000 clusters). The
//! order is a cost, not a contract: the scope is sorted whatever the writes' order.

use super::{ClusterStatSet, StatsWriter};
use crate::health::HealthCheckStats;
use crate::outlier::stats::OutlierStats;

/// The first of [`super::ClusterStats`]' names after `lb_*` (everything it names is `lb_*`
/// or `upstream_*`): `outlier_detection.*` and `retry.*` come before it.
const AFTER_LB: &str = "m";
/// The first of its `upstream_rq_*` names that follow the per-code `upstream_rq_<code>` ones
/// (a digit sorts before a letter).
const AFTER_CODES: &str = "upstream_rq_a";
/// `upstream_rq_completed`, which [`super::CodeStats`] counts.
const COMPLETED: &str = "upstream_rq_completed";
/// Where [`super::RemainingGauges`]' names fall among [`super::BreakerGauges`]' ones
/// (`cx_*` < `remaining_*` < `rq_*`).
const REMAINING: &str = "remaining_";

impl ClusterStatSet {
    /// Add this cluster's stats, and its detectors' (`health`, `outlier`), under `prefix`
    /// (`cluster.<name>.`), in name order (see the module's doc).
    pub fn write_scope(
        &self,
        prefix: &str,
        out: &mut StatsWriter,
        health: Option<&HealthCheckStats>,
        outlier: Option<&OutlierStats>,
    ) {
        // circuit_breakers.* (gauges only), default before high.
        let default = [prefix, "circuit_breakers.default."].concat();
        let b = &self.breakers_default;
        b.write_gauges(&default, out, None, Some(REMAINING));
        if let Some(r) = &self.remaining_default {
            r.write_fields(&default, out);
        }
        b.write_gauges(&default, out, Some(REMAINING), None);
        (self.breakers_high).write_fields(&[prefix, "circuit_breakers.high."].concat(), out);
        if let Some(h) = health {
            h.write_prefixed(prefix, out);
        }
        let c = &self.cluster;
        c.write_counters(prefix, out, None, Some(AFTER_LB));
        if let Some(o) = outlier {
            o.write_prefixed(prefix, out);
        }
        self.codes.write_retried(prefix, out);
        c.write_counters(prefix, out, Some(AFTER_LB), Some(AFTER_CODES));
        super::write_codes(&self.codes.by_code, prefix, out);
        c.write_counters(prefix, out, Some(AFTER_CODES), Some(COMPLETED));
        out.counter([prefix, COMPLETED].concat(), self.codes.completed);
        c.write_counters(prefix, out, Some(COMPLETED), None);
        c.write_gauges(prefix, out, None, None);
    }
}

impl super::CodeStats {
    /// `retry.upstream_rq_<code>`, `retry.upstream_rq_<N>xx` and
    /// `retry.upstream_rq_completed` under `prefix`, when a response was retried.
    fn write_retried(&self, prefix: &str, out: &mut StatsWriter) {
        if self.retried.is_empty() {
            return;
        }
        let retry = [prefix, "retry."].concat();
        super::write_codes(&self.retried, &retry, out);
        let n = self.retried.values().sum();
        out.counter([retry.as_str(), COMPLETED].concat(), n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::RemainingGauges;

    /// A cluster that has counted every kind of stat: codes of three classes, retried
    /// responses, `remaining_*` gauges, a health checker and an outlier detector.
    fn busy() -> ClusterStatSet {
        let mut s = ClusterStatSet::default();
        for code in [200, 204, 302, 503, 504] {
            s.codes.charge(code);
        }
        s.codes.charge_retried(503);
        s.codes.charge_retried(200);
        s.remaining_default = Some(RemainingGauges::default());
        s
    }

    #[test]
    fn a_cluster_scope_is_written_in_name_order() {
        let mut out = StatsWriter::default();
        let (health, outlier) = (HealthCheckStats::default(), OutlierStats::default());
        let prefix = "cluster.outbound|80||svc.default.svc.cluster.local.";
        busy().write_scope(prefix, &mut out, Some(&health), Some(&outlier));
        for names in out.written() {
            assert!(names.len() > 10);
            let unordered: Vec<_> = names.windows(2).filter(|w| w[0] >= w[1]).collect();
            assert_eq!(unordered, Vec::<&[&str]>::new());
        }
    }

    #[test]
    fn the_scope_holds_what_each_part_writes_alone() {
        let (health, outlier) = (HealthCheckStats::default(), OutlierStats::default());
        let mut scoped = StatsWriter::default();
        let prefix = "cluster.c.";
        busy().write_scope(prefix, &mut scoped, Some(&health), Some(&outlier));
        let mut parts = StatsWriter::default();
        let set = busy();
        set.cluster.write_fields(prefix, &mut parts);
        parts.counter("cluster.c.upstream_rq_completed".into(), 5);
        super::super::write_codes(&set.codes.by_code, prefix, &mut parts);
        set.codes.write_retried(prefix, &mut parts);
        set.breakers_default
            .write_fields("cluster.c.circuit_breakers.default.", &mut parts);
        (set.remaining_default.as_ref().unwrap())
            .write_fields("cluster.c.circuit_breakers.default.", &mut parts);
        set.breakers_high
            .write_fields("cluster.c.circuit_breakers.high.", &mut parts);
        health.write("c", &mut parts);
        outlier.write("c", &mut parts);
        assert_eq!(scoped.finish(), parts.finish());
    }
}
