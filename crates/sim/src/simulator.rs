//! One run as a simulator: [`Simulator::init`] builds the network, starts every pod's proxy
//! and app and every load; [`Simulator::step`] runs the world to the next timeline step and
//! applies it; [`Simulator::finish`] runs to the scenario's end and collects what happened.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::rc::Rc;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::run::{EngineStats, LoadOutcome, ProxyStats, RunPlatform, RunResult};
use meshtwin_model::scenario::LoadSpec;

use crate::clock::Clock;
use crate::loadgen::{spawn_load, LoadTarget};
use crate::network::{HostId, Network, Substrate};
use crate::platform::Core;
use crate::pod_latency::PodLatency;
use crate::pods::{Hosts, PodRuntime, SimHosts};
use meshtwin_model::event::TraceLevel;

use crate::recorder::{Recorder, RecorderObserver, DEFAULT_TRACE_CAP};
use crate::rng;
use crate::scheduler::run_until;
use crate::timeline::Timeline;
use crate::world::{SimError, World};
use crate::xds::ClusterCache;

/// A load generator running in the world: its spec, its pod, what it has done so far.
pub(crate) type RunningLoad = (LoadSpec, String, Rc<RefCell<LoadOutcome>>);

/// The world while it runs.
pub struct Simulator<'w> {
    world: &'w World<'w>,
    core: Rc<Core>,
    network: Network,
    pods: PodRuntime,
    timeline: Timeline,
    loads: Vec<RunningLoad>,
    recorder: Rc<Recorder>,
    /// Pods simulated as network hosts.
    hosts: u64,
    /// Whether the run has reached the scenario's end.
    done: bool,
    /// The memory probe `MESHTWIN_RSS_LOG` asks for.
    rss_log: Option<crate::rss_log::RssLog>,
}

/// The scheduler's stop test: never stops; samples memory when `MESHTWIN_RSS_LOG` asks.
fn probe(log: &Option<crate::rss_log::RssLog>, core: &Core) -> bool {
    if let Some(log) = log {
        log.at(core.clock.now());
    }
    false
}

impl<'w> Simulator<'w> {
    /// Build `world` with `policies` as the control plane's first state: one host per pod
    /// that can exchange a packet, each pod's proxy and app, and every load, at time zero.
    pub fn init(
        substrate: Substrate,
        trace: TraceLevel,
        world: &'w World<'w>,
        policies: &MeshPolicies,
    ) -> Result<Self, SimError> {
        let recorder = Recorder::with_level(trace, DEFAULT_TRACE_CAP);
        Self::init_recorded(substrate, recorder, world, policies)
    }

    /// Like [`Simulator::init`], the trace going to `recorder` (e.g. one that streams it to a
    /// file: [`Recorder::streaming`]).
    pub fn init_recorded(
        substrate: Substrate,
        recorder: Recorder,
        world: &'w World<'w>,
        policies: &MeshPolicies,
    ) -> Result<Self, SimError> {
        let load_targets = world.load_targets()?;
        let (live, built) = world.live_pods(policies, &load_targets);
        let clock = Rc::new(Clock::default());
        let (mut network, hosts) = network(substrate, world, &live, clock.clone());
        network.seed_loss(rng::stream(world.scenario.seed, "network/loss"));
        let core = Rc::new(Core::new(clock, &network));
        let recorder = Rc::new(recorder);
        let mut pods = PodRuntime::new(
            SimHosts {
                core: core.clone(),
                hosts,
            },
            world.ips.clone(),
            Rc::new(RecorderObserver(recorder.clone())),
            recorder.clone(),
            world.scenario.seed,
        );
        let pushed = start_pods(world, policies, &live, built, &mut pods);
        let loads = start_loads(world, load_targets, &pods, &recorder);
        let timeline = Timeline::new(world, policies.clone(), &live, pushed);
        Ok(Self {
            world,
            core,
            network,
            pods,
            timeline,
            loads,
            recorder,
            hosts: live.len() as u64,
            done: false,
            rss_log: crate::rss_log::RssLog::from_env(),
        })
    }

    /// Run until the next timeline step and carry it out, or, when none is left before the
    /// scenario's end, run until the end. `false` once the end is reached.
    pub fn step(&mut self) -> bool {
        if self.done {
            return false;
        }
        let end = self.world.scenario.duration;
        match self.timeline.next_step() {
            Some((at, step)) if at <= end => {
                let (log, core) = (&self.rss_log, &self.core);
                run_until(&self.core, &mut self.network, at, || probe(log, core));
                self.core.clock.advance_to(at.max(self.core.clock.now()));
                self.timeline.apply(
                    self.world,
                    at,
                    step,
                    &mut self.pods,
                    Some(&mut self.network),
                );
                true
            }
            _ => {
                let (log, core) = (&self.rss_log, &self.core);
                run_until(&self.core, &mut self.network, end, || probe(log, core));
                if let Some(log) = &self.rss_log {
                    log.sample(end);
                }
                self.done = true;
                false
            }
        }
    }

