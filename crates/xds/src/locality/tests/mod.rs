//! Istio locality LB (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`): priorities from proximity, `failover` and
//! `failoverPriority`, weights from `distribute`, and what the load balancer makes of them.

use std::collections::BTreeMap;

use meshtwin_model::policy::LbPolicy;
use meshtwin_model::topology::Locality;
use meshtwin_proxy::lb::{ActiveRequests, Health, HostId, LbConfig, LoadBalancer, PickContext};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

mod distribute;
mod failover;

pub(super) fn loc(s: &str) -> Locality {
    let mut p = s.split('/');
    let mut next = || p.next().unwrap_or("").to_string();
    Locality {
        region: next(),
        zone: next(),
        subzone: next(),
    }
}

pub(super) fn ep(l: &str, labels: &[(&str, &str)]) -> IstioEndpoint {
    let labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    IstioEndpoint {
        locality: loc(l),
        labels,
        weight: 1,
    }
}

/// Each endpoint's priority, in endpoint order.
pub(super) fn priorities(a: &LocalityAssignment, n: usize) -> Vec<u32> {
    let mut out = vec![u32::MAX; n];
    for g in &a.groups {
        for i in &g.endpoints {
            out[*i] = g.priority;
        }
    }
    out
}

/// The client proxy's locality and labels.
pub(super) struct Client(Locality, BTreeMap<String, String>);

impl Client {
    pub(super) fn proxy(&self) -> ClientProxy<'_> {
        ClientProxy {
            locality: &self.0,
            labels: &self.1,
        }
    }
}

pub(super) fn client(l: &Locality, labels: &BTreeMap<String, String>) -> Client {
    Client(l.clone(), labels.clone())
}

pub(super) const PROXY: &str = "us-east/z1/s1";

pub(super) fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// No request in flight anywhere.
pub(super) fn idle(_: HostId) -> u64 {
    0
}

/// `n` first-attempt picks: how often each host id was chosen (`None` counted as id u32::MAX).
pub(super) fn tally(
    lb: &mut LoadBalancer,
    n: usize,
    active: ActiveRequests<'_>,
    seed: u64,
) -> BTreeMap<u32, usize> {
    let mut r = rng(seed);
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let id = lb
            .choose_host(&PickContext::default(), active, &mut r)
            .map_or(u32::MAX, |p| p.host.0);
        *out.entry(id).or_default() += 1;
    }
    out
}
