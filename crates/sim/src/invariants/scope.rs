//! How the identity checks read a proxy's stats: one scope's declared counters in one walk of
//! the sorted map, its gauges by name, and which scopes a proxy has.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use meshtwin_model::run::ProxyStats;

/// The values of the counters `<prefix><name>` for each of `wanted` (sorted names; 0 for one
/// the map lacks: Envoy creates some stats on first use), found in one walk of the map from
/// the first of them to the last, merging the two sorted lists — instead of copying the
/// scope's every counter out and searching it for each name.
pub(super) fn read_counters(
    map: &BTreeMap<String, u64>,
    prefix: &str,
    wanted: &[&str],
) -> Vec<u64> {
    debug_assert!(
        wanted.windows(2).all(|w| w[0] < w[1]),
        "unsorted {wanted:?}"
    );
    let mut values = vec![0; wanted.len()];
    let Some(first) = wanted.first() else {
        return values;
    };
    let from = [prefix, first].concat();
    let mut want = wanted.iter().enumerate().peekable();
    // A scope's names are contiguous in the map: its walk ends at the first name outside it.
    for (name, v) in map.range::<str, _>((Bound::Included(from.as_str()), Bound::Unbounded)) {
        let Some(rest) = name.strip_prefix(prefix) else {
            break;
        };
        while let Some(&(i, w)) = want.peek() {
            match (*w).cmp(rest) {
                Ordering::Less => {
                    want.next();
                }
                Ordering::Equal => {
                    values[i] = *v;
                    want.next();
                    break;
                }
                Ordering::Greater => break,
            }
        }
        if want.peek().is_none() {
            break;
        }
    }
    values
}

/// The counters the cluster identities read, sorted (see [`read_counters`]).
pub(super) const CLUSTER_COUNTERS: [&str; 19] = [
    "retry.upstream_rq_1xx",
    "retry.upstream_rq_2xx",
    "retry.upstream_rq_3xx",
    "retry.upstream_rq_4xx",
    "retry.upstream_rq_5xx",
    "retry.upstream_rq_completed",
    "upstream_cx_destroy",
    "upstream_cx_destroy_local",
    "upstream_cx_destroy_local_with_active_rq",
    "upstream_cx_destroy_remote",
    "upstream_cx_destroy_remote_with_active_rq",
    "upstream_cx_destroy_with_active_rq",
    "upstream_cx_total",
    "upstream_rq_1xx",
    "upstream_rq_2xx",
    "upstream_rq_3xx",
    "upstream_rq_4xx",
    "upstream_rq_5xx",
    "upstream_rq_completed",
];

/// The counters the connection manager identities read, sorted.
pub(super) const HTTP_COUNTERS: [&str; 8] = [
    "downstream_rq_1xx",
    "downstream_rq_2xx",
    "downstream_rq_3xx",
    "downstream_rq_4xx",
    "downstream_rq_5xx",
    "downstream_rq_completed",
    "downstream_rq_rx_reset",
    "downstream_rq_total",
];

/// The stats of one scope (`cluster.<name>`, `http.<prefix>`) that its identities read: the
/// counters they name, read in one walk (a proxy has thousands of stats, and each check
/// reads a dozen or more of one scope's counters), and its gauges looked up by name (each
/// check reads one or two).
pub(super) struct Scope<'s> {
    stats: &'s ProxyStats,
    prefix: String,
    names: &'static [&'static str],
    counters: Vec<u64>,
}

impl<'s> Scope<'s> {
    /// The scope `scope` of `stats`, with its counters among `names` (sorted).
    pub(super) fn of(stats: &'s ProxyStats, scope: &str, names: &'static [&'static str]) -> Self {
        let prefix = [scope, "."].concat();
        Self {
            stats,
            counters: read_counters(&stats.counters, &prefix, names),
            prefix,
            names,
        }
    }

    /// A counter (0 when absent: Envoy creates some stats on first use). Panics if `name` is
    /// not one the scope was read for: a check reading what it did not declare is a bug.
    pub(super) fn counter(&self, name: &str) -> u64 {
        match self.names.binary_search(&name) {
            Ok(i) => self.counters[i],
            Err(_) => panic!(
                "the identity checks read {name}, not among {:?}",
                self.names
            ),
        }
    }

    pub(super) fn gauge(&self, name: &str) -> u64 {
        let name = [self.prefix.as_str(), name].concat();
        self.stats.gauges.get(&name).copied().unwrap_or(0)
    }

    /// A gauge's highest value, when the proxy has the gauge.
    pub(super) fn gauge_max(&self, name: &str) -> Option<u64> {
        let name = [self.prefix.as_str(), name].concat();
        self.stats.gauges_max.get(&name).copied()
    }
}

/// The scopes (`cluster.<name>`) that have the counter `<scope>.<marker>`. Every counter
/// under `head` is looked at (a mesh's proxies have hundreds of thousands), so the walk has
/// an end bound instead of a prefix test per name, and a name is compared with the marker
/// only when the byte before where the marker would start is the `.` it needs.
pub(super) fn scopes<'s>(stats: &'s ProxyStats, head: &str, marker: &str) -> Vec<&'s str> {
    let end = prefix_end(head);
    let dot = marker.len() + 1;
    (stats.counters)
        .range::<str, _>((Bound::Included(head), Bound::Excluded(end.as_str())))
        .map(|(k, _)| k)
        .filter(|k| k.len() >= dot && k.as_bytes()[k.len() - dot] == b'.')
        .filter_map(|k| k.strip_suffix(marker)?.strip_suffix('.'))
        .collect()
}

/// The first name after all those that start with `head`: `head` with its last byte one
/// higher (`cluster.` → `cluster/`). Heads are the checks' own ASCII constants.
pub(super) fn prefix_end(head: &str) -> String {
    let mut end = head.as_bytes().to_vec();
    let last = end.last_mut().expect("a scope head is not empty");
    assert!(*last < 0x7f, "a scope head ends in ASCII: {head}");
    *last += 1;
    String::from_utf8(end).expect("an ASCII byte one higher is still UTF-8")
}
