//! A cluster's stats scope (`cluster.<name>.*`) written in name order: the cluster's own
//! stats, its response codes, its circuit breakers' gauges and its detectors' stats
//! interleave by name, so each part is written in the pieces that fall between the others'.
//! The snapshot's one sort ([`StatsWriter::finish`]) then finds each scope in order and only
//! checks it, instead of merging a dozen runs of long names per cluster (a 324-pod mesh
//! snapshots ≈ 3,600 clusters), and no scope is sorted on its own. Which parts a scope has
//! varies (a health checker, an outlier detector, `remaining_*` gauges, retried responses,
//! response codes of any classes): the tests check the order for every combination. Still
//! a cost, not a contract: `finish` sorts whatever the writes' order.

use std::sync::OnceLock;

use super::{BreakerGauges, ClusterStatSet, ClusterStats, StatsWriter};
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
        let ranks = Ranks::get();
        // circuit_breakers.* (gauges only), default before high.
        let default = [prefix, "circuit_breakers.default."].concat();
        let b = &self.breakers_default;
        b.write_gauges(&default, out, 0..ranks.remaining);
        if let Some(r) = &self.remaining_default {
            r.write_fields(&default, out);
        }
        b.write_gauges(
            &default,
            out,
            ranks.remaining..BreakerGauges::GAUGE_NAMES.len(),
        );
        (self.breakers_high).write_fields(&[prefix, "circuit_breakers.high."].concat(), out);
        if let Some(h) = health {
            h.write_prefixed(prefix, out);
        }
        let c = &self.cluster;
        c.write_counters(prefix, out, 0..ranks.after_lb);
        if let Some(o) = outlier {
            o.write_prefixed(prefix, out);
        }
        self.codes.write_retried(prefix, out);
        c.write_counters(prefix, out, ranks.after_lb..ranks.after_codes);
        super::write_codes(&self.codes.by_code, prefix, out);
        c.write_counters(prefix, out, ranks.after_codes..ranks.completed);
        out.counter_in(prefix, COMPLETED, self.codes.completed);
        c.write_counters(
            prefix,
            out,
            ranks.completed..ClusterStats::COUNTER_NAMES.len(),
        );
        c.write_gauges(prefix, out, 0..ClusterStats::GAUGE_NAMES.len());
    }
}

/// Where the other parts' names fall among [`ClusterStats`]' counters and
/// [`BreakerGauges`]' gauges, as ranks in their name order: fixed by the names, so found once
/// per run instead of by a binary search of the table for each piece of every scope.
struct Ranks {
    /// [`ClusterStats`]' counters below [`AFTER_LB`].
    after_lb: usize,
    /// Below [`AFTER_CODES`].
    after_codes: usize,
    /// Below [`COMPLETED`].
    completed: usize,
    /// [`BreakerGauges`]' gauges below [`REMAINING`].
    remaining: usize,
}

impl Ranks {
    fn get() -> &'static Ranks {
        static RANKS: OnceLock<Ranks> = OnceLock::new();
        RANKS.get_or_init(|| Ranks {
            after_lb: ClusterStats::counter_rank(AFTER_LB),
            after_codes: ClusterStats::counter_rank(AFTER_CODES),
            completed: ClusterStats::counter_rank(COMPLETED),
            remaining: BreakerGauges::gauge_rank(REMAINING),
        })
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
        out.counter_in(&retry, COMPLETED, n);
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

    /// The names of one scope as written, for a cluster with `codes` answered, `retried`
    /// retried and each optional part present or not.
    fn written_names(
        codes: &[u16],
        retried: &[u16],
        [health, outlier, remaining]: [bool; 3],
    ) -> [Vec<String>; 2] {
        let mut s = ClusterStatSet::default();
        for &c in codes {
            s.codes.charge(c);
        }
        for &c in retried {
            s.codes.charge_retried(c);
        }
        s.remaining_default = remaining.then(RemainingGauges::default);
        let (h, o) = (HealthCheckStats::default(), OutlierStats::default());
        let mut out = StatsWriter::default();
        let prefix = "cluster.outbound|9080||reviews.default.svc.cluster.local.";
        s.write_scope(
            prefix,
            &mut out,
            health.then_some(&h),
            outlier.then_some(&o),
        );
        out.written()
            .map(|names| names.into_iter().map(String::from).collect())
    }

    #[test]
    fn every_combination_of_a_scopes_parts_is_written_in_sorted_order() {
        let code_sets: [&[u16]; 6] = [
            &[],
            &[200],
            &[503],
            &[200, 503],
            &[100, 204, 302, 404, 503, 504],
            &[101, 200, 299, 500, 599],
        ];
        let mut checked = 0;
        for codes in code_sets {
            for retried in code_sets {
                for parts in 0..8u8 {
                    let parts = [parts & 1 != 0, parts & 2 != 0, parts & 4 != 0];
                    for written in written_names(codes, retried, parts) {
                        let mut sorted = written.clone();
                        sorted.sort();
                        sorted.dedup();
                        assert_eq!(
                            written, sorted,
                            "codes {codes:?}, retried {retried:?}, {parts:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 6 * 6 * 8 * 2);
    }

    #[test]
    fn the_optional_parts_add_their_names() {
        let [bare, _] = written_names(&[], &[], [false; 3]);
        let [full, full_gauges] = written_names(&[200], &[503], [true; 3]);
        let [_, bare_gauges] = written_names(&[], &[], [false; 3]);
        assert!(full.len() > bare.len() && full_gauges.len() > bare_gauges.len());
        let has = |names: &[String], tail: &str| names.iter().any(|n| n.ends_with(tail));
        assert!(has(&full, ".health_check.attempt") && !has(&bare, ".health_check.attempt"));
        assert!(has(&full, ".retry.upstream_rq_503") && has(&full, ".upstream_rq_200"));
        assert!(has(&full_gauges, ".circuit_breakers.default.remaining_rq"));
        assert!(has(&full_gauges, ".outlier_detection.ejections_active"));
    }

    #[test]
    fn each_rank_splits_its_table_at_the_name_it_stands_for() {
        let ranks = Ranks::get();
        let sorted = |names: &[&'static str]| {
            let mut v = names.to_vec();
            v.sort();
            v
        };
        let counters = sorted(ClusterStats::COUNTER_NAMES);
        let gauges = sorted(BreakerGauges::GAUGE_NAMES);
        for (names, rank, at) in [
            (&counters, ranks.after_lb, AFTER_LB),
            (&counters, ranks.after_codes, AFTER_CODES),
            (&counters, ranks.completed, COMPLETED),
            (&gauges, ranks.remaining, REMAINING),
        ] {
            assert!(0 < rank && rank < names.len(), "{at}: {rank}");
            assert!(names[..rank].iter().all(|n| *n < at), "{at}");
            assert!(names[rank..].iter().all(|n| *n >= at), "{at}");
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
