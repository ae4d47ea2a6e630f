//! Builds the simulated world from a topology, lowered policies and a scenario, runs it on the
//! virtual clock, and returns what happened.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::run::ProxyStats;
use meshtwin_model::scenario::Scenario;
use meshtwin_model::topology::{Locality, Pod, Topology};

use crate::clock::Clock;
use crate::loadgen::{spawn_load, LoadOutcome};
use crate::network::{HostId, Network, Substrate};
use crate::platform::Core;
use crate::pods::PodRuntime;
use crate::reach::reachable_pods;
use crate::recorder::{Recorder, RecorderObserver, DEFAULT_TRACE_CAP};
use crate::scheduler::run_until;
use crate::target::{app_call_targets, resolve_target};
use crate::timeline::TimelineState;
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

fn find_pod<'a>(pods: &'a [Pod], name: &str) -> Option<&'a Pod> {
    pods.iter()
        .find(|p| p.name == name)
        .or_else(|| pods.iter().find(|p| p.workload == name))
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
    let pods = topo.pods();
    let ips = pod_ips(&pods);
    let mut load_targets = Vec::new();
    for (i, spec) in scenario.loads.iter().enumerate() {
        let src = find_pod(&pods, &spec.from).ok_or_else(|| SimError::UnknownSource {
            index: i,
            from: spec.from.clone(),
        })?;
        let target = resolve_target(i, spec, src, (topo, &pods, &ips))?;
        load_targets.push((src.name.clone(), target));
    }
    // Only pods that can exchange a packet under some policy set of the run become hosts
    // (see `reach`).
    let by_name: BTreeMap<&str, &Pod> = pods.iter().map(|p| (p.name.as_str(), p)).collect();
    let mesh = (topo, pods.as_slice(), &ips);
    let mut live = BTreeSet::new();
    for set in std::iter::once(policies).chain(states.values()) {
        let cache = ClusterCache::default();
        let view = MeshView {
            topo,
            pods: &pods,
            ips: &ips,
            policies: set,
            cache: Some(&cache),
        };
        let (reached, _) = reachable_pods(
            |pod| by_name.get(pod).and_then(|p| xds::proxy_config(&view, p)),
            |pod| {
                by_name
                    .get(pod)
                    .map(|p| app_call_targets(p, mesh))
                    .unwrap_or_default()
            },
            &ips,
            &load_targets,
        );
        live.extend(reached);
    }
    let cache = ClusterCache::default();
    let view = MeshView {
        topo,
        pods: &pods,
        ips: &ips,
        policies,
        cache: Some(&cache),
    };
    let live_pods: Vec<&Pod> = pods.iter().filter(|p| live.contains(&p.name)).collect();
    let host_ips: Vec<IpAddr> = live_pods.iter().map(|p| IpAddr::V4(ips[&p.name])).collect();
    let locality: BTreeMap<IpAddr, (String, Locality)> = pods
        .iter()
        .map(|p| {
            (
                IpAddr::V4(ips[&p.name]),
                (p.name.clone(), p.locality.clone()),
            )
        })
        .collect();
    let latency = topo.latency;
    let live_ips: BTreeSet<IpAddr> = host_ips.iter().copied().collect();
    let clock = Rc::new(Clock::default());
    let (mut network, host_ids) = Network::new(
        substrate,
        clock.clone(),
        &host_ips,
        Box::new(move |a, b| {
            let (Some((_, la)), Some((pod_b, lb))) = (locality.get(&a), locality.get(&b)) else {
                return latency.same_zone;
            };
            assert!(
                live_ips.contains(&b),
                "bug: pod {pod_b} was left out of the network as unreachable, but a packet was sent to it"
            );
            latency.between(la, lb)
        }),
    );
    let hosts: BTreeMap<String, HostId> = live_pods
        .iter()
        .zip(host_ids)
        .map(|(p, id)| (p.name.clone(), id))
        .collect();
    network.seed_loss(crate::rng::stream(scenario.seed, "network/loss"));
    let core = Rc::new(Core::new(clock, &network));
    let recorder = Rc::new(Recorder::new(DEFAULT_TRACE_CAP));
    let observer: Rc<dyn meshtwin_proxy::observer::Observer> =
        Rc::new(RecorderObserver(recorder.clone()));
    let mut rt = PodRuntime::new(
        core.clone(),
        hosts,
        ips.clone(),
        observer.clone(),
        recorder.clone(),
        scenario.seed,
    );

    // Pods: proxies as the control plane configures them, apps (behind a sidecar on loopback).
    let mut pushed = BTreeMap::new();
    for pod in pods.iter().filter(|p| live.contains(&p.name)) {
        let cfg = xds::proxy_config(&view, pod);
        if let Some(c) = &cfg {
            pushed.insert(pod.name.clone(), c.clone());
        }
        rt.start(pod, cfg, app_call_targets(pod, mesh));
    }
    // Loads.
    let mut loads = Vec::new();
    for (spec, (src, target)) in scenario.loads.iter().zip(load_targets) {
        let outcome = Rc::new(RefCell::new(LoadOutcome::default()));
        spawn_load(
            spec.clone(),
            src.clone(),
            target,
            rt.platform(&src),
            recorder.clone(),
            outcome.clone(),
        );
        loads.push((spec.clone(), src, outcome));
    }

    let end = scenario.duration;
    let mut timeline = TimelineState::new(
        topo,
        &pods,
        &ips,
        scenario,
        states,
        policies.clone(),
        &live,
        pushed,
    );
    let calls_of = |p: &Pod| app_call_targets(p, mesh);
    while let Some((at, step)) = timeline.next_step() {
        if at > end {
            break;
        }
        run_until(&core, &mut network, at, || false);
        core.clock.advance_to(at.max(core.clock.now()));
        timeline.apply(at, step, &mut rt, &mut network, &calls_of);
    }
    run_until(&core, &mut network, end, || false);
    let proxy_stats = rt
        .proxies
        .iter()
        .map(|(n, p)| {
            let s = p.stats();
            let stats = ProxyStats {
                counters: s.counters,
                gauges: s.gauges,
                gauges_max: s.gauges_max,
            };
            (n.clone(), stats)
        })
        .collect();
    let engine = EngineStats {
        task_polls: core.exec.polls(),
        packets_delivered: network.delivered(),
        hosts: live.len() as u64,
    };
    let invariants = crate::invariants::context(&rt);
    drop(timeline);
    drop(rt);
    core.exec.shutdown();
    drop(network);
    let loads = loads
        .into_iter()
        .map(|(s, src, o)| (s, src, o.borrow().clone()))
        .collect();
    drop(observer);
    let recorder = Rc::try_unwrap(recorder)
        .unwrap_or_else(|_| panic!("all tasks are gone, so is every recorder handle"));
    let (events, dropped_events) = recorder.into_events();
    let mut result = RunResult {
        events,
        dropped_events,
        proxies: proxy_stats,
        loads,
        end,
        engine,
        violations: Vec::new(),
    };
    result.violations = crate::invariants::check(&result, &invariants);
    Ok(result)
}

/// Every proxy's configuration as the control plane builds it from `topo` and `policies` at
/// the start of a run, by pod name (what `meshtwin compare` diffs between two variants).
pub fn proxy_configs(
    topo: &Topology,
    policies: &MeshPolicies,
) -> BTreeMap<String, meshtwin_proxy::config::ProxyConfig> {
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
