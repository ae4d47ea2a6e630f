//! Builds the simulated world from a topology, lowered policies and a scenario, runs it on the
//! virtual clock, and returns what happened.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::event::TraceEvent;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{LoadSpec, Scenario};
use meshtwin_model::topology::{Locality, Pod, Sidecar, Topology};
use meshtwin_proxy::stats::StatsSnapshot;
use meshtwin_proxy::Proxy;
use turmoil_net::{HostId, Net};

use crate::app::{spawn_app, App};
use crate::app_call::Resolver;
use crate::clock::Clock;
use crate::executor::Executor;
use crate::loadgen::{spawn_load, LoadOutcome};
use crate::network::{kernel_config, Network};
use crate::platform::{Core, SimPlatform};
use crate::reach::reachable_pods;
use crate::recorder::{Recorder, RecorderObserver, DEFAULT_TRACE_CAP};
use crate::rng;
use crate::scheduler::run_until;
use crate::target::{app_call_targets, resolve_target};
use crate::tcp_echo::{spawn_tcp_echo, TcpEcho};
use crate::xds::{self, MeshView};
use tokio::sync::Semaphore;

/// A scenario the world cannot be built from (input the validators could not see alone).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("loads[{index}].from: no pod or workload named '{from}' in the topology")]
    UnknownSource { index: usize, from: String },
    #[error("loads[{index}].url: {message}")]
    BadUrl { index: usize, message: String },
}

/// Counters of the engine itself, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub task_polls: u64,
    pub packets_delivered: u64,
    pub hosts: u64,
}

/// Everything a run produced.
pub struct RunResult {
    pub events: Vec<TraceEvent>,
    pub dropped_events: u64,
    pub proxies: BTreeMap<String, StatsSnapshot>,
    pub loads: Vec<(LoadSpec, String, LoadOutcome)>,
    pub end: Duration,
    pub engine: EngineStats,
}

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

/// Run `scenario` on `topo` with `policies` until `scenario.duration` of virtual time.
pub fn run(
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
) -> Result<RunResult, SimError> {
    let pods = topo.pods();
    let ips = pod_ips(&pods);
    let view = MeshView {
        topo,
        pods: &pods,
        ips: &ips,
        policies,
    };
    let mut load_targets = Vec::new();
    for (i, spec) in scenario.loads.iter().enumerate() {
        let src = find_pod(&pods, &spec.from).ok_or_else(|| SimError::UnknownSource {
            index: i,
            from: spec.from.clone(),
        })?;
        let target = resolve_target(i, spec, src, (topo, &pods, &ips))?;
        load_targets.push((src.name.clone(), target));
    }
    // Only pods that can exchange a packet become hosts (see `reach`).
    let by_name: BTreeMap<&str, &Pod> = pods.iter().map(|p| (p.name.as_str(), p)).collect();
    let mesh = (topo, pods.as_slice(), &ips);
    let (live, configs) = reachable_pods(
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
    let mut net = Net::with_config(kernel_config());
    let hosts: BTreeMap<String, HostId> = pods
        .iter()
        .filter(|p| live.contains(&p.name))
        .map(|p| (p.name.clone(), net.add_host(IpAddr::V4(ips[&p.name]))))
        .collect();
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
    let live_ips: BTreeSet<IpAddr> = live.iter().map(|p| IpAddr::V4(ips[p])).collect();
    let mut network = Network::new(
        net,
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
    let core = Rc::new(Core {
        exec: Executor::new(),
        clock: Rc::new(Clock::default()),
    });
    let platform = |pod: &str| SimPlatform {
        core: core.clone(),
        host: hosts[pod],
    };
    let recorder = Rc::new(Recorder::new(DEFAULT_TRACE_CAP));
    let observer: Rc<dyn meshtwin_proxy::observer::Observer> =
        Rc::new(RecorderObserver(recorder.clone()));

    // Proxies, as the control plane configures them.
    let mut proxies = BTreeMap::new();
    for (pod, cfg) in configs {
        let seed = rng::component_seed(scenario.seed, &format!("proxy/{pod}"));
        let proxy = Proxy::new(cfg, platform(&pod), observer.clone(), seed);
        let p = proxy.clone();
        platform(&pod).core.exec.spawn(
            hosts[&pod],
            Box::pin(async move {
                p.start()
                    .await
                    .expect("the control plane never assigns one address twice");
            }),
        );
        proxies.insert(pod, proxy);
    }
    // Apps: behind a sidecar they listen on loopback only.
    for pod in pods.iter().filter(|p| live.contains(&p.name)) {
        if let Some(app) = &pod.app {
            let ip = match pod.sidecar {
                Sidecar::None => IpAddr::V4(ips[&pod.name]),
                _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
            };
            let rng = rng::stream(scenario.seed, &format!("app/{}", pod.name));
            if let Some(prefix) = &app.tcp_echo {
                let rec = recorder.clone();
                spawn_tcp_echo(
                    TcpEcho {
                        platform: platform(&pod.name),
                        pod: pod.name.clone(),
                        prefix: prefix.clone(),
                        behaviour: app.clone(),
                        rng: RefCell::new(rng),
                        served: Rc::new(move |line: &str, pod: &str| rec.note_served(line, pod)),
                    },
                    SocketAddr::new(ip, app.port),
                );
                continue;
            }
            let targets = app_call_targets(pod, mesh);
            let calls: BTreeMap<(String, u16), (SocketAddr, String)> = app
                .calls
                .iter()
                .zip(&targets)
                .map(|(c, t)| {
                    (
                        (c.host.clone(), c.port),
                        (t.connect[0], t.authority.clone()),
                    )
                })
                .collect();
            let resolver: Resolver =
                Rc::new(move |host: &str, port: u16| calls.get(&(host.to_string(), port)).cloned());
            spawn_app(
                App {
                    platform: platform(&pod.name),
                    pod: pod.name.clone(),
                    behaviour: app.clone(),
                    rng: RefCell::new(rng),
                    workers: Semaphore::new(
                        app.concurrency
                            .map(|c| c as usize)
                            .unwrap_or(Semaphore::MAX_PERMITS),
                    ),
                    resolver,
                    observer: observer.clone(),
                },
                SocketAddr::new(ip, app.port),
            );
        }
    }
    // Loads.
    let mut loads = Vec::new();
    for (spec, (src, target)) in scenario.loads.iter().zip(load_targets) {
        let outcome = Rc::new(RefCell::new(LoadOutcome::default()));
        spawn_load(
            spec.clone(),
            src.clone(),
            target,
            platform(&src),
            recorder.clone(),
            outcome.clone(),
        );
        loads.push((spec.clone(), src, outcome));
    }

    let end = scenario.duration;
    run_until(&core, &mut network, end, || false);
    let proxy_stats = proxies
        .iter()
        .map(|(n, p)| (n.clone(), p.stats()))
        .collect();
    let engine = EngineStats {
        task_polls: core.exec.polls(),
        packets_delivered: network.delivered(),
        hosts: live.len() as u64,
    };
    drop(proxies);
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
    Ok(RunResult {
        events,
        dropped_events,
        proxies: proxy_stats,
        loads,
        end,
        engine,
    })
}
