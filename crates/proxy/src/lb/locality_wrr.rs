//! Locality-weighted LB (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::chooseHostSet` (locality-weighted), Envoy's `LocalityWrr`): after the priority is chosen, pick a
//! locality by EDF over `locality_weight × min(1, OPF/100 × eligible/hosts)`; localities with no
//! effective weight are left out, and no scheduler exists if none is left.

use super::edf::Edf;
use super::host::{HostSet, LocalityHosts};
use super::priority::Availability;

/// The locality schedulers of one priority (healthy and degraded).
#[derive(Debug, Clone)]
pub struct LocalityWrr {
    healthy: Option<Edf<(usize, f64)>>,
    degraded: Option<Edf<(usize, f64)>>,
}

/// A locality's effective weight when `eligible` of its hosts can take traffic.
pub fn effective_weight(l: &LocalityHosts, eligible: usize, opf: u32) -> f64 {
    if l.hosts.is_empty() {
        return 0.0;
    }
    let ratio = eligible as f64 / l.hosts.len() as f64;
    f64::from(l.weight) * (f64::from(opf) / 100.0 * ratio).min(1.0)
}

fn scheduler(
    set: &HostSet,
    opf: u32,
    seed: u64,
    eligible: impl Fn(&LocalityHosts) -> usize,
) -> Option<Edf<(usize, f64)>> {
    let entries: Vec<((usize, f64), f64)> = set
        .localities
        .iter()
        .enumerate()
        .map(|(i, l)| (i, effective_weight(l, eligible(l), opf)))
        .filter(|(_, w)| *w > 0.0)
        .map(|(i, w)| ((i, w), w))
        .collect();
    if entries.is_empty() {
        return None;
    }
    // Envoy pre-advances by the seed (`createWithPicks`); `seed % n` keeps the de-synchronising
    // effect without emulating up to 4e8 picks.
    let picks = seed % entries.len() as u64;
    Some(Edf::new(entries, picks, |(_, w)| w))
}

impl LocalityWrr {
    /// Build the schedulers of one priority; `seed` is a fresh random draw per rebuild.
    pub fn new(set: &HostSet, opf: u32, seed: u64) -> Self {
        Self {
            healthy: scheduler(set, opf, seed, |l| l.healthy.len()),
            degraded: scheduler(set, opf, seed, |l| l.degraded.len()),
        }
    }

    /// The index (into [`HostSet::localities`]) of the next locality, if any is eligible.
    pub fn choose(&mut self, availability: Availability) -> Option<usize> {
        let edf = match availability {
            Availability::Healthy => self.healthy.as_mut()?,
            Availability::Degraded => self.degraded.as_mut()?,
        };
        edf.pick_and_add(|(_, w)| w).map(|(i, _)| i)
    }
}
