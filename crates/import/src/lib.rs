//! `meshtwin import kubernetes`: a cluster's manifests — `kubectl get … -o yaml` output,
//! multi-document YAML, `kind: List`, JSON — turned into the twin's three inputs:
//!
//! - `topology.yaml`: regions and zones from the nodes' labels, workloads from Deployments,
//!   StatefulSets and DaemonSets (and pods no controller owns) placed where their pods run,
//!   each with its labels, the sidecar the injection rules give it and its app port; the
//!   Services with their ports and selectors. What manifests cannot tell (service times,
//!   error rates, the calls apps make) is a documented default marked `# EDIT`.
//! - `policies/<namespace>.yaml`: the mesh resources found (Istio `DestinationRule`,
//!   `VirtualService`, `Gateway`, `ServiceEntry`; App Mesh CRDs; Tetrate `Gateway`) as written.
//! - `scenario.yaml`: one load per entry point and the expectation that nothing fails.
//!
//! Everything left out is reported: skipped objects with their reason, and warnings for what
//! was read but cannot be carried over exactly. Input the import cannot read is a located
//! [`ConfigError`]; the files are checked with the real loaders before they are returned.
//!
//! Calls between services can be given as a small file ([`calls`]) or learned from sidecar
//! access logs ([`access_log`]).
//!
//! Modules: [`kube`] (lenient located reading of Kubernetes objects), [`objects`] and
//! [`services`] (the objects read), [`catalog`] (documents sorted by kind), [`assign`] (pods
//! → workloads), [`placement`] (zones), [`injection`] (sidecars), [`ports`] (app and Service
//! ports), [`plan`] (topology workloads and names), [`entry`] (entry points → loads; App Mesh gateways: `entry_appmesh`),
//! [`yaml`] (text), [`write_topology`], [`write_policies`], [`write_scenario`], [`check`]
//! (the files read back).
#![forbid(unsafe_code)]

pub mod access_log;
pub mod assign;
pub mod calls;
pub mod catalog;
pub mod check;
pub mod entry;
mod entry_appmesh;
pub mod injection;
pub mod kube;
pub mod objects;
pub mod placement;
pub mod plan;
pub mod ports;
pub mod services;
pub mod write_policies;
pub mod write_scenario;
pub mod write_topology;
pub mod yaml;

use std::collections::BTreeMap;

use meshtwin_config::source;
pub use meshtwin_config::ConfigError;

use catalog::{Catalog, Skipped};
use plan::Report;

/// One input file: its name as the user gave it (`-` is read as `<stdin>`) and its text.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub text: String,
}

/// The files of one Kubernetes cluster.
#[derive(Debug, Clone)]
pub struct ClusterInput {
    pub cluster: String,
    pub files: Vec<InputFile>,
}

/// The import's result: files to write (paths relative to the output directory), and what
/// the user should know.
#[derive(Debug, Clone)]
pub struct Imported {
    pub files: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// One line per written file: what is in it.
    pub summary: Vec<String>,
}

/// Import `clusters` into a mesh named `name`; `out` is the output directory as the user
/// named it (file names in the read-back check).
pub fn import_kubernetes(
    clusters: &[ClusterInput],
    name: &str,
    out: &str,
) -> Result<Imported, ConfigError> {
    import_kubernetes_with_calls(clusters, CallSources::default(), name, out)
}

/// Where the calls between services come from: a calls file ([`calls`]) and sidecar access
/// logs, each of one workload ([`access_log`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct CallSources<'a> {
    pub file: Option<&'a InputFile>,
    /// `(workload, its sidecar's access log)`.
    pub access_logs: &'a [(String, InputFile)],
}

