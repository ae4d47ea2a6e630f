//! Round robin (`source/common/upstream/load_balancer_impl.cc` `RoundRobinLoadBalancer`): with equal weights a cursor per host source, starting at the load
//! balancer's seed, `hosts[cursor++ % n]`; with unequal weights an EDF scheduler per source.
//!
//! Each worker's load balancer draws its own seed, so workers start at different phases.
//! Cursors survive host-set changes (only the modulo changes); schedulers are rebuilt.

use std::collections::BTreeMap;

use super::edf::Edf;
use super::host::{Entry, HostId, HostSet};
use super::source::{weights_equal, Source};

/// The round-robin state of one worker's load balancer.
#[derive(Debug, Clone)]
pub struct RoundRobin {
    seed: u64,
    cursors: BTreeMap<Source, u64>,
    schedulers: BTreeMap<Source, Edf<Entry>>,
}

impl RoundRobin {
    /// A worker's round-robin state; every cursor starts at `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            cursors: BTreeMap::new(),
            schedulers: BTreeMap::new(),
        }
    }

    /// Rebuild after the host sets changed. A weighted scheduler starts `seed % n` picks in
    /// (Envoy's pre-`createWithPicks` offset; same de-synchronisation, cheaper to compute).
    pub fn refresh(&mut self, sets: &[HostSet]) {
        self.schedulers.clear();
        for (source, hosts) in Source::all(sets) {
            self.cursors.entry(source).or_insert(self.seed);
            if !weights_equal(hosts) {
                let picks = self.seed % hosts.len() as u64;
                let entries = hosts.iter().map(|e| (*e, f64::from(e.weight)));
                let edf = Edf::new(entries, picks, |e: Entry| f64::from(e.weight));
                self.schedulers.insert(source, edf);
            }
        }
    }

    /// The next host of `source`, whose current list is `hosts`.
    pub fn pick(&mut self, source: Source, hosts: &[Entry]) -> Option<HostId> {
        if let Some(edf) = self.schedulers.get_mut(&source) {
            return edf.pick_and_add(|e| f64::from(e.weight)).map(|e| e.id);
        }
        if hosts.is_empty() {
            return None;
        }
        let cursor = self.cursors.entry(source).or_insert(self.seed);
        let host = hosts[(*cursor % hosts.len() as u64) as usize].id;
        *cursor = cursor.wrapping_add(1);
        Some(host)
    }
}
