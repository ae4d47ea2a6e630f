//! A run's inputs checked against each other, in one place: the policies against the
//! topology, the scenario's loads and expectations against the topology, and the timeline
//! (see [`crate::timeline_check`]). `meshtwin validate`, `run`, `sweep`, `compare` and `test`
//! all go through [`RunInputs::check`], so what one accepts the others run.

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::release::MeshRelease;
use meshtwin_model::scenario::Scenario;
use meshtwin_model::topology::{Sidecar, Topology};

use crate::policies::load_policies_with;
use crate::{validate_against, ConfigError, ConfigWarning, Loaded};

/// Everything a run reads, loaded and checked.
#[derive(Debug, Clone)]
pub struct RunInputs {
    pub scenario: Scenario,
    pub topology: Topology,
    pub policies: MeshPolicies,
    /// The policy set after each timeline `apply` / `delete`, by timeline index.
    pub timeline_policies: BTreeMap<usize, MeshPolicies>,
    /// What the files say that the twin understands but does not model, each once.
    pub warnings: Vec<ConfigWarning>,
}

impl RunInputs {
    /// The inputs of `scenario` on `topology` as they were loaded: the release modelled is
    /// `release` over the scenario's `mesh:` over the topology's (each part set wins), and the
    /// scenario's Envoy switches go over the topology's; the scenario's policy files are
    /// lowered as that release reads them; then everything is checked. `warnings` are those of
    /// the scenario and topology files; the policy files' are added.
    pub fn load(
        scenario: Scenario,
        mut topology: Topology,
        release: &MeshRelease,
        mut warnings: Vec<ConfigWarning>,
    ) -> Result<Self, ConfigError> {
        topology.envoy = scenario.envoy.over(&topology.envoy);
        topology.mesh = release.over(&scenario.mesh.over(&topology.mesh));
        let policies = lower_files(&scenario.policies, &topology.mesh)?;
        warnings.extend(policies.warnings);
        Self::check(scenario, topology, policies.value, warnings)
    }

    /// Check `scenario`, its `topology` (release and Envoy switches already resolved) and its
    /// lowered `policies` against each other; the timeline's policy files add their warnings.
    pub fn check(
        scenario: Scenario,
        topology: Topology,
        policies: MeshPolicies,
        mut warnings: Vec<ConfigWarning>,
    ) -> Result<Self, ConfigError> {
        validate_against(&policies, &topology)?;
        check_scenario(&scenario, &topology)?;
        let timeline_policies =
            crate::timeline_check::check(&scenario, &topology, &policies, &mut warnings)?;
        let states: Vec<&MeshPolicies> = std::iter::once(&policies)
            .chain(timeline_policies.values())
            .collect();
        for s in &states {
            crate::appmesh::attachment::check(s, &mut warnings)?;
        }
        let pods = topology.pods();
        crate::target_check::check_loads(&scenario, &topology, &pods, &states)?;
        crate::expect_check::check_expectations(&scenario, &topology, &pods, &states)?;
        // A file applied again on the timeline warns once.
        let mut seen = std::collections::BTreeSet::new();
        warnings.retain(|w| seen.insert(w.to_string()));
        Ok(Self {
            scenario,
            topology,
            policies,
            timeline_policies,
            warnings,
        })
    }
}

/// The policy files, in order (a later resource replaces an earlier one of the same kind,
/// namespace and name, as `kubectl apply` does), lowered as `release` reads them.
pub fn lower_files(
    files: &[String],
    release: &MeshRelease,
) -> Result<Loaded<MeshPolicies>, ConfigError> {
    let compat = release.istio_compat();
    let mut policies = MeshPolicies::default();
    let mut warnings = Vec::new();
    for p in files {
        let loaded = load_policies_with(Path::new(p), &compat)?;
        warnings.extend(loaded.warnings);
        policies.extend(loaded.value);
    }
    Ok(Loaded {
        value: policies,
        warnings,
    })
}

/// A located error about a field of the scenario file itself.
pub fn scenario_error(file: &str, path: &str, message: String) -> ConfigError {
    let line = crate::source::load_documents(Path::new(file))
        .ok()
        .and_then(|docs| docs.first().map(|d| d.line_of(path)))
        .unwrap_or(1);
    ConfigError {
        file: file.to_string(),
        line,
        column: None,
        object: None,
        path: Some(path.to_string()),
        message,
    }
}

/// Cross-checks between the scenario's loads' sources and the topology.
fn check_scenario(sc: &Scenario, topo: &Topology) -> Result<(), ConfigError> {
    let pods = topo.pods();
    let find = |name: &str| pods.iter().find(|p| p.name == name || p.workload == name);
    for (i, l) in sc.loads.iter().enumerate() {
        let Some(pod) = find(&l.from) else {
            return Err(scenario_error(
                &sc.file,
                &format!("loads[{i}].from"),
                format!(
                    "no pod or workload named '{}' in topology {}{}",
                    l.from,
                    topo.name,
                    crate::expect_check::did_you_mean(
                        &l.from,
                        pods.iter()
                            .flat_map(|p| [p.workload.as_str(), p.name.as_str()])
                    )
                ),
            ));
        };
        // App Mesh's egress tcp_proxy is modelled; an Istio sidecar's outbound TCP is not.
        let tcp_egress = matches!(pod.sidecar, Sidecar::None | Sidecar::AppMesh { .. });
        if l.url.starts_with("tcp://") && !tcp_egress {
            return Err(scenario_error(
                &sc.file,
                &format!("loads[{i}].from"),
                format!(
                    "a tcp:// load runs from a pod without a sidecar (like `nc` outside the \
                     mesh) or from an App Mesh virtual node, but {} has an Istio or gateway \
                     proxy: opaque TCP from an Istio sidecar is not modelled yet",
                    pod.name
                ),
            ));
        }
    }
    Ok(())
}
