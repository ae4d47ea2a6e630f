//! Clusters a control-plane push replaced. Envoy's stats are shared by name: the connections
//! and requests a replaced cluster still carries go on counting in `cluster.<name>.*` — its
//! counters go on rising, its `*_active` gauges are part of the name's value — so
//! `upstream_cx_total − upstream_cx_destroy = upstream_cx_active` holds across the push.
//! The replacing cluster inherits the counters as they were at the push
//! ([`Cluster::inherit_counters`]); this adds what the replaced one counted since.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::cluster::Cluster;
use crate::platform::Platform;
use crate::stats::StatsSnapshot;

/// One replaced cluster and its traffic stats when it was replaced.
struct Retired<P: Platform> {
    cluster: Rc<Cluster<P>>,
    at_push: StatsSnapshot,
}

/// Every cluster a push replaced while it still had connections or requests.
pub(crate) struct RetiredClusters<P: Platform> {
    retired: RefCell<Vec<Retired<P>>>,
    /// What clusters that have since gone idle counted after their push, by stat name.
    carried: RefCell<BTreeMap<String, u64>>,
}

impl<P: Platform> Default for RetiredClusters<P> {
    fn default() -> Self {
        Self {
            retired: RefCell::new(Vec::new()),
            carried: RefCell::new(BTreeMap::new()),
        }
    }
}

/// A cluster's traffic stats (not its outlier or health-check stats: a replaced cluster's
/// detector and checker are its own).
fn traffic_stats<P: Platform>(c: &Cluster<P>) -> StatsSnapshot {
    let mut s = StatsSnapshot::default();
    c.shared.borrow().stats.write(&c.cfg.name, &mut s);
    s
}

/// Whether the stat is one of the `*_active` gauges connections and requests move (not a
/// breaker's `*_open`, which each resource manager sets).
fn is_activity(name: &str) -> bool {
    name.ends_with(".upstream_cx_active")
        || name.ends_with(".upstream_rq_active")
        || name.ends_with(".upstream_rq_pending_active")
}

impl<P: Platform> RetiredClusters<P> {
    /// `old` was just replaced by a cluster of the same name.
    pub fn retire(&self, old: Rc<Cluster<P>>) {
        self.prune();
        let at_push = traffic_stats(&old);
        self.retired.borrow_mut().push(Retired {
            cluster: old,
            at_push,
        });
    }

    /// Fold clusters with no connection or request left into `carried` (nothing of theirs
    /// can change any more).
    fn prune(&self) {
        let mut carried = self.carried.borrow_mut();
        self.retired.borrow_mut().retain(|r| {
            let now = traffic_stats(&r.cluster);
            if now.gauges.iter().any(|(k, v)| is_activity(k) && *v > 0) {
                return true;
            }
            for (k, v) in &now.counters {
                let since = v - r.at_push.counters.get(k).copied().unwrap_or(0);
                *carried.entry(k.clone()).or_default() += since;
            }
            false
        });
    }

    /// Add what replaced clusters counted since their push to `out`, and their activity to
    /// the `*_active` gauges.
    pub fn write(&self, out: &mut StatsSnapshot) {
        for (k, v) in self.carried.borrow().iter() {
            *out.counters.entry(k.clone()).or_default() += v;
        }
        for r in self.retired.borrow().iter() {
            let now = traffic_stats(&r.cluster);
            for (k, v) in &now.counters {
                let since = v - r.at_push.counters.get(k).copied().unwrap_or(0);
                *out.counters.entry(k.clone()).or_default() += since;
            }
            for (k, v) in now.gauges.iter().filter(|(k, _)| is_activity(k)) {
                let g = out.gauges.entry(k.clone()).or_default();
                *g += v;
                let max = out.gauges_max.entry(k.clone()).or_default();
                *max = (*max).max(*g);
            }
        }
    }
}
