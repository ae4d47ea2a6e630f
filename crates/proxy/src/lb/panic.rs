//! Envoy's panic threshold (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::isHostSetInPanic`, R8): a priority whose available share of hosts is below
//! the threshold is picked from *all* its hosts; when every priority is in panic the load
//! follows host counts. Panic is only considered when normalized total availability < 100.

use super::priority::Level;

/// Envoy's default `healthy_panic_threshold`: 50 %.
pub const DEFAULT_HEALTHY_PANIC_THRESHOLD: u32 = 50;

/// `isHostSetInPanic`: `100·healthy/hosts + 100·degraded/hosts < threshold` (by host count, in
/// doubles as Envoy computes it). An empty priority is at 0 %; a threshold of 0 never panics.
pub fn in_panic(level: &Level, threshold: u32) -> bool {
    let (healthy, degraded) = if level.hosts == 0 {
        (0.0, 0.0)
    } else {
        let n = level.hosts as f64;
        (
            100.0 * level.healthy as f64 / n,
            100.0 * level.degraded as f64 / n,
        )
    };
    healthy + degraded < f64::from(threshold)
}

/// `recalculateLoadInTotalPanic`: `100·hosts_p / Σ hosts` per priority, the remainder to the
/// first non-empty priority (all to P0 when there are no hosts).
pub fn total_panic_load(levels: &[Level]) -> Vec<u32> {
    let mut load = vec![0; levels.len().max(1)];
    let total: u64 = levels.iter().map(|l| l.hosts).sum();
    if total == 0 {
        load[0] = 100;
        return load;
    }
    for (l, level) in load.iter_mut().zip(levels) {
        *l = (100 * level.hosts / total) as u32;
    }
    let rest = 100 - load.iter().sum::<u32>();
    let first = levels.iter().position(|l| l.hosts > 0).expect("total > 0");
    load[first] += rest;
    load
}
