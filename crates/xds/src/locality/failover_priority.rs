//! Istio `localityLbSetting.failoverPriority` (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`; istiod's `applyFailoverPriorities`):
//! split each locality group by how many of the listed labels an endpoint shares with the
//! client proxy, in order, then compact the priorities.

use std::collections::BTreeMap;

use super::assign::{compact, ClientProxy, IstioEndpoint, LocalityGroup};

/// An endpoint's `failoverPriority` rank: `N − j` for the first label `j` whose value differs
/// from the proxy's (0 if all match); a leading `topology.istio.io/network` mismatch adds `N`
/// and matching goes on.
fn label_priority(
    proxy: &BTreeMap<String, String>,
    ep: &BTreeMap<String, String>,
    labels: &[String],
) -> u32 {
    let n = labels.len() as u32;
    let includes_network = labels
        .first()
        .is_some_and(|l| l == "topology.istio.io/network");
    let mut adjust = 0;
    for (j, spec) in labels.iter().enumerate() {
        let (name, value) = match spec.split_once('=') {
            Some((name, v)) => (name, Some(v)),
            None => (spec.as_str(), None),
        };
        let want = value
            .or_else(|| proxy.get(name).map(String::as_str))
            .unwrap_or("");
        if want != ep.get(name).map_or("", String::as_str) {
            if j == 0 && includes_network {
                adjust = n;
                continue;
            }
            return n - j as u32 + adjust;
        }
    }
    adjust
}

/// `applyFailoverPriorities`: split each group by label rank, then compact. Nothing happens
/// when the proxy has no labels.
pub(crate) fn failover_priorities(
    proxy: ClientProxy<'_>,
    endpoints: &[IstioEndpoint],
    groups: Vec<LocalityGroup>,
    labels: &[String],
) -> Vec<LocalityGroup> {
    if proxy.labels.is_empty() {
        return groups;
    }
    let mut out = Vec::new();
    for g in groups {
        let mut by_rank: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for i in &g.endpoints {
            let rank = label_priority(proxy.labels, &endpoints[*i].labels, labels);
            by_rank.entry(rank).or_default().push(*i);
        }
        out.extend(by_rank.into_iter().map(|(rank, eps)| LocalityGroup {
            locality: g.locality.clone(),
            priority: rank,
            weight: eps.iter().map(|i| endpoints[*i].weight).sum(),
            endpoints: eps,
        }));
    }
    compact(&mut out);
    out
}
