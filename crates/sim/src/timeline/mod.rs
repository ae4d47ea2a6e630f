//! The scenario's timeline inside the run: faults and changes applied at their virtual time,
//! and the control plane's pushes that follow them (`controlPlane.pushDelay` later). Each
//! applied entry is traced as a `fault` event, each push that changes a proxy's configuration
//! as a `config_push` event.
//!
//! - `apply` / `delete`: the policy set changes; every proxy gets its new configuration at
//!   the push.
//! - `scale` down: the pods beyond N stop at once (as deleted pods: sockets reset) and leave
//!   every endpoint set at the push; `scale` up restarts them and they rejoin at the push.
//! - `crash` / `restart`: the pod's processes die (sockets reset, nothing listens) / start
//!   again. A container that exits makes its pod not ready at once, so it leaves the endpoint
//!   sets at the push and rejoins at the push after the restart; until then clients see
//!   resets and refused connections. (A node that silently disappears is a `partition`.)
//! - `app`: the workload's apps change behaviour at once.
//! - `partition` / `heal`: packets between the two sides are dropped / flow again.
//! - `link`: packets between the two sides get extra latency and a loss probability (a lost
//!   packet arrives one retransmission timeout late, see `network::LinkRule`).
//!
//! Modules: [`pods`] (each pod's state), [`sides`] (partition and link sides resolved to
//! hosts), `describe` (how an entry reads in the trace).

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::event::EventKind;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::TimelineAction;
use meshtwin_model::topology::{LatencyDist, Pod, Service};
use meshtwin_proxy::config::ProxyConfig;

use crate::network::{LinkRule, Network};
use crate::pods::{Hosts, PodRuntime};
use crate::rng;
use crate::world::World;
use crate::xds::ClusterCache;

mod describe;
pub mod pods;
pub mod sides;

use describe::describe;
use pods::{PodState, PodStates};
use sides::Sides;

/// One thing to do at a virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Timeline entry `i`.
    Entry(usize),
    /// The control plane pushes its current state to every proxy.
    Push,
}

/// What the timeline changes while the world runs.
pub struct Timeline {
    /// The policies the control plane has now.
    policies: MeshPolicies,
    /// Each pod's state.
    pods: PodStates,
    /// The sides of each `partition` / `link` entry, by timeline index.
    sides: BTreeMap<usize, Sides>,
    /// What each proxy was last given.
    pushed: BTreeMap<String, ProxyConfig>,
    /// Pods that stopped or started since the last push (their services' endpoints changed).
    moved: BTreeSet<String>,
    /// Whether the policy set changed since the last push (then every proxy is rebuilt).
    policies_changed: bool,
    /// Agenda: (time, order) → step.
    agenda: BTreeMap<(Duration, u64), Step>,
    seq: u64,
    pushes: u64,
}

impl Timeline {
    /// The timeline of `world`: the control plane starts with `policies`, the `live` pods
    /// (the network's hosts) running, each proxy with its `pushed` configuration.
    pub fn new(
        world: &World,
        policies: MeshPolicies,
        live: &BTreeSet<String>,
        pushed: BTreeMap<String, ProxyConfig>,
    ) -> Self {
        let mut s = Self {
            policies,
            pods: PodStates::new(&world.pods, live),
            sides: sides::resolve(world, live),
            pushed,
            moved: BTreeSet::new(),
            policies_changed: false,
            agenda: BTreeMap::new(),
            seq: 0,
            pushes: 0,
        };
        for (i, e) in world.scenario.timeline.iter().enumerate() {
            s.schedule(e.at, Step::Entry(i));
        }
        s
    }

    fn schedule(&mut self, at: Duration, step: Step) {
        self.seq += 1;
        self.agenda.insert((at, self.seq), step);
    }

    /// The next step and its time.
    pub fn next_step(&mut self) -> Option<(Duration, Step)> {
        self.agenda.pop_first().map(|((t, _), s)| (t, s))
    }

