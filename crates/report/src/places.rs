//! Where each pod of a topology runs and which workload it belongs to — read from the
//! topology, never guessed from a pod's name.

use std::collections::BTreeMap;

use meshtwin_model::topology::Topology;

use crate::failover::Place;

/// Every pod's locality and Kubernetes cluster, for the failover shares.
pub fn pod_places(topo: &Topology) -> BTreeMap<String, Place> {
    topo.pods()
        .into_iter()
        .map(|p| {
            let l = &p.locality;
            let mut parts = vec![l.region.as_str(), l.zone.as_str(), l.subzone.as_str()];
            while parts.last() == Some(&"") {
                parts.pop();
            }
            let place = Place {
                locality: parts.join("/"),
                cluster: p.cluster.clone(),
            };
            (p.name, place)
        })
        .collect()
}

/// Every pod's workload (`reviews-v2-0` → `reviews-v2`).
pub fn pod_workloads(topo: &Topology) -> BTreeMap<String, String> {
    topo.pods()
        .into_iter()
        .map(|p| (p.name, p.workload))
        .collect()
}
