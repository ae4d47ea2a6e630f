//! Istio locality LB (spec §4.9): priorities from proximity, `failover` and
//! `failoverPriority`, weights from `distribute`, and what the load balancer makes of them.

use std::collections::BTreeMap;

use meshtwin_model::topology::Locality;

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
