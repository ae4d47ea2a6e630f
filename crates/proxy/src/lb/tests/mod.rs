//! The load-balancing engines against `source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase` and reference results R7, R8.

mod panic;
mod pickers;
mod priority_load;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use meshtwin_model::policy::LbPolicy;

pub(super) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// No request in flight anywhere.
pub(super) fn idle(_: HostId) -> u64 {
    0
}

/// Hosts per priority: `(total, healthy)`; the first `healthy` of each priority are healthy,
/// the rest unhealthy. Ids run 0, 1, 2, ... across priorities.
pub(super) fn hosts(levels: &[(u32, u32)]) -> Vec<Host> {
    let mut out = Vec::new();
    for (p, (total, healthy)) in levels.iter().enumerate() {
        for i in 0..*total {
            let mut h = Host::new(out.len() as u32, p as u32);
            if i >= *healthy {
                h.health = Health::Unhealthy;
            }
            out.push(h);
        }
    }
    out
}

pub(super) fn lb(policy: LbPolicy, threshold: u32, hosts: Vec<Host>, seed: u64) -> LoadBalancer {
    let cfg = LbConfig {
        healthy_panic_threshold: threshold,
        ..LbConfig::new(policy)
    };
    LoadBalancer::new(cfg, hosts, LocalityWeights::new(), &idle, &mut rng(seed))
}

/// `n` first-attempt picks: how often each host id was chosen (`None` counted as id u32::MAX).
pub(super) fn tally(
    lb: &mut LoadBalancer,
    n: usize,
    active: ActiveRequests<'_>,
    seed: u64,
) -> std::collections::BTreeMap<u32, usize> {
    let mut r = rng(seed);
    let mut out = std::collections::BTreeMap::new();
    for _ in 0..n {
        let id = lb
            .choose_host(&PickContext::default(), active, &mut r)
            .map_or(u32::MAX, |p| p.host.0);
        *out.entry(id).or_default() += 1;
    }
    out
}
