//! A named what-if change to a scenario, for `meshtwin compare`: policy files applied on top
//! of the scenario's (or deleted, with kubectl's semantics), a mesh release, Envoy switches,
//! workload changes
//! (replicas, app behaviour) and extra timeline entries. Everything a variant does not name
//! stays as the scenario has it, so two variants run on the same seed differ only where the
//! change reaches.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::release::MeshRelease;
use crate::scenario::TimelineEvent;
use crate::topology::EnvoyOverrides;

/// One variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    pub description: String,
    /// Policy files applied after the scenario's (`kubectl apply -f`): a resource with the
    /// same kind, namespace and name replaces the scenario's, others are added.
    pub apply: Vec<String>,
    /// Policy files whose resources are removed (`kubectl delete -f`).
    pub delete: Vec<String>,
    /// The mesh release over the one the scenario models (an upgrade rehearsal).
    #[serde(default)]
    pub mesh: MeshRelease,
    /// Envoy switches over the scenario's.
    pub envoy: EnvoyOverrides,
    /// Changes to workloads of the topology.
    pub workloads: Vec<WorkloadChange>,
    /// Timeline entries added to the scenario's.
    pub timeline: Vec<TimelineEvent>,
    /// 1-based line of the variant in its file (0 for one made on the command line).
    pub line: u32,
}

/// A workload as the variant has it (unset parts unchanged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadChange {
    pub workload: String,
    pub replicas: Option<u32>,
    pub error_rate: Option<f64>,
    pub error_status: Option<u16>,
    /// A fixed service time replacing the app's distribution.
    #[serde(with = "crate::duration::opt_ms")]
    pub latency: Option<Duration>,
}

impl Variant {
    /// Whether the variant changes nothing.
    pub fn is_empty(&self) -> bool {
        self.apply.is_empty()
            && self.delete.is_empty()
            && self.mesh == MeshRelease::default()
            && self.envoy == EnvoyOverrides::default()
            && self.workloads.is_empty()
            && self.timeline.is_empty()
    }

    /// What the variant changes, one phrase per change (for headers and reports).
    pub fn changes(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.apply.iter().map(|p| format!("apply {p}")));
        out.extend(self.delete.iter().map(|p| format!("delete {p}")));
        if self.mesh != MeshRelease::default() {
            out.push(format!("mesh release {}", self.mesh.describe()));
        }
        if self.envoy != EnvoyOverrides::default() {
            out.push(format!("envoy {:?}", self.envoy));
        }
        for w in &self.workloads {
            let mut parts = Vec::new();
            if let Some(r) = w.replicas {
                parts.push(format!("replicas {r}"));
            }
            if let Some(r) = w.error_rate {
                parts.push(format!("error rate {r}"));
            }
            if let Some(s) = w.error_status {
                parts.push(format!("error status {s}"));
            }
            if let Some(l) = w.latency {
                parts.push(format!("latency {} ms", l.as_secs_f64() * 1000.0));
            }
            out.push(format!("workload {}: {}", w.workload, parts.join(", ")));
        }
        if !self.timeline.is_empty() {
            out.push(format!("{} timeline entr(ies) added", self.timeline.len()));
        }
        out
    }
}