/// [`import_kubernetes`] with the calls between services from `calls_from`, written into the
/// calling workloads' apps.
pub fn import_kubernetes_with_calls(
    clusters: &[ClusterInput],
    calls_from: CallSources<'_>,
    name: &str,
    out: &str,
) -> Result<Imported, ConfigError> {
    let mut edges = calls_from
        .file
        .map(calls::parse_calls)
        .transpose()?
        .unwrap_or_default();
    for (workload, log) in calls_from.access_logs {
        edges.extend(access_log::learn_calls(workload, log)?);
    }
    let mut cat = Catalog::default();
    for (i, c) in clusters.iter().enumerate() {
        for f in &c.files {
            for doc in source::parse_documents(&f.name, &f.text)? {
                cat.add(&doc, i)?;
            }
        }
    }
    if cat.workloads.is_empty() {
        let first = clusters.iter().flat_map(|c| &c.files).next();
        return Err(ConfigError::file(
            first.map_or("<input>", |f| f.name.as_str()),
            1,
            "no Deployment, StatefulSet, DaemonSet or Pod outside the system namespaces: \
             nothing to import (try `kubectl get deploy,sts,ds,svc,pods,nodes,ns -A -o yaml`)",
        ));
    }
    let names: Vec<String> = clusters.iter().map(|c| c.cluster.clone()).collect();
    let mut report = Report {
        warnings: Vec::new(),
        skipped: cat.skipped.clone(),
    };
    for kind in write_policies::unread_kinds(&cat.mesh) {
        report.warnings.push(format!(
            "{kind}: written to the policy files as found, but not modelled by the twin yet"
        ));
    }
    let pods = assign::assign(&cat, &mut report.skipped);
    let mut plan = plan::build(&cat, &pods, &names, &mut report);
    for (i, calls) in calls::resolve(&edges, &plan)? {
        plan.workloads[i].calls = calls;
    }
    let mesh_docs: Vec<_> = cat.mesh.iter().map(|m| m.doc.clone()).collect();
    let lowered = meshtwin_config::policies::lower_policy_documents(&mesh_docs)?;
    report
        .warnings
        .extend(lowered.warnings.iter().map(|w| w.to_string()));
    let policies = lowered.value;
    let meshed = |ns: &str| {
        cat.namespaces
            .iter()
            .any(|((_, n), labels)| n == ns && injection::namespace_injects_istio(labels))
    };
    let entries = entry::entries(&mut plan, &policies, &meshed);
    let policy_files = write_policies::policy_files(&cat.mesh, &cat.namespaces);
    let topology = write_topology::topology_text(name, &sources(clusters), &plan, &names);
    let policy_names: Vec<String> = policy_files.iter().map(|(n, _)| n.clone()).collect();
    let scenario = write_scenario::scenario_text(name, &policy_names, &entries);
    let mut files = vec![("topology.yaml".to_string(), topology)];
    files.extend(policy_files);
    files.push(("scenario.yaml".to_string(), scenario));
    check::read_back(out, &files, &policies)?;
    report.skipped.sort();
    let summary = summary(&plan, &policy_names, &entries);
    Ok(Imported {
        files,
        warnings: report.warnings,
        skipped: report.skipped,
        summary,
    })
}

/// `a.yaml, b.yaml` or `cluster east: a.yaml; cluster west: b.yaml`.
fn sources(clusters: &[ClusterInput]) -> String {
    let list = |c: &ClusterInput| {
        c.files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match clusters {
        [one] => format!("{} (cluster {})", list(one), one.cluster),
        many => many
            .iter()
            .map(|c| format!("cluster {}: {}", c.cluster, list(c)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn summary(plan: &plan::Plan<'_>, policies: &[String], e: &entry::Entries) -> Vec<String> {
    let pods: u32 = plan.workloads.iter().map(|w| w.replicas).sum();
    let zones: BTreeMap<_, ()> = plan
        .workloads
        .iter()
        .map(|w| (w.zone.clone(), ()))
        .collect();
    let mut out = vec![format!(
        "topology.yaml: {} workloads ({pods} pods) in {} zone(s), {} services",
        plan.workloads.len(),
        zones.len(),
        plan.services.len()
    )];
    out.extend(policies.iter().map(|p| format!("{p}: mesh resources")));
    out.push(format!(
        "scenario.yaml: {} load(s), one per entry point",
        e.loads.len()
    ));
    out
}
