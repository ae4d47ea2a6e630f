//! The per-worker part of a cluster (Envoy's `ThreadLocalClusterManagerImpl::ClusterEntry`):
//! each worker's load balancer with its random stream, and one connection pool per (host,
//! worker), both created on first use as Envoy does. A worker's pools are kept by host id (the
//! host's slot in the cluster's `HostSet`, stable while the cluster lives), one index away; a
//! host's `rq_active` over every worker's pools is counted in the pools' `ClusterShared`.

use std::cell::RefCell;
use std::rc::Rc;

use meshtwin_model::rng;
use rand_chacha::ChaCha8Rng;

use crate::cluster::component_name;
use crate::lb::{
    Health, Host, HostId, LbConfig, LoadBalancer, LocalityWeights, Pick, PickContext,
    PreviousPriorities,
};
use crate::platform::Platform;
use crate::pool::driver::PoolDriver;
use crate::pool::engine::ClusterShared;

/// One worker's pools, by host id.
type WorkerPools<P> = Vec<Option<Rc<PoolDriver<P>>>>;

/// A worker's load balancer and its random stream.
type Balancer = (LoadBalancer, ChaCha8Rng);

/// A priority load as traced: load per priority, healthy percent per priority, panic flags.
pub type LoadView = (Vec<u32>, Vec<u32>, Vec<bool>);

/// Every worker's balancer and pools of one cluster.
pub struct Workers<P: Platform> {
    /// By worker index, then host id; a host that left keeps its pools (their connections
    /// drain).
    pools: RefCell<Vec<WorkerPools<P>>>,
    /// By worker index, made on the worker's first pick.
    balancers: RefCell<Vec<Option<Balancer>>>,
    /// What the cluster's pools share, with each host's `rq_active`.
    shared: Rc<RefCell<ClusterShared>>,
    /// The proxy's seed: worker `n`'s stream is derived from it and
    /// `cluster/<cluster>/worker/<n>`.
    seed: u64,
    /// The cluster's name.
    cluster: String,
}

/// What one pick did besides choosing.
pub struct Picked {
    pub pick: Option<Pick>,
    /// The worker's balancer was created for this pick.
    pub created: bool,
    /// Selections made from a priority in panic (`lb_healthy_panic`).
    pub panic_picks: u64,
}

impl<P: Platform> Workers<P> {
    /// The workers of cluster `cluster`, their streams derived from the proxy's `seed`.
    pub fn new(seed: u64, cluster: &str, shared: Rc<RefCell<ClusterShared>>) -> Self {
        Self {
            pools: RefCell::new(Vec::new()),
            balancers: RefCell::new(Vec::new()),
            shared,
            seed,
            cluster: cluster.to_string(),
        }
    }

    /// Requests in flight to endpoint `ep` over every worker's pool (Envoy's per-host
    /// `rq_active`, shared by all workers).
    pub fn host_rq_active(&self, ep: usize) -> u64 {
        self.shared.borrow().host_rq_active(ep)
    }

    /// Pick with `worker`'s balancer, created on first use with the settings and hosts
    /// `balancer()` gives; a retry priority, when given, decides the priority load from the
    /// balancer's.
    pub fn pick(
        &self,
        worker: u32,
        weights: &LocalityWeights,
        balancer: impl FnOnce() -> (LbConfig, Vec<Host>),
        retry_priority: Option<&mut PreviousPriorities>,
    ) -> Picked {
        let active = |h: HostId| self.host_rq_active(h.0 as usize);
        let mut balancers = self.balancers.borrow_mut();
        let at = worker as usize;
        if balancers.len() <= at {
            balancers.resize_with(at + 1, || None);
        }
        let created = balancers[at].is_none();
        let (lb, rng) = balancers[at].get_or_insert_with(|| {
            let name = component_name(&self.cluster, &format!("worker/{worker}"));
            let mut rng = rng::stream(self.seed, &name);
            let (cfg, hosts) = balancer();
            let lb = LoadBalancer::new(cfg, hosts, weights.clone(), &active, &mut rng);
            (lb, rng)
        });
        let before = lb.lb_healthy_panic();
        let load = retry_priority.and_then(|rp| rp.priority_load(lb.priority_load()));
        let ctx = PickContext {
            priority_load: load.as_ref(),
            ..PickContext::default()
        };
        let pick = lb.choose_host(&ctx, &active, rng);
        Picked {
            pick,
            created,
            panic_picks: lb.lb_healthy_panic() - before,
        }
    }

    /// Tell every worker's balancer a host's new health.
    pub fn set_health(&self, host: HostId, health: Health) {
        let active = |h: HostId| self.host_rq_active(h.0 as usize);
        for (lb, rng) in self.balancers.borrow_mut().iter_mut().flatten() {
            lb.set_health(host, health, &active, rng);
        }
    }

    /// Give every worker's balancer the new host set.
    pub fn update_hosts(&self, hosts: &[Host], weights: &LocalityWeights) {
        let active = |h: HostId| self.host_rq_active(h.0 as usize);
        for (lb, rng) in self.balancers.borrow_mut().iter_mut().flatten() {
            lb.update_hosts(hosts.to_vec(), weights.clone(), &active, rng);
        }
    }

    /// The priority load any worker's balancer computes (they all see the same hosts and
    /// health); `None` before the first pick.
    pub fn priority_load(&self) -> Option<LoadView> {
        let balancers = self.balancers.borrow();
        let (lb, _) = balancers.iter().flatten().next()?;
        let l = lb.priority_load();
        let load = l
            .healthy
            .iter()
            .zip(&l.degraded)
            .map(|(h, d)| h + d)
            .collect();
        let healthy_percent = lb
            .host_sets()
            .iter()
            .map(|s| {
                if s.hosts.is_empty() {
                    0
                } else {
                    (100 * s.healthy.len() / s.hosts.len()) as u32
                }
            })
            .collect();
        Some((load, healthy_percent, l.panic.clone()))
    }

    /// The pool for (worker, endpoint), made by `make` on first use.
    pub fn pool(
        &self,
        worker: u32,
        endpoint: usize,
        make: impl FnOnce() -> Rc<PoolDriver<P>>,
    ) -> Rc<PoolDriver<P>> {
        let (w, h) = (worker as usize, endpoint);
        if let Some(Some(pool)) = self.pools.borrow().get(w).and_then(|pools| pools.get(h)) {
            return pool.clone();
        }
        // `make` may read the cluster (its endpoint, its settings): no borrow held.
        let pool = make();
        let mut pools = self.pools.borrow_mut();
        if pools.len() <= w {
            pools.resize_with(w + 1, Vec::new);
        }
        let worker_pools = &mut pools[w];
        if worker_pools.len() <= h {
            worker_pools.resize_with(h + 1, || None);
        }
        worker_pools[h] = Some(pool.clone());
        pool
    }
}
