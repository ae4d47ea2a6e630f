//! Istio's locality load balancing as istiod applies it per client proxy (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`,
//! `ApplyLocalityLoadBalancer`): endpoints get priorities (failover by proximity, `failover`
//! regions, `failoverPriority` labels) or weights (`distribute`) relative to the client's
//! locality. The mesh default is "enabled, nothing else"; failover needs outlier detection on
//! the cluster (without it every endpoint stays at priority 0).
//!
//! - [`assign`]: priorities and weights per locality group (istiod's `ApplyLocalityLoadBalancer`);
//!   `distribute` and `failoverPriority` in their own modules.

use std::collections::BTreeMap;

use meshtwin_model::policy::LocalityLb;
use meshtwin_model::topology::Pod;
use meshtwin_proxy::config::ClusterConfig;

pub mod assign;
mod distribute;
mod failover_priority;

#[cfg(test)]
mod tests;

pub use assign::{
    assign, ClientProxy, Distribute, Failover, IstioEndpoint, LocalityAssignment, LocalityLbSetting,
};

/// The Kubernetes topology labels Istio adds to every proxy's and endpoint's labels.
pub(super) fn topology_labels(pod: &Pod) -> BTreeMap<String, String> {
    let mut labels = pod.labels.clone();
    let l = &pod.locality;
    labels.insert("topology.kubernetes.io/region".into(), l.region.clone());
    labels.insert("topology.kubernetes.io/zone".into(), l.zone.clone());
    if !l.subzone.is_empty() {
        labels.insert("topology.istio.io/subzone".into(), l.subzone.clone());
    }
    labels
}

fn engine_setting(l: &LocalityLb) -> LocalityLbSetting {
    LocalityLbSetting {
        distribute: l
            .distribute
            .iter()
            .map(|d| Distribute {
                from: d.from.clone(),
                to: d.to.clone(),
            })
            .collect(),
        failover: l
            .failover
            .iter()
            .map(|f| Failover {
                from: f.from.clone(),
                to: f.to.clone(),
            })
            .collect(),
        failover_priority: l.failover_priority.clone(),
    }
}

/// Give `cluster`'s endpoints the priorities and locality weights istiod sends `client`.
/// `labels[i]` are endpoint `i`'s labels; `setting` is the DestinationRule's
/// `localityLbSetting` (`None`: the mesh default, enabled).
pub(super) fn apply(
    client: &Pod,
    cluster: &mut ClusterConfig,
    labels: &[BTreeMap<String, String>],
    setting: Option<&LocalityLb>,
) {
    let default = LocalityLb::default();
    let setting = setting.unwrap_or(&default);
    if setting.enabled == Some(false) || cluster.endpoints.is_empty() {
        return;
    }
    let endpoints: Vec<IstioEndpoint> = cluster
        .endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| IstioEndpoint {
            locality: e.locality.clone(),
            labels: labels.get(i).cloned().unwrap_or_default(),
            weight: e.weight,
        })
        .collect();
    let client_labels = topology_labels(client);
    let proxy = ClientProxy {
        locality: &client.locality,
        labels: &client_labels,
    };
    let engine = engine_setting(setting);
    let enable_failover = cluster.outlier_detection.is_some();
    let assignment = assign(proxy, &endpoints, Some(&engine), enable_failover);
    let mut kept = Vec::new();
    for g in assignment.groups.iter().filter(|g| !g.endpoints.is_empty()) {
        if assignment.locality_weighted {
            cluster
                .locality_weights
                .insert((g.priority, g.locality.clone()), g.weight);
        }
        for i in &g.endpoints {
            let mut e = cluster.endpoints[*i].clone();
            e.priority = g.priority;
            kept.push((*i, e));
        }
    }
    kept.sort_by_key(|(i, _)| *i);
    cluster.endpoints = kept.into_iter().map(|(_, e)| e).collect();
}