    /// Carry out `step` at `now`. Without a `network` (real sockets: `run --real`), a
    /// `partition`, `link` or `heal` entry is skipped, untraced (the caller warns of it, see
    /// [`needs_network`]).
    pub fn apply<H: Hosts>(
        &mut self,
        world: &World,
        now: Duration,
        step: Step,
        rt: &mut PodRuntime<H>,
        network: Option<&mut Network>,
    ) {
        let i = match step {
            Step::Push => return self.push(world, now, rt),
            Step::Entry(i) => i,
        };
        let action = &world.scenario.timeline[i].action;
        if network.is_none() && needs_network(action) {
            return;
        }
        let (name, target, detail) = describe(action);
        rt.observer.event(
            now,
            EventKind::Fault {
                index: i,
                action: name,
                target,
                detail,
            },
        );
        let push = match action {
            TimelineAction::Apply { .. } | TimelineAction::Delete { .. } => {
                if let Some(p) = world.states.get(&i) {
                    self.policies = p.clone();
                }
                self.policies_changed = true;
                true
            }
            TimelineAction::App { .. } => {
                change_apps(world, action, rt);
                false
            }
            TimelineAction::Scale { workload, replicas } => {
                self.scale(world, workload, *replicas, rt);
                true
            }
            TimelineAction::Crash { pod } => {
                self.stop(pod, rt);
                true
            }
            TimelineAction::Restart { pod } => match world.pod(pod) {
                Some(p) => {
                    self.start(world, p, rt);
                    true
                }
                None => false,
            },
            TimelineAction::Partition { .. } | TimelineAction::Link { .. } => {
                if let Some(network) = network {
                    self.cut(i, action, network);
                }
                false
            }
            TimelineAction::Heal => {
                if let Some(network) = network {
                    network.heal();
                }
                false
            }
        };
        if push {
            self.schedule(now + world.scenario.control_plane.push_delay, Step::Push);
        }
    }

    /// Scale `workload` to `replicas`: its first `replicas` pods run, the others stop.
    fn scale<H: Hosts>(
        &mut self,
        world: &World,
        workload: &str,
        replicas: u32,
        rt: &mut PodRuntime<H>,
    ) {
        let of = world.pods.iter().filter(|p| p.workload == workload);
        for (k, p) in of.enumerate() {
            if (k as u32) < replicas {
                self.start(world, p, rt);
            } else {
                self.stop(&p.name, rt);
            }
        }
    }

    /// Drop (`partition`) or degrade (`link`) the packets between entry `i`'s sides.
    fn cut(&self, i: usize, action: &TimelineAction, network: &mut Network) {
        let Sides { from: a, to: b } = self.sides[&i].clone();
        match *action {
            TimelineAction::Partition { one_way, .. } => {
                if !one_way {
                    network.block(b.clone(), a.clone());
                }
                network.block(a, b);
            }
            TimelineAction::Link {
                latency,
                loss,
                one_way,
                ..
            } => {
                let rule = |from, to| LinkRule {
                    from,
                    to,
                    extra: latency,
                    loss,
                };
                if !one_way {
                    network.degrade(rule(b.clone(), a.clone()));
                }
                network.degrade(rule(a, b));
            }
            _ => unreachable!("only partition and link entries cut the network"),
        }
    }

    /// Kill `pod`'s processes and take it out of the endpoint sets (at the next push).
    fn stop<H: Hosts>(&mut self, pod: &str, rt: &mut PodRuntime<H>) {
        if self.pods.set(pod, PodState::Stopped) == Some(PodState::Running) {
            self.moved.insert(pod.to_string());
            rt.crash(pod);
        }
    }

    /// Start a stopped `pod` again, configured as the control plane would now, and put it
    /// back into the endpoint sets (at the next push).
    fn start<H: Hosts>(&mut self, world: &World, pod: &Pod, rt: &mut PodRuntime<H>) {
        if self.pods.set(&pod.name, PodState::Running) != Some(PodState::Stopped) {
            return;
        }
        self.moved.insert(pod.name.clone());
        let endpoints = self.pods.endpoints(&world.pods);
        let cfg = world.proxy_config(pod, &endpoints, &self.policies, &ClusterCache::default());
        if let Some(c) = &cfg {
            self.pushed.insert(pod.name.clone(), c.clone());
        }
        rt.start(pod, cfg, world.calls_of(pod));
    }

