//! A cluster's hosts across control-plane pushes (Envoy's `PrioritySetImpl` with the hosts'
//! health flags): every endpoint the cluster has had keeps its host id, so connection pools,
//! outlier state and health stay with the host while it remains; a host that leaves and later
//! returns is a new host, as in Envoy. Plain data: the cluster tells the load balancers and the
//! detectors what changed. A host refers to its endpoint in the pushed list it came with (the
//! list every proxy given the cluster shares), so hosts copy no endpoint.

use crate::config::{Endpoint, EndpointList};
use crate::health::flags::{HealthFlag, HealthFlags};
use crate::lb::{Host, HostId};

/// The priority load last traced: loads and panic flags per priority.
pub type TracedLoad = (Vec<u32>, Vec<bool>);

/// Every host of one cluster, the current members and their health flags.
#[derive(Debug, Clone)]
pub struct HostSet {
    /// Every endpoint this cluster has had, with its health flags (index = host id).
    hosts: Vec<Slot>,
    /// The current endpoint set, as host ids in the control plane's order. Member `k`'s slot
    /// is entry `k` of one pushed list, the same for every member (the list the set was made
    /// or last changed with).
    members: Vec<usize>,
    /// Whether the cluster health-checks (new hosts start `FAILED_ACTIVE_HC`).
    health_checked: bool,
    /// The priority load last traced.
    pub(crate) last_load: Option<TracedLoad>,
}

/// A host's endpoint, entry `index` of a pushed endpoint list, and its health flags.
#[derive(Debug, Clone)]
struct Slot {
    list: EndpointList,
    index: usize,
    flags: HealthFlags,
}

impl Slot {
    fn endpoint(&self) -> &Endpoint {
        &self.list[self.index]
    }
}

/// What a push changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub added: Vec<HostId>,
    pub removed: Vec<HostId>,
    /// Same hosts with the same endpoints in the same order: nothing to tell anyone.
    pub unchanged: bool,
}

impl HostSet {
    pub fn new(endpoints: &EndpointList, health_checked: bool) -> Self {
        let slot = |index| Slot {
            list: endpoints.clone(),
            index,
            flags: HealthFlags::new_host(health_checked),
        };
        Self {
            members: (0..endpoints.len()).collect(),
            hosts: (0..endpoints.len()).map(slot).collect(),
            health_checked,
            last_load: None,
        }
    }

