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

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use meshtwin_model::event::EventKind;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{Scenario, TimelineAction};
use meshtwin_model::topology::{Pod, Topology};
use meshtwin_proxy::config::ProxyConfig;

use crate::loadgen::LoadTarget;
use crate::network::{LinkRule, Network};
use crate::pods::PodRuntime;
use crate::rng;
use crate::xds::{self, ClusterCache, MeshView};

mod describe;
use describe::describe;

/// One thing to do at a virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Timeline entry `i`.
    Entry(usize),
    /// The control plane pushes its current state to every proxy.
    Push,
}

/// What the timeline changes while the world runs.
pub struct TimelineState<'a> {
    pub topo: &'a Topology,
    pub pods: &'a [Pod],
    pub ips: &'a BTreeMap<String, Ipv4Addr>,
    pub scenario: &'a Scenario,
    /// The policy set after each `apply` / `delete` entry.
    pub states: &'a BTreeMap<usize, MeshPolicies>,
    /// The policies the control plane has now.
    pub policies: MeshPolicies,
    /// Pods in endpoint sets (not scaled away).
    pub ready: BTreeSet<String>,
    /// Pods whose processes run.
    pub running: BTreeSet<String>,
    /// Pods that are network hosts.
    pub live: &'a BTreeSet<String>,
    /// What each proxy was last given.
    pub pushed: BTreeMap<String, ProxyConfig>,
    /// Agenda: (time, order) → step.
    agenda: BTreeMap<(Duration, u64), Step>,
    seq: u64,
    pushes: u64,
}

