//! The catalog turned into the topology's shape: one topology workload per (Kubernetes
//! workload, zone) with a unique name, its sidecar and app port; the Services kept.
//!
//! Names: a workload running in one zone keeps its Kubernetes name; one spread over several
//! zones becomes `<name>-<zone>` per zone (a topology workload has one locality). Names still
//! equal across namespaces get `-<namespace>`, then across clusters `-<cluster>` (pods are
//! `<workload>-<i>` and must be unique in the topology). A Service in several clusters is
//! written once (the twin's services span clusters, as Istio merges a multi-cluster mesh's
//! endpoints); differing ports are a warning, the first cluster's are kept.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Skipped};
use crate::injection::{self, Decision, SidecarChoice};
use crate::objects::{KubePod, KubeWorkload, Node, Origin};
use crate::placement::{self, Placement, Zone};
use crate::ports::{self, PortPlan};
use crate::services::KubeService;

/// One workload of the topology.
#[derive(Debug, Clone)]
pub struct PlannedWorkload {
    pub name: String,
    pub namespace: String,
    pub cluster: String,
    pub zone: Zone,
    pub replicas: u32,
    pub labels: BTreeMap<String, String>,
    pub sidecar: Decision,
    /// App port and why; `None`: no app.
    pub app: Option<(u16, String)>,
    /// `Deployment bookinfo/reviews-v1` — what it was imported from.
    pub from: String,
    pub origin: Option<Origin>,
    /// The input's pods in this zone.
    pub pods: Vec<String>,
    /// How the zone was chosen.
    pub how: String,
    /// DNS names resolving to its pods (set for gateways the starter scenario enters by).
    pub dns: Vec<String>,
}

/// The topology to write.
#[derive(Debug)]
pub struct Plan<'a> {
    pub workloads: Vec<PlannedWorkload>,
    pub services: Vec<ports::PlannedService<'a>>,
}

/// What the user should know: warnings and skipped objects.
#[derive(Debug, Default)]
pub struct Report {
    pub warnings: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// Build the plan; `clusters` names the input's cluster sets.
pub fn build<'a>(
    cat: &'a Catalog,
    pods: &[Vec<&KubePod>],
    clusters: &[String],
    report: &mut Report,
) -> Plan<'a> {
    let mut placements: Vec<Placement> = Vec::new();
    let mut decisions: Vec<Decision> = Vec::new();
    for (i, w) in cat.workloads.iter().enumerate() {
        let nodes: Vec<&Node> = cat
            .nodes
            .iter()
            .filter(|((c, _), _)| *c == w.cluster)
            .map(|(_, n)| n)
            .collect();
        placements.push(placement::place(w, &pods[i], &nodes, &mut report.warnings));
        let ns = cat.namespaces.get(&(w.cluster, w.namespace.clone()));
        decisions.push(injection::decide(
            w,
            ns,
            &cat.appmesh,
            &pods[i],
            &mut report.warnings,
        ));
    }
    let has_app: Vec<bool> = decisions
        .iter()
        .map(|d| {
            !matches!(
                d.sidecar,
                SidecarChoice::IstioGateway | SidecarChoice::AppMeshGateway { .. }
            )
        })
        .collect();
    let running: Vec<bool> = placements
        .iter()
        .map(|p| p.zones.values().sum::<u32>() > 0)
        .collect();
    let services = unique_services(&cat.services, clusters, &mut report.warnings);
    let plan: PortPlan<'a> = ports::plan(
        &cat.workloads,
        &has_app,
        &running,
        &services,
        &mut report.warnings,
        &mut report.skipped,
    );
    let mut workloads = Vec::new();
    for (i, w) in cat.workloads.iter().enumerate() {
        split(
            w,
            &placements[i],
            &decisions[i],
            &plan.app_ports[i],
            clusters,
            &mut workloads,
        );
    }
    unique_names(&mut workloads);
    Plan {
        workloads,
        services: plan.services,
    }
}

/// One topology workload per zone of `w`'s placement.
fn split(
    w: &KubeWorkload,
    p: &Placement,
    sidecar: &Decision,
    app: &Option<(u16, String)>,
    clusters: &[String],
    out: &mut Vec<PlannedWorkload>,
) {
    let several = p.zones.len() > 1;
    for (zone, replicas) in &p.zones {
        out.push(PlannedWorkload {
            name: if several {
                format!("{}-{}", w.name, zone.1)
            } else {
                w.name.clone()
            },
            namespace: w.namespace.clone(),
            cluster: clusters[w.cluster].clone(),
            zone: zone.clone(),
            replicas: *replicas,
            labels: w.template.labels.clone(),
            sidecar: sidecar.clone(),
            app: app.clone(),
            from: format!("{} {}/{}", w.kind.name(), w.namespace, w.name),
            origin: Some(w.origin.clone()),
            pods: p.pods.get(zone).cloned().unwrap_or_default(),
            how: p.how.clone(),
            dns: Vec::new(),
        });
    }
}

/// Make every name unique: `-<namespace>`, then `-<cluster>` on names still shared.
pub fn unique_names(ws: &mut [PlannedWorkload]) {
    for suffix in [0, 1, 2] {
        let mut count: BTreeMap<String, u32> = BTreeMap::new();
        for w in ws.iter() {
            *count.entry(w.name.clone()).or_default() += 1;
        }
        for w in ws.iter_mut() {
            if count[&w.name] > 1 {
                match suffix {
                    0 => w.name = format!("{}-{}", w.name, w.namespace),
                    1 => w.name = format!("{}-{}", w.name, w.cluster),
                    _ => w.name = format!("{}-{}", w.name, w.zone.0),
                }
            }
        }
    }
}

/// One Service per name and namespace, the first cluster's.
fn unique_services<'a>(
    services: &'a [KubeService],
    clusters: &[String],
    warn: &mut Vec<String>,
) -> Vec<&'a KubeService> {
    let mut seen: BTreeMap<(&str, &str), &KubeService> = BTreeMap::new();
    let mut out = Vec::new();
    for s in services {
        match seen.get(&(s.namespace.as_str(), s.name.as_str())) {
            Some(first) => {
                if first.ports != s.ports {
                    warn.push(format!(
                        "Service {}/{}: its ports differ between clusters {} and {}: {}'s are kept",
                        s.namespace,
                        s.name,
                        clusters[first.cluster],
                        clusters[s.cluster],
                        clusters[first.cluster]
                    ));
                }
            }
            None => {
                seen.insert((s.namespace.as_str(), s.name.as_str()), s);
                out.push(s);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(name: &str, ns: &str, cluster: &str) -> PlannedWorkload {
        PlannedWorkload {
            name: name.into(),
            namespace: ns.into(),
            cluster: cluster.into(),
            zone: ("r".into(), "z".into()),
            replicas: 1,
            labels: BTreeMap::new(),
            sidecar: Decision {
                sidecar: SidecarChoice::None,
                why: String::new(),
            },
            app: None,
            from: String::new(),
            origin: None,
            pods: Vec::new(),
            how: String::new(),
            dns: Vec::new(),
        }
    }

    #[test]
    fn shared_names_take_the_namespace_then_the_cluster() {
        let mut ws = vec![
            planned("web", "a", "c1"),
            planned("web", "b", "c1"),
            planned("web", "b", "c2"),
            planned("db", "a", "c1"),
        ];
        unique_names(&mut ws);
        let names: Vec<&str> = ws.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["web-a", "web-b-c1", "web-b-c2", "db"]);
    }
}
