//! One worker's load balancer for one cluster (Envoy's `ZoneAwareLoadBalancerBase` +
//! `EdfLoadBalancerBase`, `source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase`): choose a priority from the priority load, use all hosts if
//! that priority is in panic, else (optionally) a locality, else its healthy or degraded list;
//! then the policy's picker. Host selection retries honour the `previous_hosts` predicate.

use meshtwin_model::policy::LbPolicy;
use rand::RngCore;

use super::config::{LbConfig, Pick, PickContext};
use super::host::{group, Entry, Health, Host, HostId, HostSet, LocalityWeights};
use super::least_request::{ActiveRequests, LeastRequest};
use super::locality_wrr::LocalityWrr;
use super::priority::{plan, Level, PriorityLoad, DEFAULT_OVERPROVISIONING_FACTOR};
use super::random;
use super::round_robin::RoundRobin;
use super::source::{Source, SourceType};

#[derive(Debug, Clone)]
enum Picker {
    RoundRobin(RoundRobin),
    LeastRequest(LeastRequest),
    Random,
}

/// One worker's load balancer.
#[derive(Debug, Clone)]
pub struct LoadBalancer {
    cfg: LbConfig,
    hosts: Vec<Host>,
    weights: LocalityWeights,
    sets: Vec<HostSet>,
    load: PriorityLoad,
    picker: Picker,
    localities: Vec<LocalityWrr>,
    lb_healthy_panic: u64,
}

impl LoadBalancer {
    /// A load balancer over `hosts` (in a stable order). Draws the worker's seed from `rng`.
    pub fn new<R: RngCore + ?Sized>(
        cfg: LbConfig,
        hosts: Vec<Host>,
        weights: LocalityWeights,
        active: ActiveRequests<'_>,
        rng: &mut R,
    ) -> Self {
        let seed = rng.next_u64();
        let picker = match cfg.policy {
            LbPolicy::RoundRobin => Picker::RoundRobin(RoundRobin::new(seed)),
            LbPolicy::LeastRequest => {
                Picker::LeastRequest(LeastRequest::new(cfg.least_request, seed))
            }
            LbPolicy::Random => Picker::Random,
        };
        let mut lb = Self {
            cfg,
            hosts: Vec::new(),
            weights: LocalityWeights::new(),
            sets: Vec::new(),
            load: plan(&[], DEFAULT_OVERPROVISIONING_FACTOR, 0),
            picker,
            localities: Vec::new(),
            lb_healthy_panic: 0,
        };
        lb.update_hosts(hosts, weights, active, rng);
        lb
    }

    /// Replace the hosts (membership, weights or health changed) and recompute everything.
    pub fn update_hosts<R: RngCore + ?Sized>(
        &mut self,
        hosts: Vec<Host>,
        weights: LocalityWeights,
        active: ActiveRequests<'_>,
        rng: &mut R,
    ) {
        self.hosts = hosts;
        self.weights = weights;
        self.sets = group(&self.hosts, &self.weights);
        let levels: Vec<Level> = self.sets.iter().map(|s| self.level(s)).collect();
        self.load = plan(
            &levels,
            self.cfg.overprovisioning_factor,
            self.cfg.healthy_panic_threshold,
        );
        match &mut self.picker {
            Picker::RoundRobin(rr) => rr.refresh(&self.sets),
            Picker::LeastRequest(lr) => lr.refresh(&self.sets, active),
            Picker::Random => {}
        }
        self.localities = if self.cfg.locality_weighted {
            let opf = self.cfg.overprovisioning_factor;
            self.sets
                .iter()
                .map(|s| LocalityWrr::new(s, opf, rng.next_u64()))
                .collect()
        } else {
            Vec::new()
        };
    }

    /// Change one host's health; returns whether anything changed.
    pub fn set_health<R: RngCore + ?Sized>(
        &mut self,
        host: HostId,
        health: Health,
        active: ActiveRequests<'_>,
        rng: &mut R,
    ) -> bool {
        let mut hosts = self.hosts.clone();
        let Some(h) = hosts
            .iter_mut()
            .find(|h| h.id == host && h.health != health)
        else {
            return false;
        };
        h.health = health;
        let weights = std::mem::take(&mut self.weights);
        self.update_hosts(hosts, weights, active, rng);
        true
    }

    fn level(&self, s: &HostSet) -> Level {
        let count = |v: &[Entry]| v.len() as u64;
        let weight = |v: &[Entry]| v.iter().map(|e| u64::from(e.weight)).sum();
        let mut l = Level::counts(count(&s.hosts), count(&s.healthy), count(&s.degraded));
        if self.cfg.weighted_priority_health {
            (l.total_weight, l.healthy_weight, l.degraded_weight) =
                (weight(&s.hosts), weight(&s.healthy), weight(&s.degraded));
        }
        l
    }

    /// The current priority load and panic flags (for the trace's priority-load events).
    pub fn priority_load(&self) -> &PriorityLoad {
        &self.load
    }

    /// The host sets per priority, as last grouped.
    pub fn host_sets(&self) -> &[HostSet] {
        &self.sets
    }

    /// Picks made from a priority in panic (`cluster.<name>.lb_healthy_panic`).
    pub fn lb_healthy_panic(&self) -> u64 {
        self.lb_healthy_panic
    }

    /// Choose a host (`chooseHost`): up to `host_selection_retries + 1` selections while the
    /// choice is among `previous_hosts`; if every one is, the last is used. `None` is Envoy's
    /// "no healthy upstream" (503 UH).
    pub fn choose_host<R: RngCore + ?Sized>(
        &mut self,
        ctx: &PickContext<'_>,
        active: ActiveRequests<'_>,
        rng: &mut R,
    ) -> Option<Pick> {
        let mut last = None;
        for _ in 0..=ctx.host_selection_retries {
            let pick = self.choose_once(ctx.priority_load, active, rng)?;
            if !ctx.previous_hosts.contains(&pick.host) {
                return Some(pick);
            }
            last = Some(pick);
        }
        last
    }

    /// `chooseHostSet` with the priority load `load` (the balancer's own when `None`), then
    /// `hostSourceToUse` with the chosen priority's panic flag.
    fn choose_once<R: RngCore + ?Sized>(
        &mut self,
        load: Option<&PriorityLoad>,
        active: ActiveRequests<'_>,
        rng: &mut R,
    ) -> Option<Pick> {
        let r = rng.next_u64();
        let (priority, availability) = load.unwrap_or(&self.load).choose(r);
        let panic = self.load.panic.get(priority).copied().unwrap_or(false);
        let source = if panic {
            self.lb_healthy_panic += 1;
            Source {
                priority,
                kind: SourceType::All,
            }
        } else {
            let locality = self
                .localities
                .get_mut(priority)
                .and_then(|l| l.choose(availability));
            Source::of(priority, availability, locality)
        };
        let hosts = source.hosts(&self.sets);
        let host = match &mut self.picker {
            Picker::RoundRobin(rr) => rr.pick(source, hosts),
            Picker::LeastRequest(lr) => lr.pick(source, hosts, active, rng),
            Picker::Random => random::pick(hosts, r),
        }?;
        Some(Pick {
            host,
            priority: priority as u32,
            panic,
        })
    }
}