    /// Run to the scenario's end (if [`Self::step`] has not) and collect the trace, every
    /// proxy's stats and each load's outcome; every task of the world is gone afterwards.
    pub fn finish(mut self) -> RunResult {
        while self.step() {}
        let proxies = proxy_stats(&self.pods);
        let engine = EngineStats {
            task_polls: self.core.exec.polls(),
            packets_delivered: self.network.delivered(),
            hosts: self.hosts,
        };
        let Self {
            world,
            core,
            network,
            pods,
            timeline,
            loads,
            recorder,
            ..
        } = self;
        let invariants = crate::invariants::context(&pods);
        drop(timeline);
        drop(pods);
        core.exec.shutdown();
        drop(network);
        let loads = loads
            .into_iter()
            .map(|(s, src, o)| (s, src, o.borrow().clone()))
            .collect();
        let recorder = Rc::try_unwrap(recorder)
            .unwrap_or_else(|_| panic!("all tasks are gone, so is every recorder handle"));
        let trace_level = recorder.level();
        let trace = recorder.into_trace();
        let mut result = RunResult {
            platform: RunPlatform::Twin,
            events: trace.events,
            streamed: trace.streamed,
            dropped_events: trace.dropped,
            trace_level,
            proxies,
            loads,
            end: world.scenario.duration,
            engine,
            violations: Vec::new(),
        };
        result.violations = crate::invariants::check(&result, &invariants);
        result
    }
}

/// Each started proxy's stats now, by pod (the latest incarnation's).
pub(crate) fn proxy_stats<H: Hosts>(pods: &PodRuntime<H>) -> BTreeMap<String, ProxyStats> {
    (pods.proxies.iter())
        .map(|(n, p)| {
            let s = p.stats();
            let stats = ProxyStats {
                counters: s.counters,
                gauges: s.gauges,
                gauges_max: s.gauges_max,
            };
            (n.clone(), stats)
        })
        .collect()
}

/// The network of the `live` pods' hosts on `substrate`, latency by the pods' localities.
fn network(
    substrate: Substrate,
    world: &World,
    live: &BTreeSet<String>,
    clock: Rc<Clock>,
) -> (Network, BTreeMap<String, HostId>) {
    let live_pods: Vec<&str> = world
        .pods
        .iter()
        .filter(|p| live.contains(&p.name))
        .map(|p| p.name.as_str())
        .collect();
    let host_ips: Vec<IpAddr> = live_pods.iter().map(|p| world.ip(p)).collect();
    let latency = PodLatency::new(
        world.topo.latency,
        (world.pods.iter()).map(|p| {
            let live = live.contains(&p.name);
            (p.name.as_str(), world.ip(&p.name), &p.locality, live)
        }),
    );
    let (network, host_ids) = Network::new(
        substrate,
        clock,
        &host_ips,
        Box::new(move |a, b| latency.between(a, b)),
    );
    let hosts = live_pods
        .into_iter()
        .zip(host_ids)
        .map(|(p, id)| (p.to_string(), id))
        .collect();
    (network, hosts)
}

/// Start every live pod's proxy (as the control plane configures it under `policies`; `built`:
/// configurations already built under them) and app; returns what each proxy was given.
pub(crate) fn start_pods<H: Hosts>(
    world: &World,
    policies: &MeshPolicies,
    live: &BTreeSet<String>,
    mut built: BTreeMap<String, meshtwin_proxy::config::ProxyConfig>,
    pods: &mut PodRuntime<H>,
) -> BTreeMap<String, meshtwin_proxy::config::ProxyConfig> {
    let cache = ClusterCache::default();
    let mut pushed = BTreeMap::new();
    for pod in world.pods.iter().filter(|p| live.contains(&p.name)) {
        let cfg = (built.remove(&pod.name))
            .or_else(|| world.proxy_config(pod, &world.pods, policies, &cache));
        if let Some(c) = &cfg {
            pushed.insert(pod.name.clone(), c.clone());
        }
        pods.start(pod, cfg, world.calls_of(pod));
    }
    pushed
}

/// Start every load generator in its source pod.
pub(crate) fn start_loads<H: Hosts>(
    world: &World,
    targets: Vec<(String, LoadTarget)>,
    pods: &PodRuntime<H>,
    recorder: &Rc<Recorder>,
) -> Vec<RunningLoad> {
    let mut loads = Vec::new();
    for (spec, (src, target)) in world.scenario.loads.iter().zip(targets) {
        let outcome = Rc::new(RefCell::new(LoadOutcome::default()));
        spawn_load(
            spec.clone(),
            src.clone(),
            target,
            pods.platform(&src),
            recorder.clone(),
            outcome.clone(),
        );
        loads.push((spec.clone(), src, outcome));
    }
    loads
}