    /// Endpoint `i` (a host id; hosts that left keep their slot).
    pub fn endpoint(&self, i: usize) -> &Endpoint {
        self.hosts[i].endpoint()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether host `id` is in the current set.
    pub fn contains(&self, id: HostId) -> bool {
        self.members.contains(&(id.0 as usize))
    }

    /// The current members' ids, in the control plane's order.
    pub fn member_ids(&self) -> Vec<HostId> {
        self.members.iter().map(|i| HostId(*i as u32)).collect()
    }

    /// A host's health flags (outlier ejection, active health checking).
    pub fn flags(&self, host: HostId) -> HealthFlags {
        (self.hosts.get(host.0 as usize))
            .map_or(HealthFlags::new_host(self.health_checked), |s| s.flags)
    }

    /// Set one flag; returns the flags before and after.
    pub fn set_flag(
        &mut self,
        host: HostId,
        flag: HealthFlag,
        on: bool,
    ) -> (HealthFlags, HealthFlags) {
        let before = self.flags(host);
        let mut after = before;
        after.set(flag, on);
        if let Some(s) = self.hosts.get_mut(host.0 as usize) {
            s.flags = after;
        }
        (before, after)
    }

    /// The load balancer's view of the current set.
    pub fn lb_hosts(&self) -> Vec<Host> {
        self.members
            .iter()
            .map(|&i| {
                let ep = self.endpoint(i);
                Host {
                    id: HostId(i as u32),
                    weight: ep.weight.max(1),
                    locality: ep.locality.clone(),
                    priority: ep.priority,
                    health: self.flags(HostId(i as u32)).health(),
                }
            })
            .collect()
    }

    /// Whether the members are exactly `endpoints`, in order: each host's endpoint is the
    /// very entry of the list (a push that left this service alone) or an equal one.
    fn is(&self, endpoints: &EndpointList) -> bool {
        // Every member's slot is entry `k` of one list: when it is this very list, the set is.
        let very_list = |&first: &usize| self.hosts[first].list.is_shared_with(endpoints);
        if self.members.first().is_some_and(very_list) {
            return self.members.len() == endpoints.len();
        }
        self.members.len() == endpoints.len()
            && (self.members.iter()).zip(endpoints.iter()).all(|(&i, ep)| {
                let mine = self.endpoint(i);
                std::ptr::eq(mine, ep) || mine == ep
            })
    }

    /// For each of `endpoints`, the host of `old` (current members) it continues, if any: the
    /// first in `old`'s order with the endpoint's address that no earlier endpoint took. Found
    /// in `old` sorted by address once, rather than by scanning `old` for each endpoint (and
    /// the members taken so far for each candidate), which made a push to a service of n
    /// pods compare n² addresses on every proxy that has the service.
    fn continuing(&self, old: &[usize], endpoints: &EndpointList) -> Vec<Option<usize>> {
        let mut by_address: Vec<_> = old.iter().map(|&i| (self.endpoint(i).address, i)).collect();
        // Stable: hosts of the same address stay in `old`'s order.
        by_address.sort_by_key(|&(address, _)| address);
        let mut taken = vec![false; by_address.len()];
        (endpoints.iter())
            .map(|ep| {
                let from = by_address.partition_point(|&(a, _)| a < ep.address);
                let k = (from..by_address.len())
                    .take_while(|&k| by_address[k].0 == ep.address)
                    .find(|&k| !taken[k])?;
                taken[k] = true;
                Some(by_address[k].1)
            })
            .collect()
    }

    /// A control-plane push of the endpoint set (EDS). Endpoints still present (same address)
    /// keep their host; new ones get new hosts; the rest leave and forget their flags.
    pub fn update(&mut self, endpoints: &EndpointList) -> Membership {
        // The common push: this set is untouched (the full pass below would find exactly
        // this and change nothing).
        if self.is(endpoints) {
            return Membership {
                added: Vec::new(),
                removed: Vec::new(),
                unchanged: true,
            };
        }
        let old = std::mem::take(&mut self.members);
        let continuing = self.continuing(&old, endpoints);
        // By host id, for the hosts there were before this push: whether one stays.
        let mut kept = vec![false; self.hosts.len()];
        let mut members = Vec::with_capacity(endpoints.len());
        // A host that stays but comes with another weight, priority or locality changes the
        // balancer's view as much as one that comes or goes.
        let mut restated = false;
        for ((index, ep), existing) in endpoints.iter().enumerate().zip(continuing) {
            match existing {
                Some(i) => {
                    kept[i] = true;
                    restated |= self.endpoint(i) != ep;
                    let slot = &mut self.hosts[i];
                    (slot.list, slot.index) = (endpoints.clone(), index);
                    members.push(i);
                }
                None => {
                    self.hosts.push(Slot {
                        list: endpoints.clone(),
                        index,
                        flags: HealthFlags::new_host(self.health_checked),
                    });
                    members.push(self.hosts.len() - 1);
                }
            }
        }
        let unchanged = members == old && !restated;
        let change = Membership {
            // The new slots: every other member was one of `old`.
            added: (members.iter().filter(|&&i| i >= kept.len()))
                .map(|&i| HostId(i as u32))
                .collect(),
            removed: (old.iter().filter(|&&i| !kept[i]))
                .map(|&i| HostId(i as u32))
                .collect(),
            unchanged,
        };
        for h in &change.removed {
            // A host that left keeps its endpoint on its own, not the whole list it came with.
            let slot = &mut self.hosts[h.0 as usize];
            slot.flags = HealthFlags::new_host(self.health_checked);
            slot.list = vec![slot.endpoint().clone()].into();
            slot.index = 0;
        }
        self.members = members;
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(port: u16, name: &str) -> Endpoint {
        Endpoint::new(([10, 0, 0, 1], port).into(), name)
    }

    fn list<const N: usize>(eps: [Endpoint; N]) -> EndpointList {
        eps.into_iter().collect()
    }

    #[test]
    fn a_host_that_stays_keeps_its_id_and_flags_and_a_returning_one_is_new() {
        let mut s = HostSet::new(&list([ep(1, "a"), ep(2, "b")]), false);
        s.set_flag(HostId(0), HealthFlag::FailedOutlierCheck, true);
        let m = s.update(&list([ep(1, "a")]));
        assert_eq!((m.added, m.removed.clone()), (vec![], vec![HostId(1)]));
        assert!(s.flags(HostId(0)).failed_outlier_check);
        let m = s.update(&list([ep(1, "a"), ep(2, "b")]));
        assert_eq!(m.added, vec![HostId(2)]);
        assert!(!s
            .update(&list([ep(1, "a"), ep(2, "b")]))
            .added
            .iter()
            .any(|_| true));
        assert!(s.update(&list([ep(1, "a"), ep(2, "b")])).unchanged);
    }

    #[test]
    fn the_same_hosts_with_another_priority_or_weight_are_a_change() {
        let mut s = HostSet::new(&list([ep(1, "a"), ep(2, "b")]), false);
        let mut b = ep(2, "b");
        b.priority = 1;
        let m = s.update(&list([ep(1, "a"), b.clone()]));
        assert!(!m.unchanged, "a failover priority moved");
        assert_eq!((m.added, m.removed), (vec![], vec![]));
        assert_eq!(s.endpoint(1).priority, 1);
        b.weight = 3;
        assert!(!s.update(&list([ep(1, "a"), b.clone()])).unchanged);
        assert!(s.update(&list([ep(1, "a"), b])).unchanged);
    }

    #[test]
    fn hosts_refer_to_the_pushed_list_and_one_that_left_lets_its_list_go() {
        let first = list([ep(1, "a"), ep(2, "b")]);
        let mut s = HostSet::new(&first, false);
        assert_eq!(
            std::sync::Arc::strong_count(&first.0),
            3,
            "one reference per host, no copy"
        );
        let second = list([ep(1, "a")]);
        s.update(&second);
        assert_eq!(
            std::sync::Arc::strong_count(&first.0),
            1,
            "the host that left keeps only itself"
        );
        assert_eq!(std::sync::Arc::strong_count(&second.0), 2);
        assert!(s.update(&second).unchanged, "the very list it has");
        assert!(!s.update(&first).unchanged, "the list it had before");
        assert_eq!(s.endpoint(1).hostname, "b");
        assert_eq!(s.endpoint(0).hostname, "a");
    }

    #[test]
    fn new_hosts_of_a_health_checked_cluster_start_failed_active_hc() {
        let s = HostSet::new(&list([ep(1, "a")]), true);
        assert!(s.flags(HostId(0)).failed_active_hc);
    }

    /// What `update` did before `continuing`: for each endpoint, scan `old` for the first
    /// host of its address not yet taken.
    fn continuing_by_scan(
        s: &HostSet,
        old: &[usize],
        endpoints: &EndpointList,
    ) -> Vec<Option<usize>> {
        let mut taken = Vec::new();
        (endpoints.iter())
            .map(|ep| {
                let i = (old.iter().copied())
                    .find(|&i| s.endpoint(i).address == ep.address && !taken.contains(&i))?;
                taken.push(i);
                Some(i)
            })
            .collect()
    }

    #[test]
    fn endpoints_continue_the_same_hosts_as_a_scan_of_the_old_members_finds() {
        // Ports drawn from a small range, so pushes repeat, reorder, drop and duplicate
        // addresses; a fixed LCG keeps the cases the same every run.
        let mut x: u32 = 12345;
        let mut next = |n: u32| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) % n
        };
        let mut s = HostSet::new(&list([ep(1, "a"), ep(2, "b"), ep(2, "b2")]), false);
        for push in 0..300 {
            let len = next(7) as usize;
            let eps: EndpointList = (0..len).map(|_| ep(next(5) as u16, "h")).collect();
            let old = s.members.clone();
            let before = s.hosts.len();
            assert_eq!(
                s.continuing(&old, &eps),
                continuing_by_scan(&s, &old, &eps),
                "push {push}"
            );
            let m = s.update(&eps);
            let ids = |v: Vec<&usize>| v.into_iter().map(|&i| HostId(i as u32)).collect::<Vec<_>>();
            let added = ids(s.members.iter().filter(|&&i| i >= before).collect());
            let removed = ids(old.iter().filter(|i| !s.members.contains(i)).collect());
            assert_eq!((m.added, m.removed), (added, removed), "push {push}");
        }
    }
}
