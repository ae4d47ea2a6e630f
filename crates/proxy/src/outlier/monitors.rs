//! The detector's per-host monitors, stored densely by host id (Envoy's
//! `DetectorImpl::host_monitors_`, a hash map from host to `DetectorHostMonitorImpl`,
//! `source/common/upstream/outlier_detection_impl.cc`).
//!
//! A cluster's host ids are small and stable ([`HostSet`](crate::cluster::HostSet) gives each
//! endpoint the cluster has had the next index), so a table indexed by host id says whether a
//! host is watched and where its monitor is. A member that has never been reported on has no
//! monitor of its own: it reads as [`Monitor::IDLE`], exactly the state a new monitor has, and
//! most hosts of a big mesh stay so in most proxies. A monitor is allocated on the first result.
//!
//! The interval sweep only needs the hosts it could change: those ejected, with a back-off
//! above zero or with a result in either success-rate bucket. Any other host is left exactly
//! as it was by every step of Envoy's `DetectorImpl::onIntervalTimer` (nothing to uneject, no
//! back-off to decay, two empty buckets swapped, no sample). [`Monitors::touch`] lists a host
//! whenever its monitor is about to change; [`Monitors::prune`] unlists those the sweep left
//! idle. The list is kept in host-id order, the order of the sweep.

use crate::lb::HostId;

use super::monitor::Monitor;

/// The table entry of a host id that is not (or no longer) a member.
const ABSENT: u32 = u32::MAX;
/// The table entry of a member without a monitor of its own (it reads as [`Monitor::IDLE`]).
const IDLE: u32 = u32::MAX - 1;

/// A host's allocated monitor.
#[derive(Debug, Clone)]
struct Watched {
    host: HostId,
    /// In [`Monitors::listed`].
    listed: bool,
    monitor: Monitor,
}

/// Every member's monitor.
#[derive(Debug, Clone, Default)]
pub struct Monitors {
    /// By host id: [`ABSENT`], [`IDLE`] or the index of its monitor in `watched`.
    table: Vec<u32>,
    /// The monitors of members that have had a result, in no particular order.
    watched: Vec<Watched>,
    /// Hosts the next sweep must visit (each watched), in host-id order.
    listed: Vec<HostId>,
    members: usize,
}

impl Monitors {
    /// Watch `hosts`, none with a result yet.
    pub fn new(hosts: impl IntoIterator<Item = HostId>) -> Self {
        let mut m = Self::default();
        for h in hosts {
            m.add(h);
        }
        m
    }

    /// How many hosts are watched.
    pub fn len(&self) -> usize {
        self.members
    }

    /// Whether no host is watched.
    pub fn is_empty(&self) -> bool {
        self.members == 0
    }

    fn entry(&self, host: HostId) -> u32 {
        self.table.get(host.0 as usize).copied().unwrap_or(ABSENT)
    }

    /// Start watching `host` (a no-op for a member).
    pub fn add(&mut self, host: HostId) {
        let i = host.0 as usize;
        if i >= self.table.len() {
            self.table.resize(i + 1, ABSENT);
        }
        if self.table[i] == ABSENT {
            self.table[i] = IDLE;
            self.members += 1;
        }
    }

    /// Stop watching `host`; its last state, `None` when it was not a member.
    pub fn remove(&mut self, host: HostId) -> Option<Monitor> {
        let at = match self.entry(host) {
            ABSENT => return None,
            IDLE => None,
            at => Some(at as usize),
        };
        self.table[host.0 as usize] = ABSENT;
        self.members -= 1;
        let Some(at) = at else {
            return Some(Monitor::IDLE);
        };
        let gone = self.watched.swap_remove(at);
        if let Some(moved) = self.watched.get(at) {
            self.table[moved.host.0 as usize] = at as u32;
        }
        if gone.listed {
            self.listed.retain(|h| *h != host);
        }
        Some(gone.monitor)
    }

    /// `host`'s state; `None` when it is not a member.
    pub fn get(&self, host: HostId) -> Option<&Monitor> {
        match self.entry(host) {
            ABSENT => None,
            IDLE => Some(&Monitor::IDLE),
            at => Some(&self.watched[at as usize].monitor),
        }
    }

