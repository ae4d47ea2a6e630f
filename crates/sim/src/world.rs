//! The fixed inputs of one run ([`World`]: topology, its pods and their addresses, the
//! scenario, the timeline's policy sets) and the entry points that run a scenario on them
//! through a [`Simulator`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use meshtwin_model::event::TraceLevel;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::Scenario;
use meshtwin_model::topology::{Pod, Service, Topology};
use meshtwin_proxy::config::ProxyConfig;

use crate::loadgen::LoadTarget;
use crate::network::Substrate;
use crate::reach::reachable_pods;
use crate::recorder::{Recorder, DEFAULT_TRACE_CAP};
use crate::simulator::Simulator;
use crate::target::{app_call_targets, resolve_target};
use crate::xds::{self, ClusterCache, MeshView};

/// A scenario the world cannot be built from (input the validators could not see alone).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("loads[{index}].from: no pod or workload named '{from}' in the topology")]
    UnknownSource { index: usize, from: String },
    #[error("loads[{index}].url: {message}")]
    BadUrl { index: usize, message: String },
}

pub use meshtwin_model::run::{EngineStats, RunResult};

/// Pod IPs: 10.0.0.1, 10.0.0.2, ... in pod order.
fn pod_ips(pods: &[Pod]) -> BTreeMap<String, Ipv4Addr> {
    pods.iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), Ipv4Addr::from(0x0A00_0001u32 + i as u32)))
        .collect()
}

/// What a run never changes: the topology's pods and their addresses, the scenario, and the
/// policy set after each timeline `apply` / `delete` entry (by timeline index).
pub struct World<'a> {
    pub topo: &'a Topology,
    pub pods: Vec<Pod>,
    pub ips: BTreeMap<String, Ipv4Addr>,
    pub scenario: &'a Scenario,
    pub states: &'a BTreeMap<usize, MeshPolicies>,
}

impl<'a> World<'a> {
    pub fn new(
        topo: &'a Topology,
        scenario: &'a Scenario,
        states: &'a BTreeMap<usize, MeshPolicies>,
    ) -> Self {
        let pods = topo.pods();
        let ips = pod_ips(&pods);
        Self {
            topo,
            pods,
            ips,
            scenario,
            states,
        }
    }

    /// The pod named `name`, or the first pod of the workload `name`.
    fn find_pod(&self, name: &str) -> Option<&Pod> {
        let pods = &self.pods;
        pods.iter()
            .find(|p| p.name == name)
            .or_else(|| pods.iter().find(|p| p.workload == name))
    }

    /// The pod named `name`.
    pub fn pod(&self, name: &str) -> Option<&Pod> {
        self.pods.iter().find(|p| p.name == name)
    }

    /// The address of pod `name` (every pod has one).
    pub fn ip(&self, name: &str) -> IpAddr {
        IpAddr::V4(self.ips[name])
    }

    /// Where each of `pod`'s app calls leads.
    pub fn calls_of(&self, pod: &Pod) -> Vec<LoadTarget> {
        app_call_targets(pod, (self.topo, &self.pods, &self.ips))
    }

    /// What the control plane gives `pod` under `policies` with `endpoints` in the endpoint
    /// sets (`cache`: the clusters built so far in this push).
    pub fn proxy_config(
        &self,
        pod: &Pod,
        endpoints: &[Pod],
        policies: &MeshPolicies,
        cache: &ClusterCache,
    ) -> Option<ProxyConfig> {
        xds::proxy_config(&self.view(endpoints, policies, cache), pod)
    }