    /// Give every running proxy its current configuration, where it changed. When only
    /// endpoints changed, each proxy's clusters of the services whose endpoints changed are
    /// rebuilt over its last configuration (Istio's EDS-only push) instead of the whole
    /// configuration; both give the same configuration (see `xds::endpoint_update`).
    fn push<H: Hosts>(&mut self, world: &World, now: Duration, rt: &mut PodRuntime<H>) {
        self.pushes += 1;
        let endpoints = self.pods.endpoints(&world.pods);
        let cache = ClusterCache::default();
        let moved = self.moved_services(world);
        for pod in world.pods.iter().filter(|p| self.pods.running(&p.name)) {
            let Some(proxy) = rt.proxies.get(&pod.name).cloned() else {
                continue;
            };
            let eds = match (&moved, self.pushed.get_mut(&pod.name)) {
                (Some(services), Some(pushed)) => {
                    world.endpoint_update(pod, &endpoints, &self.policies, &cache, services, pushed)
                }
                _ => None,
            };
            #[cfg(debug_assertions)]
            if eds.is_some() {
                // The EDS-only update must be exactly the full rebuild (tests run debug).
                let full = world.proxy_config(pod, &endpoints, &self.policies, &cache);
                assert_eq!(
                    full.as_ref(),
                    self.pushed.get(&pod.name),
                    "EDS push of {}",
                    pod.name
                );
            }
            match eds {
                Some(false) => continue,
                Some(true) => {}
                None => {
                    let Some(cfg) = world.proxy_config(pod, &endpoints, &self.policies, &cache)
                    else {
                        continue;
                    };
                    if self.pushed.get(&pod.name) == Some(&cfg) {
                        continue;
                    }
                    self.pushed.insert(pod.name.clone(), cfg);
                }
            }
            rt.observer.event(
                now,
                EventKind::ConfigPush {
                    proxy: pod.name.clone(),
                    reason: "policies or endpoints changed".into(),
                },
            );
            let seed = rng::component_seed(
                world.scenario.seed,
                &format!("push/{}/{}", pod.name, self.pushes),
            );
            proxy.apply(&rt.for_hosts(&self.pushed[&pod.name]), seed);
        }
        self.moved.clear();
        self.policies_changed = false;
    }

    /// The services whose endpoints the pods that moved since the last push belong to;
    /// `None` when the policies changed too (every proxy is then rebuilt whole).
    fn moved_services<'w>(&self, world: &'w World) -> Option<Vec<&'w Service>> {
        if self.policies_changed {
            return None;
        }
        let moved: Vec<Pod> = (world.pods.iter())
            .filter(|p| self.moved.contains(&p.name))
            .cloned()
            .collect();
        Some(
            (world.topo.services.iter())
                .filter(|s| !world.topo.endpoints_of(s, &moved).is_empty())
                .collect(),
        )
    }
}

/// Whether carrying out `action` needs the simulated network (packets dropped or delayed
/// between pods), which real loopback sockets do not offer.
pub fn needs_network(action: &TimelineAction) -> bool {
    matches!(
        action,
        TimelineAction::Partition { .. } | TimelineAction::Link { .. } | TimelineAction::Heal
    )
}

/// An `app` entry: the workload's apps change behaviour at once.
fn change_apps<H: Hosts>(world: &World, action: &TimelineAction, rt: &PodRuntime<H>) {
    let TimelineAction::App {
        workload,
        error_rate,
        error_status,
        latency,
    } = action
    else {
        return;
    };
    for p in world.pods.iter().filter(|p| &p.workload == workload) {
        if let Some(b) = rt.behaviours.get(&p.name) {
            let mut shared = b.borrow_mut();
            let b = Rc::make_mut(&mut shared);
            if let Some(r) = error_rate {
                b.error_rate = *r;
            }
            if let Some(s) = error_status {
                b.error_status = *s;
            }
            if let Some(l) = latency {
                b.latency = LatencyDist::Fixed { value: *l };
            }
        }
    }
}