impl<'a> TimelineState<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        topo: &'a Topology,
        pods: &'a [Pod],
        ips: &'a BTreeMap<String, Ipv4Addr>,
        scenario: &'a Scenario,
        states: &'a BTreeMap<usize, MeshPolicies>,
        policies: MeshPolicies,
        live: &'a BTreeSet<String>,
        pushed: BTreeMap<String, ProxyConfig>,
    ) -> Self {
        let mut s = Self {
            topo,
            pods,
            ips,
            scenario,
            states,
            policies,
            ready: live.clone(),
            running: live.clone(),
            live,
            pushed,
            agenda: BTreeMap::new(),
            seq: 0,
            pushes: 0,
        };
        for (i, e) in scenario.timeline.iter().enumerate() {
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

    /// Carry out `step` at `now`.
    pub fn apply(
        &mut self,
        now: Duration,
        step: Step,
        rt: &mut PodRuntime,
        network: &mut Network,
        calls_of: &dyn Fn(&Pod) -> Vec<LoadTarget>,
    ) {
        let delay = self.scenario.control_plane.push_delay;
        let i = match step {
            Step::Push => return self.push(now, rt),
            Step::Entry(i) => i,
        };
        let action = self.scenario.timeline[i].action.clone();
        let (name, target, detail) = describe(&action);
        rt.observer.event(
            now,
            EventKind::Fault {
                index: i,
                action: name.into(),
                target,
                detail,
            },
        );
        match action {
            TimelineAction::Apply { .. } | TimelineAction::Delete { .. } => {
                if let Some(p) = self.states.get(&i) {
                    self.policies = p.clone();
                }
                self.schedule(now + delay, Step::Push);
            }
            TimelineAction::App {
                workload,
                error_rate,
                error_status,
                latency,
            } => {
                for p in self.pods.iter().filter(|p| p.workload == workload) {
                    if let Some(b) = rt.behaviours.get(&p.name) {
                        let mut b = b.borrow_mut();
                        if let Some(r) = error_rate {
                            b.error_rate = r;
                        }
                        if let Some(s) = error_status {
                            b.error_status = s;
                        }
                        if let Some(l) = latency {
                            b.latency = meshtwin_model::topology::LatencyDist::Fixed { value: l };
                        }
                    }
                }
            }
            TimelineAction::Scale { workload, replicas } => {
                let of: Vec<&Pod> = self
                    .pods
                    .iter()
                    .filter(|p| p.workload == workload)
                    .collect();
                for (k, p) in of.into_iter().enumerate() {
                    if (k as u32) < replicas {
                        self.ready.insert(p.name.clone());
                        self.start(p, rt, calls_of);
                    } else {
                        self.ready.remove(&p.name);
                        self.stop(&p.name, rt);
                    }
                }
                self.schedule(now + delay, Step::Push);
            }
            TimelineAction::Crash { pod } => {
                self.ready.remove(&pod);
                self.stop(&pod, rt);
                self.schedule(now + delay, Step::Push);
            }
            TimelineAction::Restart { pod } => {
                if let Some(p) = self.pods.iter().find(|p| p.name == pod) {
                    self.ready.insert(pod.clone());
                    self.start(p, rt, calls_of);
                    self.schedule(now + delay, Step::Push);
                }
            }
            TimelineAction::Partition { from, to, one_way } => {
                let a = self.side(&from);
                let b = self.side(&to);
                if !one_way {
                    network.block(b.clone(), a.clone());
                }
                network.block(a, b);
            }
            TimelineAction::Link {
                from,
                to,
                latency,
                loss,
                one_way,
            } => {
                let a = self.side(&from);
                let b = self.side(&to);
                if !one_way {
                    network.degrade(LinkRule {
                        from: b.clone(),
                        to: a.clone(),
                        extra: latency,
                        loss,
                    });
                }
                network.degrade(LinkRule {
                    from: a,
                    to: b,
                    extra: latency,
                    loss,
                });
            }
            TimelineAction::Heal => network.heal(),
        }
    }

    /// The IPs of the live pods a partition side names.
    fn side(&self, side: &str) -> BTreeSet<IpAddr> {
        self.pods
            .iter()
            .filter(|p| self.live.contains(&p.name))
            .filter(|p| {
                p.name == side
                    || p.workload == side
                    || p.cluster == side
                    || p.locality.region == side
                    || format!("{}/{}", p.locality.region, p.locality.zone) == side
            })
            .map(|p| IpAddr::V4(self.ips[&p.name]))
            .collect()
    }

    fn stop(&mut self, pod: &str, rt: &mut PodRuntime) {
        if self.live.contains(pod) && self.running.remove(pod) {
            rt.crash(pod);
        }
    }

    fn start(
        &mut self,
        pod: &Pod,
        rt: &mut PodRuntime,
        calls_of: &dyn Fn(&Pod) -> Vec<LoadTarget>,
    ) {
        if !self.live.contains(&pod.name) || !self.running.insert(pod.name.clone()) {
            return;
        }
        let cfg = self.config_for(pod, &self.ready_pods(), &ClusterCache::default());
        if let Some(c) = &cfg {
            self.pushed.insert(pod.name.clone(), c.clone());
        }
        rt.start(pod, cfg, calls_of(pod));
    }

    /// The pods endpoint sets list now: the ready ones (and those never made hosts, which
    /// the reachability analysis already left out of every route).
    fn ready_pods(&self) -> Vec<Pod> {
        self.pods
            .iter()
            .filter(|p| self.ready.contains(&p.name) || !self.live.contains(&p.name))
            .cloned()
            .collect()
    }

    /// What the control plane would give `pod` now, `ready` being [`Self::ready_pods`] and
    /// `cache` the clusters built so far in this push.
    fn config_for(&self, pod: &Pod, ready: &[Pod], cache: &ClusterCache) -> Option<ProxyConfig> {
        let view = MeshView {
            topo: self.topo,
            pods: ready,
            ips: self.ips,
            policies: &self.policies,
            cache: Some(cache),
        };
        xds::proxy_config(&view, pod)
    }

    /// Give every running proxy its current configuration, where it changed.
    fn push(&mut self, now: Duration, rt: &mut PodRuntime) {
        self.pushes += 1;
        let ready = self.ready_pods();
        let cache = ClusterCache::default();
        for pod in self.pods.iter().filter(|p| self.running.contains(&p.name)) {
            let Some(cfg) = self.config_for(pod, &ready, &cache) else {
                continue;
            };
            if self.pushed.get(&pod.name) == Some(&cfg) {
                continue;
            }
            let Some(proxy) = rt.proxies.get(&pod.name).cloned() else {
                continue;
            };
            rt.observer.event(
                now,
                EventKind::ConfigPush {
                    proxy: pod.name.clone(),
                    reason: "policies or endpoints changed".into(),
                },
            );
            let seed = rng::component_seed(
                self.scenario.seed,
                &format!("push/{}/{}", pod.name, self.pushes),
            );
            proxy.apply(cfg.clone(), seed);
            self.pushed.insert(pod.name.clone(), cfg);
        }
    }
}
