//! The port each workload's app listens on, and the Service ports the topology keeps.
//!
//! The twin's app listens on one port. It is the target port the Services selecting the
//! workload send to most (ties: the lowest), else the first port its containers declare
//! (`istio-proxy` aside), else the workload runs no server (a client such as `sleep`).
//! Named target ports resolve through the selected pods' container ports. Service ports the
//! twin cannot carry are left out with a warning: UDP and SCTP ports, names no container
//! declares, and target ports no selected app listens on. A Service with no port left, an
//! `ExternalName` Service and a Service without a selector (its endpoints are written by hand
//! or by another controller) are skipped.

use std::collections::BTreeMap;

use crate::catalog::Skipped;
use crate::kube::PortRef;
use crate::objects::KubeWorkload;
use crate::services::{KubeService, KubeServicePort};

/// A Service as the topology writes it.
#[derive(Debug, Clone)]
pub struct PlannedService<'a> {
    pub service: &'a KubeService,
    /// Kept ports with their numeric target port.
    pub ports: Vec<(&'a KubeServicePort, u16)>,
}

/// The ports of the import.
#[derive(Debug, Default)]
pub struct PortPlan<'a> {
    /// Per workload (by index): the app's port and why, `None` for no app.
    pub app_ports: Vec<Option<(u16, String)>>,
    pub services: Vec<PlannedService<'a>>,
}

fn selected(s: &KubeService, w: &KubeWorkload) -> bool {
    s.namespace == w.namespace
        && s.selector
            .iter()
            .all(|(k, v)| w.template.labels.get(k) == Some(v))
}

/// The number a target port means for workload `w`.
fn resolve(target: &PortRef, w: &KubeWorkload) -> Option<u16> {
    match target {
        PortRef::Number(n) => Some(*n),
        PortRef::Name(name) => w
            .template
            .containers
            .iter()
            .flat_map(|c| &c.ports)
            .find(|(n, _)| n.as_deref() == Some(name.as_str()))
            .map(|(_, p)| *p),
    }
}

/// Plan ports for `workloads` (`has_app[i]`: false for gateway pods; `running[i]`: it has
/// replicas) and `services` (already one per name and namespace).
pub fn plan<'a>(
    workloads: &[KubeWorkload],
    has_app: &[bool],
    running: &[bool],
    services: &[&'a KubeService],
    warn: &mut Vec<String>,
    skipped: &mut Vec<Skipped>,
) -> PortPlan<'a> {
    let mut plan = PortPlan::default();
    let mut wanted: Vec<BTreeMap<u16, u32>> = vec![BTreeMap::new(); workloads.len()];
    let mut usable: Vec<&'a KubeService> = Vec::new();
    for &s in services {
        let skip = |reason: &str| Skipped {
            reason: reason.into(),
            object: format!("Service {}/{}", s.namespace, s.name),
            origin: s.origin.clone(),
        };
        if s.service_type == "ExternalName" {
            skipped.push(skip("ExternalName: a DNS alias, not modelled"));
            continue;
        }
        if s.selector.is_empty() {
            skipped.push(skip(
                "no selector: its endpoints are written by hand or by another controller",
            ));
            continue;
        }
        usable.push(s);
        for p in s.ports.iter().filter(|p| p.transport == "TCP") {
            for (i, w) in workloads.iter().enumerate() {
                if has_app[i] && selected(s, w) {
                    if let Some(n) = resolve(&p.target, w) {
                        *wanted[i].entry(n).or_default() += 1;
                    }
                }
            }
        }
    }
    for (i, w) in workloads.iter().enumerate() {
        plan.app_ports.push(if has_app[i] {
            app_port(w, &wanted[i])
        } else {
            None
        });
    }
    for s in usable {
        if let Some(p) = plan_service(s, workloads, running, &plan.app_ports, warn) {
            plan.services.push(p);
        } else {
            skipped.push(Skipped {
                reason: "none of its ports can be carried (see the warnings)".into(),
                object: format!("Service {}/{}", s.namespace, s.name),
                origin: s.origin.clone(),
            });
        }
    }
    plan
}

fn app_port(w: &KubeWorkload, wanted: &BTreeMap<u16, u32>) -> Option<(u16, String)> {
    if let Some((port, _)) = wanted.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
        return Some((*port, "the target port of the Services selecting it".into()));
    }
    w.template
        .containers
        .iter()
        .filter(|c| c.name != "istio-proxy")
        .flat_map(|c| &c.ports)
        .next()
        .map(|(_, p)| {
            (
                *p,
                "its first container port (no Service selects it)".into(),
            )
        })
}

fn plan_service<'a>(
    s: &'a KubeService,
    workloads: &[KubeWorkload],
    running: &[bool],
    app_ports: &[Option<(u16, String)>],
    warn: &mut Vec<String>,
) -> Option<PlannedService<'a>> {
    let chosen: Vec<usize> = (0..workloads.len())
        .filter(|&i| selected(s, &workloads[i]))
        .collect();
    let mut ports = Vec::new();
    for p in &s.ports {
        let label = format!("Service {}/{} port {}", s.namespace, s.name, p.port);
        if p.transport != "TCP" {
            warn.push(format!(
                "{label}: {} is not modelled, left out",
                p.transport
            ));
            continue;
        }
        let resolved: Vec<(usize, u16)> = chosen
            .iter()
            .filter_map(|&i| resolve(&p.target, &workloads[i]).map(|n| (i, n)))
            .collect();
        let target = match (&p.target, resolved.first()) {
            (PortRef::Number(n), _) => *n,
            (PortRef::Name(_), Some((_, n))) => *n,
            (PortRef::Name(name), None) => {
                if !chosen.is_empty() {
                    warn.push(format!(
                        "{label}: no selected container declares a port named {name:?}, left out"
                    ));
                }
                continue;
            }
        };
        // The topology checks target ports against the apps of running pods.
        let apps: Vec<(usize, u16)> = chosen
            .iter()
            .filter(|&&i| running[i])
            .filter_map(|&i| app_ports[i].as_ref().map(|(a, _)| (i, *a)))
            .collect();
        if !apps.is_empty() && !apps.iter().any(|(_, a)| *a == target) {
            let listening: Vec<String> = apps
                .iter()
                .map(|(i, a)| format!("{} on {a}", workloads[*i].name))
                .collect();
            warn.push(format!(
                "{label} → {target}: the twin's apps listen on one port each and no selected \
                 app listens on {target} ({}), left out",
                listening.join(", ")
            ));
            continue;
        }
        ports.push((p, target));
    }
    (!ports.is_empty()).then_some(PlannedService { service: s, ports })
}
