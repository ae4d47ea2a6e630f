//! A proxy's stats as a snapshot under Envoy's names ([`StatsSnapshot`]), and how one is
//! written ([`StatsWriter`]): names appended as the stats are rendered, sorted once.
//!
//! Writers put their names in name order where they can (a cluster's scope: see
//! `stats/cluster_scope.rs`), so that the one sort at [`StatsWriter::finish`] finds long runs
//! already in order and only checks them. The order is a cost, never a contract: `finish`
//! sorts whatever it is given.

use std::collections::BTreeMap;

use crate::stats::Gauge;

/// A point-in-time copy of a proxy's stats under Envoy's names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub counters: BTreeMap<String, u64>,
    pub gauges: BTreeMap<String, u64>,
    pub gauges_max: BTreeMap<String, u64>,
}

/// A snapshot being written: stats are appended as they are named and sorted into the
/// snapshot's maps once, at [`StatsWriter::finish`] (a proxy names thousands of stats, and
/// inserting each into a map compared long, mostly shared names over and over). A name
/// written twice keeps its last value, as a map insert would. Nothing sorts a scope on its
/// own: a cluster's scope is written in name order (`stats/cluster_scope.rs`, whose tests
/// check it for every combination of the scope's optional stats), and sorting each of the
/// thousands of scopes of a mesh's snapshots again only re-compared names known to be in
/// order.
#[derive(Debug, Default)]
pub struct StatsWriter {
    counters: Vec<(String, u64)>,
    gauges: Vec<(String, u64)>,
    gauges_max: Vec<(String, u64)>,
}

/// `prefix` followed by `name`, in one allocation of exactly their length: what a
/// snapshot's thousands of names are made with (`[prefix, name].concat()`, the generic join,
/// measured its pieces and copied them in a loop, and was most of the cost of naming a stat).
pub fn stat_name(prefix: &str, name: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + name.len());
    s.push_str(prefix);
    s.push_str(name);
    s
}

impl StatsWriter {
    pub fn counter(&mut self, name: String, v: u64) {
        self.counters.push((name, v));
    }

    /// The counter `<prefix><name>` (see [`stat_name`]).
    pub fn counter_in(&mut self, prefix: &str, name: &str, v: u64) {
        self.counter(stat_name(prefix, name), v);
    }

    /// The gauge `<prefix><name>`, its value and its maximum (see [`stat_name`]).
    pub fn gauge_in(&mut self, prefix: &str, name: &str, g: &Gauge) {
        self.gauge(stat_name(prefix, name), g);
    }

    /// A gauge's value and its maximum.
    pub fn gauge(&mut self, name: String, g: &Gauge) {
        self.gauges_max.push((name.clone(), g.max()));
        self.gauges.push((name, g.value()));
    }

    /// A gauge whose maximum is not tracked.
    pub fn gauge_value(&mut self, name: String, v: u64) {
        self.gauges.push((name, v));
    }

    /// The counters' and the gauges' names in the order they were written.
    #[cfg(test)]
    pub(crate) fn written(&self) -> [Vec<&str>; 2] {
        fn names(v: &[(String, u64)]) -> Vec<&str> {
            v.iter().map(|(n, _)| n.as_str()).collect()
        }
        [names(&self.counters), names(&self.gauges)]
    }

    pub fn finish(self) -> StatsSnapshot {
        // `collect` sorts stably and keeps the last of equal names.
        StatsSnapshot {
            counters: self.counters.into_iter().collect(),
            gauges: self.gauges.into_iter().collect(),
            gauges_max: self.gauges_max.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_name_is_its_prefix_and_name_in_exactly_their_length() {
        for (prefix, name) in [("cluster.c.", "upstream_rq_total"), ("", "x"), ("p.", "")] {
            let s = stat_name(prefix, name);
            assert_eq!(s, [prefix, name].concat());
            assert_eq!(s.capacity(), s.len());
        }
    }

    #[test]
    fn names_written_in_parts_read_as_whole_names() {
        let mut g = Gauge::default();
        g.set(3);
        g.set(1);
        let mut out = StatsWriter::default();
        out.counter_in("cluster.c.", "upstream_rq_total", 7);
        out.gauge_in("cluster.c.", "upstream_cx_active", &g);
        let s = out.finish();
        assert_eq!(s.counters["cluster.c.upstream_rq_total"], 7);
        assert_eq!(s.gauges["cluster.c.upstream_cx_active"], 1);
        assert_eq!(s.gauges_max["cluster.c.upstream_cx_active"], 3);
    }
}