    /// The monitor of a member about to change: allocated on its first result, and listed for
    /// the next sweep. `None` when `host` is not a member.
    pub fn touch(&mut self, host: HostId) -> Option<&mut Monitor> {
        let at = match self.entry(host) {
            ABSENT => return None,
            IDLE => {
                self.watched.push(Watched {
                    host,
                    listed: false,
                    monitor: Monitor::IDLE,
                });
                let at = self.watched.len() - 1;
                self.table[host.0 as usize] = at as u32;
                at
            }
            at => at as usize,
        };
        let w = &mut self.watched[at];
        if !w.listed {
            w.listed = true;
            if let Err(at) = self.listed.binary_search(&host) {
                self.listed.insert(at, host);
            }
        }
        Some(&mut w.monitor)
    }

    /// The hosts the next sweep must visit, in host-id order.
    pub fn listed(&self) -> &[HostId] {
        &self.listed
    }

    /// A listed host's monitor, to change in a sweep.
    pub fn listed_mut(&mut self, host: HostId) -> &mut Monitor {
        let at = self.entry(host) as usize;
        debug_assert!(self.watched[at].listed, "a sweep changes listed hosts only");
        &mut self.watched[at].monitor
    }

    /// Unlist every host for which `keep` is false (the sweep left nothing for the next one).
    pub fn prune(&mut self, keep: impl Fn(&Monitor) -> bool) {
        let (table, watched) = (&self.table, &mut self.watched);
        self.listed.retain(|h| {
            let w = &mut watched[table[h.0 as usize] as usize];
            w.listed = keep(&w.monitor);
            w.listed
        });
    }

    /// The listed hosts whose monitor satisfies `f`, in host-id order.
    pub fn listed_where(&self, f: impl Fn(&Monitor) -> bool) -> Vec<HostId> {
        (self.listed.iter().copied())
            .filter(|h| f(&self.watched[self.entry(*h) as usize].monitor))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u32) -> HostId {
        HostId(i)
    }

    #[test]
    fn a_member_without_results_reads_as_a_new_monitor_and_allocates_nothing() {
        let m = Monitors::new([h(0), h(1)]);
        assert_eq!(m.get(h(1)), Some(&Monitor::default()));
        assert_eq!(m.get(h(2)), None);
        assert!(m.watched.is_empty());
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn a_touched_host_is_listed_once_and_sweeps_see_listed_hosts_in_id_order() {
        let mut m = Monitors::new([h(0), h(1), h(2)]);
        m.touch(h(2)).unwrap().backoff = 1;
        m.touch(h(0)).unwrap().backoff = 1;
        m.touch(h(2)).unwrap().backoff = 2;
        assert_eq!(m.listed(), &[h(0), h(2)]);
        assert_eq!(m.get(h(2)).unwrap().backoff, 2);
        m.prune(|mon| mon.backoff > 1);
        assert_eq!(m.listed(), &[h(2)]);
        assert_eq!(m.get(h(0)).unwrap().backoff, 1, "unlisted keeps its state");
        assert_eq!(m.touch(h(7)), None, "not a member");
    }

    #[test]
    fn removing_a_host_moves_another_monitor_without_losing_it() {
        let mut m = Monitors::new([h(0), h(1), h(2)]);
        m.touch(h(0)).unwrap().num_ejections = 10;
        m.touch(h(1)).unwrap().num_ejections = 11;
        m.touch(h(2)).unwrap().num_ejections = 12;
        assert_eq!(m.remove(h(0)).unwrap().num_ejections, 10);
        assert_eq!(m.remove(h(0)), None);
        assert_eq!(m.get(h(1)).unwrap().num_ejections, 11);
        assert_eq!(m.get(h(2)).unwrap().num_ejections, 12);
        assert_eq!(m.listed(), &[h(1), h(2)]);
        m.add(h(0));
        assert_eq!(m.get(h(0)), Some(&Monitor::IDLE), "a returning host is new");
        assert_eq!(m.len(), 3);
    }
}
