//! Which workload each pod of the input belongs to.
//!
//! A pod belongs to the workload of its namespace whose selector matches its labels; when
//! several do, to the one its `ownerReferences` name (a StatefulSet or DaemonSet by name, a
//! Deployment through its ReplicaSet `<deployment>-<hash>`). A pod without an owner is a
//! workload of its own. Finished pods, pods not scheduled to a node, and pods of skipped
//! workloads are skipped.

use crate::catalog::{Catalog, Skipped};
use crate::objects::{KubePod, KubeWorkload, WorkloadKind};

/// Whether `w` claims `p` (same cluster and namespace, selector matches).
fn selects(w: &KubeWorkload, p: &KubePod) -> bool {
    if w.cluster != p.cluster || w.namespace != p.namespace {
        return false;
    }
    match w.kind {
        WorkloadKind::Pod => p.owner.is_none() && w.name == p.name,
        _ => !w.selector.is_empty() && w.selector.matches(&p.spec.labels),
    }
}

/// Whether the pod's owner reference names `w`.
fn owned_by(w: &KubeWorkload, p: &KubePod) -> bool {
    match (&p.owner, w.kind) {
        (Some((k, n)), WorkloadKind::Deployment) => {
            k == "ReplicaSet" && n.strip_prefix(&w.name).is_some_and(|r| r.starts_with('-'))
        }
        (Some((k, n)), kind) => k == kind.name() && *n == w.name,
        (None, _) => false,
    }
}

fn owner_index(workloads: &[KubeWorkload], p: &KubePod) -> Option<usize> {
    let candidates: Vec<usize> = (0..workloads.len())
        .filter(|&i| selects(&workloads[i], p))
        .collect();
    candidates
        .iter()
        .copied()
        .find(|&i| owned_by(&workloads[i], p))
        .or_else(|| candidates.first().copied())
}

/// The scheduled pods of every workload of `cat` (by index); skipped pods go to `skipped`.
pub fn assign<'a>(cat: &'a Catalog, skipped: &mut Vec<Skipped>) -> Vec<Vec<&'a KubePod>> {
    let mut out: Vec<Vec<&KubePod>> = vec![Vec::new(); cat.workloads.len()];
    for p in &cat.pods {
        let skip = |reason: String| Skipped {
            reason,
            object: format!("Pod {}/{}", p.namespace, p.name),
            origin: p.origin.clone(),
        };
        if let Some(phase) = p
            .phase
            .as_deref()
            .filter(|ph| matches!(*ph, "Succeeded" | "Failed"))
        {
            skipped.push(skip(format!("finished (phase {phase})")));
            continue;
        }
        let Some(i) = owner_index(&cat.workloads, p) else {
            let reason = match owner_index(&cat.skipped_workloads, p) {
                Some(j) => {
                    let w = &cat.skipped_workloads[j];
                    format!("a pod of {} {}, which is skipped", w.kind.name(), w.name)
                }
                None => match &p.owner {
                    Some((k, n)) => format!("its owner {k} {n} is not in the input"),
                    None => "no workload of the input selects it".into(),
                },
            };
            skipped.push(skip(reason));
            continue;
        };
        if p.node_name.is_none() {
            skipped.push(skip(format!(
                "not scheduled to a node (phase {})",
                p.phase.as_deref().unwrap_or("unknown")
            )));
            continue;
        }
        out[i].push(p);
    }
    out
}
