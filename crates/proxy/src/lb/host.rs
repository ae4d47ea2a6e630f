//! Hosts as the load balancer sees them (ARCHITECTURE.md, `source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase`): identity, weight, locality,
//! priority and coarse health, grouped into one [`HostSet`] per priority.

use std::collections::BTreeMap;

use meshtwin_model::topology::Locality;

/// Identifies a host (endpoint) within its cluster; stable while the host exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// Coarse health: what decides which list a host is picked from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// Routable, but only after every healthy host of every priority (`DEGRADED_*`).
    Degraded,
    /// Any `FAILED_*` flag: outlier-ejected, active-HC failed, EDS unhealthy.
    Unhealthy,
}

impl Health {
    /// A host is unhealthy iff it has a `FAILED_*` flag; else degraded if marked so.
    pub fn from_flags(failed_outlier_check: bool, failed_active_hc: bool, degraded: bool) -> Self {
        if failed_outlier_check || failed_active_hc {
            Health::Unhealthy
        } else if degraded {
            Health::Degraded
        } else {
            Health::Healthy
        }
    }
}

/// One endpoint of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub id: HostId,
    /// `load_balancing_weight` (≥ 1).
    pub weight: u32,
    pub locality: Locality,
    pub priority: u32,
    pub health: Health,
}

impl Host {
    /// A healthy host of weight 1 in the unnamed locality.
    pub fn new(id: u32, priority: u32) -> Self {
        Self {
            id: HostId(id),
            weight: 1,
            locality: Locality {
                region: String::new(),
                zone: String::new(),
                subzone: String::new(),
            },
            priority,
            health: Health::Healthy,
        }
    }
}

/// A host in a pick list: just what pickers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: HostId,
    pub weight: u32,
}

/// The hosts of one locality within one priority.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalityHosts {
    pub locality: Locality,
    /// The locality's `load_balancing_weight` (locality-weighted LB).
    pub weight: u32,
    pub hosts: Vec<Entry>,
    pub healthy: Vec<Entry>,
    pub degraded: Vec<Entry>,
}

/// The hosts of one priority, and its healthy / degraded / per-locality lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSet {
    pub hosts: Vec<Entry>,
    pub healthy: Vec<Entry>,
    pub degraded: Vec<Entry>,
    /// Localities sorted by (region, zone, subzone).
    pub localities: Vec<LocalityHosts>,
}

/// Locality weights per (priority, locality); a locality not listed weighs the sum of its
/// hosts' weights (what Istio sends as `LocalityLbEndpoints.load_balancing_weight`).
pub type LocalityWeights = BTreeMap<(u32, Locality), u32>;

/// All host sets of a cluster, priority 0 first; priorities without hosts are empty sets.
pub fn group(hosts: &[Host], weights: &LocalityWeights) -> Vec<HostSet> {
    let levels = hosts
        .iter()
        .map(|h| h.priority as usize + 1)
        .max()
        .unwrap_or(1);
    let mut sets = vec![HostSet::default(); levels];
    let mut by_locality: Vec<BTreeMap<Locality, LocalityHosts>> = vec![BTreeMap::new(); levels];
    for h in hosts {
        let e = Entry {
            id: h.id,
            weight: h.weight,
        };
        let p = h.priority as usize;
        let loc = by_locality[p]
            .entry(h.locality.clone())
            .or_insert_with(|| LocalityHosts {
                locality: h.locality.clone(),
                weight: 0,
                hosts: Vec::new(),
                healthy: Vec::new(),
                degraded: Vec::new(),
            });
        sets[p].hosts.push(e);
        loc.hosts.push(e);
        loc.weight += h.weight;
        match h.health {
            Health::Healthy => {
                sets[p].healthy.push(e);
                loc.healthy.push(e);
            }
            Health::Degraded => {
                sets[p].degraded.push(e);
                loc.degraded.push(e);
            }
            Health::Unhealthy => {}
        }
    }
    for (p, locs) in by_locality.into_iter().enumerate() {
        sets[p].localities = locs
            .into_values()
            .map(|mut l| {
                if let Some(w) = weights.get(&(p as u32, l.locality.clone())) {
                    l.weight = *w;
                }
                l
            })
            .collect();
    }
    sets
}