    /// The control plane's view of the mesh with `endpoints` as its pods, under `policies`.
    fn view<'v>(
        &'v self,
        endpoints: &'v [Pod],
        policies: &'v MeshPolicies,
        cache: &'v ClusterCache,
    ) -> MeshView<'v> {
        MeshView {
            topo: self.topo,
            pods: endpoints,
            ips: &self.ips,
            policies,
            cache: Some(cache),
        }
    }

    /// The endpoint-only update of `pod`'s last configuration `pushed` for `services` (see
    /// [`xds::endpoint_update`]): whether a cluster changed, `None` when only a full
    /// [`World::proxy_config`] gives the right result.
    pub fn endpoint_update(
        &self,
        pod: &Pod,
        endpoints: &[Pod],
        policies: &MeshPolicies,
        cache: &ClusterCache,
        services: &[&Service],
        pushed: &mut ProxyConfig,
    ) -> Option<bool> {
        xds::endpoint_update(
            &self.view(endpoints, policies, cache),
            pod,
            services,
            pushed,
        )
    }

    /// Each load's source pod and where its URL leads, in load order.
    pub fn load_targets(&self) -> Result<Vec<(String, LoadTarget)>, SimError> {
        let mesh = (self.topo, self.pods.as_slice(), &self.ips);
        let mut targets = Vec::new();
        for (i, spec) in self.scenario.loads.iter().enumerate() {
            let src = self
                .find_pod(&spec.from)
                .ok_or_else(|| SimError::UnknownSource {
                    index: i,
                    from: spec.from.clone(),
                })?;
            let target = resolve_target(i, spec, src, mesh)?;
            targets.push((src.name.clone(), target));
        }
        Ok(targets)
    }

    /// The pods that can exchange a packet under some policy set of the run (`policies` at
    /// the start, then each timeline state): only they become network hosts (see `reach`).
    /// Also the configurations the walk built under `policies` (the reached pods'), so the
    /// start does not build them again.
    pub fn live_pods(
        &self,
        policies: &MeshPolicies,
        loads: &[(String, LoadTarget)],
    ) -> (BTreeSet<String>, BTreeMap<String, ProxyConfig>) {
        let by_name: BTreeMap<&str, &Pod> =
            self.pods.iter().map(|p| (p.name.as_str(), p)).collect();
        let mut live = BTreeSet::new();
        let mut first = None;
        for set in std::iter::once(policies).chain(self.states.values()) {
            let cache = ClusterCache::default();
            let (reached, configs) = reachable_pods(
                |pod| {
                    let p = by_name.get(pod)?;
                    self.proxy_config(p, &self.pods, set, &cache)
                },
                |pod| {
                    by_name
                        .get(pod)
                        .map(|p| self.calls_of(p))
                        .unwrap_or_default()
                },
                &self.ips,
                loads,
            );
            live.extend(reached);
            first.get_or_insert(configs);
        }
        (live, first.unwrap_or_default())
    }
}

/// Run `scenario` on `topo` with `policies` until `scenario.duration` of virtual time (a
/// timeline's `apply` / `delete` entries need [`run_with_timeline`]).
pub fn run(
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
) -> Result<RunResult, SimError> {
    run_with_timeline(topo, policies, scenario, &BTreeMap::new())
}

/// Like [`run`]; `states` is the policy set after each timeline `apply` / `delete` entry (by
/// timeline index).
pub fn run_with_timeline(
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
    states: &BTreeMap<usize, MeshPolicies>,
) -> Result<RunResult, SimError> {
    run_on(Substrate::default(), topo, policies, scenario, states)
}

/// Like [`run_with_timeline`], with the pods' hosts on `substrate`.
pub fn run_on(
    substrate: Substrate,
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
    states: &BTreeMap<usize, MeshPolicies>,
) -> Result<RunResult, SimError> {
    run_traced(
        substrate,
        TraceLevel::Full,
        topo,
        policies,
        scenario,
        states,
    )
}

/// Like [`run_on`], keeping the trace `trace` keeps.
pub fn run_traced(
    substrate: Substrate,
    trace: TraceLevel,
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
    states: &BTreeMap<usize, MeshPolicies>,
) -> Result<RunResult, SimError> {
    let recorder = Recorder::with_level(trace, DEFAULT_TRACE_CAP);
    run_recorded(substrate, recorder, topo, policies, scenario, states)
}

/// Like [`run_on`], the trace going to `recorder` (a full trace streamed to its file:
/// [`Recorder::streaming`]; the result's trace is then that file, read back).
pub fn run_recorded(
    substrate: Substrate,
    recorder: Recorder,
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
    states: &BTreeMap<usize, MeshPolicies>,
) -> Result<RunResult, SimError> {
    let world = World::new(topo, scenario, states);
    let mut sim = Simulator::init_recorded(substrate, recorder, &world, policies)?;
    while sim.step() {}
    Ok(sim.finish())
}

/// Every proxy's configuration as the control plane builds it from `topo` and `policies` at
/// the start of a run, by pod name (what `meshtwin compare` diffs between two variants).
pub fn proxy_configs(topo: &Topology, policies: &MeshPolicies) -> BTreeMap<String, ProxyConfig> {
    let pods = topo.pods();
    let ips = pod_ips(&pods);
    let cache = ClusterCache::default();
    let view = MeshView {
        topo,
        pods: &pods,
        ips: &ips,
        policies,
        cache: Some(&cache),
    };
    pods.iter()
        .filter_map(|p| Some((p.name.clone(), xds::proxy_config(&view, p)?)))
        .collect()
}
