//! The priority load planner (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::recalculatePerPriorityState`, R7): per-priority healthy and degraded load in whole
//! percent, from each priority's availability scaled by the overprovisioning factor, with
//! Envoy's exact integer math; panic per priority (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::isHostSetInPanic`, R8) comes from [`super::panic`].

use super::panic;

/// `overprovisioning_factor` default: 140 (= 1.4).
pub const DEFAULT_OVERPROVISIONING_FACTOR: u32 = 140;

/// One priority level's size and health. `*_weight` equal the counts unless
/// `weighted_priority_health` is on, in which case they sum host weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    pub hosts: u64,
    pub healthy: u64,
    pub degraded: u64,
    pub total_weight: u64,
    pub healthy_weight: u64,
    pub degraded_weight: u64,
}

impl Level {
    /// A level measured by host counts (Envoy's default).
    pub fn counts(hosts: u64, healthy: u64, degraded: u64) -> Self {
        Self {
            hosts,
            healthy,
            degraded,
            total_weight: hosts,
            healthy_weight: healthy,
            degraded_weight: degraded,
        }
    }
}

/// Which list of the chosen priority a pick uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Availability {
    Healthy,
    Degraded,
}

/// The plan: loads per priority (healthy + degraded sum to 100) and panic flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityLoad {
    pub healthy: Vec<u32>,
    pub degraded: Vec<u32>,
    /// Priorities whose picks use all their hosts regardless of health.
    pub panic: Vec<bool>,
    /// Every priority in panic: loads follow host counts.
    pub total_panic: bool,
    /// Per-priority `min(100, OPF·healthy/total)` and its degraded twin.
    pub health: Vec<u32>,
    pub degraded_availability: Vec<u32>,
    /// `min(100, Σ health + degraded)`.
    pub normalized_total_availability: u32,
}

/// `min(100, OPF × part / total)` in integers; 0 for an empty level.
fn availability(opf: u32, part: u64, total: u64) -> u32 {
    if total == 0 {
        return 0;
    }
    (u64::from(opf) * part / total).min(100) as u32
}

/// Envoy's `distributeLoad`: greedy in priority order. Returns the first priority with any
/// availability and the load left over.
fn distribute(out: &mut [u32], avail: &[u32], mut load: u32, nta: u32) -> (Option<usize>, u32) {
    let first = avail.iter().position(|a| *a > 0);
    for (o, a) in out.iter_mut().zip(avail) {
        *o = load.min(a * 100 / nta);
        load -= *o;
    }
    (first, load)
}

/// Plan the priority load of `levels` (priority 0 first) with `opf` (140 = 1.4) and a panic
/// threshold in percent (0 disables panic).
pub fn plan(levels: &[Level], opf: u32, panic_threshold: u32) -> PriorityLoad {
    // A cluster always has priority 0, even when it has no host at all.
    let levels: &[Level] = if levels.is_empty() {
        &[Level::counts(0, 0, 0)]
    } else {
        levels
    };
    let n = levels.len();
    let health: Vec<u32> = levels
        .iter()
        .map(|l| availability(opf, l.healthy_weight, l.total_weight))
        .collect();
    let degraded_availability: Vec<u32> = levels
        .iter()
        .map(|l| availability(opf, l.degraded_weight, l.total_weight))
        .collect();
    let nta = health
        .iter()
        .chain(&degraded_availability)
        .sum::<u32>()
        .min(100);
    let mut load = PriorityLoad {
        healthy: vec![0; n],
        degraded: vec![0; n],
        panic: vec![false; n],
        total_panic: false,
        health,
        degraded_availability,
        normalized_total_availability: nta,
    };
    if nta > 0 {
        let (first_h, rest) = distribute(&mut load.healthy, &load.health, 100, nta);
        let (first_d, rest) =
            distribute(&mut load.degraded, &load.degraded_availability, rest, nta);
        if rest > 0 {
            match (first_h, first_d) {
                (Some(p), _) => load.healthy[p] += rest,
                (None, Some(p)) => load.degraded[p] += rest,
                (None, None) => unreachable!("nta > 0 means some priority is available"),
            }
        }
    }
    let threshold = panic_threshold.min(100);
    if threshold == 0 && nta == 0 {
        // Nothing routable and panic disabled: P0 takes the load and finds no host (UH).
        load.healthy[0] = 100;
        return load;
    }
    load.panic = levels
        .iter()
        .map(|l| nta != 100 && panic::in_panic(l, threshold))
        .collect();
    if load.panic.iter().all(|p| *p) {
        load.total_panic = true;
        load.healthy = panic::total_panic_load(levels);
        load.degraded = vec![0; n];
    }
    load
}

impl PriorityLoad {
    /// Envoy's `choosePriority`: `h = hash % 100 + 1`, then the first priority whose cumulative
    /// healthy load reaches `h`, else continue over the degraded loads.
    pub fn choose(&self, hash: u64) -> (usize, Availability) {
        let h = (hash % 100 + 1) as u32;
        let mut cumulative = 0;
        for (p, l) in self.healthy.iter().enumerate() {
            cumulative += l;
            if h <= cumulative {
                return (p, Availability::Healthy);
            }
        }
        for (p, l) in self.degraded.iter().enumerate() {
            cumulative += l;
            if h <= cumulative {
                return (p, Availability::Degraded);
            }
        }
        unreachable!("priority loads always sum to 100")
    }
}
