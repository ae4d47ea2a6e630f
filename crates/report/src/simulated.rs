//! `inputs.json`: what a run simulated, for reports and reviewers — the scenario, the topology
//! in brief, every policy file with the SHA-256 of its bytes (a reviewer can tell which
//! version of a file ran), the timeline as it was applied, and the Envoy switches. Paths are
//! as the scenario names them.

use meshtwin_model::event::{EventKind, FaultAction, TraceEvent};
use meshtwin_model::scenario::{Scenario, TimelineAction};
use meshtwin_model::topology::{
    EjectionTimeRule, EnvoyOverrides, ListenerBalance, MaxEjectionRule, Sidecar, Topology,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The whole of `inputs.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulated {
    pub scenario: String,
    /// The scenario file, as given to `meshtwin run` (`meshtwin explain` loads it again to
    /// explain one request).
    pub file: String,
    pub description: String,
    pub seed: u64,
    pub duration_ms: f64,
    pub topology: TopologyBrief,
    pub policies: Vec<PolicyFile>,
    /// Timeline entries as applied (from the trace's `fault` events).
    pub timeline: Vec<TimelineEntry>,
    /// The mesh release modelled (`Istio 1.23 (Envoy 1.31)`).
    pub mesh: String,
    /// Envoy switches set explicitly over the release's, as an `envoy:` block writes them
    /// (`listenerBalance: reusePort`); `none` when the release's Envoy decides everything.
    pub envoy: String,
}

/// The topology in brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopologyBrief {
    pub name: String,
    pub pods: u64,
    pub services: u64,
    pub workloads: Vec<WorkloadBrief>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadBrief {
    pub name: String,
    pub namespace: String,
    pub cluster: String,
    /// `region/zone`.
    pub locality: String,
    pub replicas: u32,
    /// `istio`, `istio-gateway`, `appmesh`, `appmesh-gateway` or `none`.
    pub proxy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyFile {
    pub file: String,
    /// SHA-256 of the file's bytes, hex; `None` when the file could not be read back.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at_ms: f64,
    pub action: FaultAction,
    pub target: String,
    pub detail: String,
}

fn proxy_kind(s: &Sidecar) -> &'static str {
    match s {
        Sidecar::None => "none",
        Sidecar::Istio { .. } => "istio",
        Sidecar::IstioGateway { .. } => "istio-gateway",
        Sidecar::AppMesh { .. } => "appmesh",
        Sidecar::AppMeshGateway { .. } => "appmesh-gateway",
    }
}

/// The switches `o` sets, spelled as a topology's or scenario's `envoy:` block writes them
/// (the spellings `crates/config/src/envoy.rs` reads): `listenerBalance: reusePort,
/// maxEjectionPercentRule: atLeastOne`; `none` when it sets none.
pub fn envoy_switches(o: &EnvoyOverrides) -> String {
    let mut parts = Vec::new();
    if let Some(b) = o.listener_balance {
        parts.push(match b {
            ListenerBalance::ReusePort => "listenerBalance: reusePort",
            ListenerBalance::SharedSocket => "listenerBalance: sharedSocket",
        });
    }
    if let Some(r) = o.max_ejection {
        parts.push(match r {
            MaxEjectionRule::Current => "maxEjectionPercentRule: current",
            MaxEjectionRule::FirstHostExempt => "maxEjectionPercentRule: firstHostExempt",
            MaxEjectionRule::AtLeastOne => "maxEjectionPercentRule: atLeastOne",
        });
    }
    if let Some(r) = o.ejection_time {
        parts.push(match r {
            EjectionTimeRule::Backoff => "ejectionTime: backoff",
            EjectionTimeRule::BackoffSweepDecay => "ejectionTime: backoffSweepDecay",
            EjectionTimeRule::Linear => "ejectionTime: linear",
        });
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl TimelineEntry {
    /// The entry of a fault the trace recorded.
    pub fn of(e: &TraceEvent) -> Option<Self> {
        match &e.kind {
            EventKind::Fault {
                action,
                target,
                detail,
                ..
            } => Some(TimelineEntry {
                at_ms: e.t_ms,
                action: *action,
                target: target.clone(),
                detail: detail.clone(),
            }),
            _ => None,
        }
    }
}

impl Simulated {
    /// What a run of `sc` on `topo` simulated, with the faults its trace recorded
    /// (`timeline`, [`TimelineEntry::of`] of each event); policy files are read again to hash
    /// them.
    pub fn build(sc: &Scenario, topo: &Topology, timeline: Vec<TimelineEntry>) -> Self {
        // The scenario's policy files, then those the timeline applies or deletes.
        let mut files: Vec<String> = sc.policies.clone();
        for t in &sc.timeline {
            if let TimelineAction::Apply { policy } | TimelineAction::Delete { policy } = &t.action
            {
                if !files.contains(&policy.path) {
                    files.push(policy.path.clone());
                }
            }
        }

        Simulated {
            scenario: sc.name.clone(),
            file: sc.file.clone(),
            description: sc.description.clone(),
            seed: sc.seed,
            duration_ms: sc.duration.as_micros() as f64 / 1000.0,
            topology: TopologyBrief {
                name: topo.name.clone(),
                pods: topo.pods().len() as u64,
                services: topo.services.len() as u64,
                workloads: topo
                    .workloads
                    .iter()
                    .map(|w| WorkloadBrief {
                        name: w.name.clone(),
                        namespace: w.namespace.clone(),
                        cluster: w.cluster.clone(),
                        locality: format!("{}/{}", w.locality.region, w.locality.zone),
                        replicas: w.replicas,
                        proxy: proxy_kind(&w.sidecar).into(),
                    })
                    .collect(),
            },
            policies: files
                .into_iter()
                .map(|file| PolicyFile {
                    sha256: std::fs::read(&file).ok().map(|b| sha256_hex(&b)),
                    file: crate::shown_path::shown(&file, &sc.file),
                })
                .collect(),
            timeline,
            mesh: topo.mesh.describe(),
            envoy: envoy_switches(&topo.envoy),
        }
    }

    /// `inputs.json`: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("inputs serialize");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envoy_switches_read_as_an_envoy_block_writes_them() {
        assert_eq!(envoy_switches(&EnvoyOverrides::default()), "none");
        let o = EnvoyOverrides {
            listener_balance: Some(ListenerBalance::ReusePort),
            max_ejection: Some(MaxEjectionRule::AtLeastOne),
            ejection_time: None,
        };
        assert_eq!(
            envoy_switches(&o),
            "listenerBalance: reusePort, maxEjectionPercentRule: atLeastOne"
        );
    }
}
