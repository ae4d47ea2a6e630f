//! A [`Variant`] applied to checked [`RunInputs`]: the inputs the variant's run reads,
//! checked again as a whole (a variant can make a valid scenario invalid).

use std::path::Path;

use meshtwin_model::topology::LatencyDist;
use meshtwin_model::variant::Variant;

use crate::policies::load_policies_with;
use crate::run_check::lower_files;
use crate::{ConfigError, RunInputs};

impl RunInputs {
    /// These inputs with `v` applied: its mesh release over the one modelled, its Envoy
    /// switches over the scenario's, the scenario's policy files lowered again as that release
    /// reads them with the variant's applied (then deleted) over them, its workload changes
    /// made to the topology and its timeline entries merged into the scenario's (by time, the
    /// scenario's first at equal times).
    pub fn with_variant(&self, v: &Variant) -> Result<RunInputs, ConfigError> {
        let mut scenario = self.scenario.clone();
        let mut topology = self.topology.clone();
        scenario.envoy = v.envoy.over(&scenario.envoy);
        topology.envoy = v.envoy.over(&topology.envoy);
        topology.mesh = v.mesh.over(&topology.mesh);
        let base = lower_files(&scenario.policies, &topology.mesh)?;
        let applied = lower_files(&v.apply, &topology.mesh)?;
        let mut warnings = self.warnings.clone();
        warnings.extend(base.warnings);
        warnings.extend(applied.warnings);
        let mut policies = base.value;
        policies.extend(applied.value);
        let compat = topology.mesh.istio_compat();
        for p in &v.delete {
            policies.remove(&load_policies_with(Path::new(p), &compat)?.value);
        }
        for (i, change) in v.workloads.iter().enumerate() {
            let error = |message: String| ConfigError {
                file: scenario.file.clone(),
                line: v.line,
                column: None,
                object: Some(format!("variant {}", v.name)),
                path: Some(format!("workloads[{i}].workload")),
                message,
            };
            let Some(w) = topology
                .workloads
                .iter_mut()
                .find(|w| w.name == change.workload)
            else {
                return Err(error(format!(
                    "no workload named '{}' in topology {}",
                    change.workload, topology.name
                )));
            };
            if let Some(r) = change.replicas {
                w.replicas = r;
            }
            let app_change = change.error_rate.is_some()
                || change.error_status.is_some()
                || change.latency.is_some();
            if app_change {
                let Some(app) = w.app.as_mut() else {
                    return Err(error(format!(
                        "workload '{}' runs no app whose behaviour could change",
                        change.workload
                    )));
                };
                if let Some(r) = change.error_rate {
                    app.error_rate = r;
                }
                if let Some(s) = change.error_status {
                    app.error_status = s;
                }
                if let Some(l) = change.latency {
                    app.latency = LatencyDist::Fixed { value: l };
                }
            }
        }
        scenario.timeline.extend(v.timeline.iter().cloned());
        scenario.timeline.sort_by_key(|e| e.at);
        RunInputs::check(scenario, topology, policies, warnings)
    }
}
