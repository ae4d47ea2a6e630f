//! The scenario's timeline checked against the topology and its policy files loaded: every
//! pod, workload and partition side must exist, scaling stays within the topology's replicas,
//! and the policy set after each `apply` / `delete` must itself be valid. Errors point at the
//! timeline entry's line.

use std::collections::BTreeMap;
use std::path::Path;

use crate::expect_check::did_you_mean;
use crate::policies::load_policies_with;
use crate::{validate_against, ConfigError, ConfigWarning};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{Scenario, TimelineAction, TimelineEvent};
use meshtwin_model::topology::{Pod, Topology};

fn error(sc: &Scenario, i: usize, e: &TimelineEvent, field: &str, message: String) -> ConfigError {
    ConfigError {
        file: sc.file.clone(),
        line: e.line,
        column: None,
        object: None,
        path: Some(format!("timeline[{i}].{field}")),
        message,
    }
}

fn workloads(topo: &Topology) -> impl Iterator<Item = &str> {
    topo.workloads.iter().map(|w| w.name.as_str())
}

/// Whether `side` names a pod, workload, Kubernetes cluster or `region[/zone]` of `topo`.
pub fn side_exists(topo: &Topology, side: &str) -> bool {
    let pods = topo.pods();
    pods.iter().any(|p| {
        p.name == side
            || p.workload == side
            || p.cluster == side
            || p.locality.region == side
            || format!("{}/{}", p.locality.region, p.locality.zone) == side
    })
}

/// Check the timeline and return the policy set in force after each `apply` / `delete`
/// entry (by timeline index), starting from `initial`; files are lowered as the release
/// modelled (`topo.mesh`) reads them, and their warnings are added to `warnings`.
pub fn check(
    sc: &Scenario,
    topo: &Topology,
    initial: &MeshPolicies,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<BTreeMap<usize, MeshPolicies>, ConfigError> {
    let pods = topo.pods();
    let mut states = BTreeMap::new();
    let mut current = initial.clone();
    for (i, e) in sc.timeline.iter().enumerate() {
        match &e.action {
            TimelineAction::Apply { policy } | TimelineAction::Delete { policy } => {
                let loaded =
                    load_policies_with(Path::new(&policy.path), &topo.mesh.istio_compat())?;
                warnings.extend(loaded.warnings);
                let loaded = loaded.value;
                if matches!(e.action, TimelineAction::Apply { .. }) {
                    current.extend(loaded);
                } else {
                    current.remove(&loaded);
                }
                validate_against(&current, topo)?;
                states.insert(i, current.clone());
            }
            action => {
                if let Err((field, message)) = check_target(topo, &pods, action) {
                    return Err(error(sc, i, e, &field, message));
                }
            }
        }
    }
    Ok(states)
}

/// The field and message of what is wrong with a timeline entry's target (a workload, pod or
/// partition side), if anything. Policy files are checked by [`check`].
fn check_target(
    topo: &Topology,
    pods: &[Pod],
    action: &TimelineAction,
) -> Result<(), (String, String)> {
    let fail = |field: &str, message: String| Err((field.to_string(), message));
    match action {
        TimelineAction::App { workload, .. } => {
            let w = topo.workloads.iter().find(|w| &w.name == workload);
            if w.is_none_or(|w| w.app.is_none()) {
                return fail(
                    "app.workload",
                    format!(
                        "no workload named '{workload}' with an app in topology {}{}",
                        topo.name,
                        did_you_mean(workload, workloads(topo))
                    ),
                );
            }
        }
        TimelineAction::Scale { workload, replicas } => {
            return check_scale(topo, workload, *replicas);
        }
        TimelineAction::Crash { pod } | TimelineAction::Restart { pod } => {
            if !pods.iter().any(|p| &p.name == pod) {
                let field = if matches!(action, TimelineAction::Crash { .. }) {
                    "crash"
                } else {
                    "restart"
                };
                return fail(
                    field,
                    format!(
                        "no pod named '{pod}' in topology {}{}",
                        topo.name,
                        did_you_mean(pod, pods.iter().map(|p| p.name.as_str()))
                    ),
                );
            }
        }
        TimelineAction::Partition { from, to, .. } | TimelineAction::Link { from, to, .. } => {
            let key = if matches!(action, TimelineAction::Link { .. }) {
                "link"
            } else {
                "partition"
            };
            for (field, side) in [(format!("{key}.from"), from), (format!("{key}.to"), to)] {
                if !side_exists(topo, side) {
                    return fail(
                        &field,
                        format!(
                            "'{side}' names no pod, workload, cluster or region[/zone] of \
                             topology {}{}",
                            topo.name,
                            did_you_mean(side, sides(pods).iter().map(String::as_str))
                        ),
                    );
                }
            }
        }
        TimelineAction::Apply { .. } | TimelineAction::Delete { .. } | TimelineAction::Heal => {}
    }
    Ok(())
}

/// A `scale` entry names a workload of the topology and at most its replicas.
fn check_scale(topo: &Topology, workload: &str, replicas: u32) -> Result<(), (String, String)> {
    let fail = |field: &str, message: String| Err((field.to_string(), message));
    let Some(w) = topo.workloads.iter().find(|w| w.name == workload) else {
        return fail(
            "scale.workload",
            format!(
                "no workload named '{workload}' in topology {}{}",
                topo.name,
                did_you_mean(workload, workloads(topo))
            ),
        );
    };
    if replicas > w.replicas {
        return fail(
            "scale.replicas",
            format!(
                "{replicas} is more than the topology's {} replica(s) of '{workload}': \
                 the twin can only scale down and back up",
                w.replicas
            ),
        );
    }
    Ok(())
}

/// Every name a partition side can be: pods, workloads, clusters, regions, `region/zone`s.
fn sides(pods: &[Pod]) -> Vec<String> {
    pods.iter()
        .flat_map(|p| {
            [
                p.name.clone(),
                p.workload.clone(),
                p.cluster.clone(),
                p.locality.region.clone(),
                format!("{}/{}", p.locality.region, p.locality.zone),
            ]
        })
        .collect()
}
