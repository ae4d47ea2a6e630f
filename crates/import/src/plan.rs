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
    /// What its app calls for each request it serves (from `--calls`; empty: a commented
    /// example is written).
    pub calls: Vec<crate::calls::ResolvedCall>,
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
    let services = without_skipped_backends(cat, services, &mut report.skipped);
    for s in services.iter().filter(|s| s.headless) {
        report.warnings.push(format!(
            "Service {}/{}: headless (clusterIP: None) — clients reach the pod they resolved; \
             the twin balances over its pods as for a ClusterIP Service",
            s.namespace, s.name
        ));
    }
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
            calls: Vec::new(),
        });
    }
}

/// Make every name unique: names shared by workloads of different namespaces take
/// `-<namespace>`; still shared across clusters, `-<cluster>`; then `-<region>`.
pub fn unique_names(ws: &mut [PlannedWorkload]) {
    type Attr = fn(&PlannedWorkload) -> &str;
    let attrs: [Attr; 3] = [|w| &w.namespace, |w| &w.cluster, |w| &w.zone.0];
    for attr in attrs {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, w) in ws.iter().enumerate() {
            groups.entry(w.name.clone()).or_default().push(i);
        }
        for members in groups.values().filter(|m| m.len() > 1) {
            let first = attr(&ws[members[0]]).to_string();
            if members.iter().all(|&i| attr(&ws[i]) == first) {
                continue;
            }
            for &i in members {
                ws[i].name = format!("{}-{}", ws[i].name, attr(&ws[i]));
            }
        }
    }
    // A suffixed name may meet a workload already called that: number the later ones.
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for w in ws.iter_mut() {
        let n = seen.entry(w.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            w.name = format!("{}-{n}", w.name);
        }
    }
}

/// Services that select only skipped workloads (a control plane's) are skipped too.
fn without_skipped_backends<'a>(
    cat: &Catalog,
    services: Vec<&'a KubeService>,
    skipped: &mut Vec<Skipped>,
) -> Vec<&'a KubeService> {
    let selects = |s: &KubeService, w: &KubeWorkload| {
        !s.selector.is_empty()
            && s.namespace == w.namespace
            && s.selector
                .iter()
                .all(|(k, v)| w.template.labels.get(k) == Some(v))
    };
    services
        .into_iter()
        .filter(|s| {
            if cat.workloads.iter().any(|w| selects(s, w)) {
                return true;
            }
            let Some(w) = cat.skipped_workloads.iter().find(|w| selects(s, w)) else {
                return true;
            };
            skipped.push(Skipped {
                reason: format!(
                    "selects only skipped workloads ({} {})",
                    w.kind.name(),
                    w.name
                ),
                object: format!("Service {}/{}", s.namespace, s.name),
                origin: s.origin.clone(),
            });
            false
        })
        .collect()
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
            calls: Vec::new(),
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
        let mut ws = vec![planned("web", "a", "c1"), planned("web", "a", "c2")];
        unique_names(&mut ws);
        assert_eq!(ws[0].name, "web-c1");
        assert_eq!(ws[1].name, "web-c2");
    }
}
