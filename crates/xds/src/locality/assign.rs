//! Istio's locality load balancing (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`; istiod's `ApplyLocalityLoadBalancer`): the
//! priority and weight of every locality group of endpoints, relative to the client proxy.
//!
//! - no setting (locality LB disabled): everything at priority 0;
//! - `distribute`: weights per destination locality, unmatched groups emptied ([`super::distribute`]);
//! - failover (only when `enable_failover`, i.e. the cluster has outlier detection or the
//!   service forces it): `failoverPriority` labels first, then — by default, or when `failover`
//!   is also given — region/zone/subzone proximity with `failover` from/to regions;
//! - priorities are compacted to 0..N without gaps after each step.

use std::collections::BTreeMap;

use meshtwin_model::topology::Locality;

use super::distribute::apply_distribute;
use super::failover_priority::failover_priorities;
use meshtwin_proxy::lb::{Health, Host, HostId, LocalityWeights};

/// `failover: [{from, to}]` (regions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failover {
    pub from: String,
    pub to: String,
}

/// `distribute: [{from, to: {locality: weight}}]`; localities as `region/zone/subzone` with `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribute {
    pub from: String,
    pub to: BTreeMap<String, u32>,
}

/// An enabled `localityLbSetting` (DestinationRule's, else the mesh's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalityLbSetting {
    pub distribute: Vec<Distribute>,
    pub failover: Vec<Failover>,
    /// Label names, optionally `label=value` to override the proxy's value.
    pub failover_priority: Vec<String>,
}

/// The client proxy: its locality and labels (including topology labels).
#[derive(Debug, Clone, Copy)]
pub struct ClientProxy<'a> {
    pub locality: &'a Locality,
    pub labels: &'a BTreeMap<String, String>,
}

/// One endpoint of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IstioEndpoint {
    pub locality: Locality,
    pub labels: BTreeMap<String, String>,
    pub weight: u32,
}

/// One `LocalityLbEndpoints`: endpoints (indices into the input) sharing a locality and priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalityGroup {
    pub locality: Locality,
    pub priority: u32,
    /// `load_balancing_weight` of the group.
    pub weight: u32,
    pub endpoints: Vec<usize>,
}

/// What istiod sends this proxy for the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalityAssignment {
    pub groups: Vec<LocalityGroup>,
    /// Whether the cluster gets `locality_weighted_lb_config`.
    pub locality_weighted: bool,
}

/// `util.LbPriority`: 0 same subzone, 1 same zone, 2 same region, 3 other region.
pub fn lb_priority(proxy: &Locality, ep: &Locality) -> u32 {
    match (
        proxy.region == ep.region,
        proxy.zone == ep.zone,
        proxy.subzone == ep.subzone,
    ) {
        (true, true, true) => 0,
        (true, true, false) => 1,
        (true, false, _) => 2,
        (false, _, _) => 3,
    }
}

/// `util.LocalityMatch`: `region[/zone[/subzone]]`, `*` matches anything, missing parts match.
pub fn locality_match(l: &Locality, rule: &str) -> bool {
    let mut parts = rule.splitn(3, '/');
    let (r, z, s) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    (r == "*" || r == l.region)
        && (z.is_empty() || z == "*" || z == l.zone)
        && (s.is_empty() || s == "*" || s == l.subzone)
}

/// Renumber priorities to 0..N in order, without gaps.
pub(crate) fn compact(groups: &mut [LocalityGroup]) {
    let mut seen: Vec<u32> = groups.iter().map(|g| g.priority).collect();
    seen.sort_unstable();
    seen.dedup();
    for g in groups {
        g.priority = seen.binary_search(&g.priority).expect("listed above") as u32;
    }
}

/// Assign priorities and weights for `proxy` (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`).
pub fn assign(
    proxy: ClientProxy<'_>,
    endpoints: &[IstioEndpoint],
    setting: Option<&LocalityLbSetting>,
    enable_failover: bool,
) -> LocalityAssignment {
    let mut by_locality: BTreeMap<&Locality, Vec<usize>> = BTreeMap::new();
    for (i, e) in endpoints.iter().enumerate() {
        by_locality.entry(&e.locality).or_default().push(i);
    }
    let mut groups: Vec<LocalityGroup> = by_locality
        .into_iter()
        .map(|(l, eps)| LocalityGroup {
            locality: l.clone(),
            priority: 0,
            weight: eps.iter().map(|i| endpoints[*i].weight).sum(),
            endpoints: eps,
        })
        .collect();
    let Some(s) = setting else {
        return LocalityAssignment {
            groups,
            locality_weighted: false,
        };
    };
    if !s.distribute.is_empty() {
        apply_distribute(proxy.locality, &mut groups, &s.distribute);
    } else if enable_failover {
        if !s.failover_priority.is_empty() {
            groups = failover_priorities(proxy, endpoints, groups, &s.failover_priority);
        }
        if s.failover_priority.is_empty() || !s.failover.is_empty() {
            locality_failover(proxy.locality, &mut groups, &s.failover);
        }
    }
    let explicit_failover = !s.failover.is_empty() || !s.failover_priority.is_empty();
    let locality_weighted = !s.distribute.is_empty() || (enable_failover && explicit_failover);
    LocalityAssignment {
        groups,
        locality_weighted,
    }
}

/// `applyLocalityFailover`: proximity priority (4 for a region `failover` does not lead to),
/// combined with earlier priorities as `earlier × 5 + proximity`, then compacted.
fn locality_failover(proxy: &Locality, groups: &mut [LocalityGroup], failover: &[Failover]) {
    for g in groups.iter_mut() {
        let mut p = lb_priority(proxy, &g.locality);
        if p == 3 {
            if let Some(f) = failover.iter().find(|f| f.from == proxy.region) {
                if g.locality.region != f.to {
                    p = 4;
                }
            }
        }
        g.priority = g.priority * 5 + p;
    }
    compact(groups);
}

impl LocalityAssignment {
    /// The load balancer's hosts (id = endpoint index, healthy, weight from the endpoint) and
    /// locality weights. Emptied groups contribute nothing.
    pub fn hosts(&self, endpoints: &[IstioEndpoint]) -> (Vec<Host>, LocalityWeights) {
        let mut hosts = Vec::new();
        let mut weights = LocalityWeights::new();
        for g in self.groups.iter().filter(|g| !g.endpoints.is_empty()) {
            weights.insert((g.priority, g.locality.clone()), g.weight);
            hosts.extend(g.endpoints.iter().map(|i| Host {
                id: HostId(*i as u32),
                weight: endpoints[*i].weight,
                locality: g.locality.clone(),
                priority: g.priority,
                health: Health::Healthy,
            }));
        }
        hosts.sort_by_key(|h| h.id);
        (hosts, weights)
    }
}
