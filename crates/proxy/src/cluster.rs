//! Upstream clusters: endpoints, the shared circuit breakers and stats, and one connection
//! pool per (worker, endpoint), created lazily as Envoy does.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use meshtwin_model::event::{EndpointInfo, EventKind};
use meshtwin_model::policy::UpstreamProtocol;

use crate::breaker::ResourceManager;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cluster_outlier::OutlierState;
use crate::config::{ClusterConfig, Endpoint};
use crate::health::driver::HealthState;
use crate::health::flags::{HealthFlag, HealthFlags};
use crate::lb::{HostId, LbConfig, LoadBalancer, PickContext};
use crate::observer::Observer;
use crate::platform::Platform;
use crate::pool::driver::{PoolContext, PoolDriver};
use crate::pool::engine::{ClusterShared, PoolConfig, PoolEngine};
use crate::stats::StatsSnapshot;

/// Pools by (worker, endpoint index).
/// Pools by (endpoint, worker): one host's pools are adjacent.
type PoolMap<P> = BTreeMap<(usize, u32), Rc<PoolDriver<P>>>;

/// Envoy's default `max_concurrent_streams` for HTTP/2 upstreams.
const H2_DEFAULT_CONCURRENCY: u32 = 2_147_483_647;

/// One upstream cluster of one proxy.
pub struct Cluster<P: Platform> {
    pub cfg: ClusterConfig,
    pub shared: Rc<RefCell<ClusterShared>>,
    pools: RefCell<PoolMap<P>>,
    /// Each worker's load balancer and its random stream (created on first use).
    pub(crate) balancers: RefCell<BTreeMap<u32, (LoadBalancer, ChaCha8Rng)>>,
    /// The outlier detector, when the cluster has outlier detection.
    pub(crate) outlier: RefCell<Option<OutlierState>>,
    /// The active health checker, when the cluster has one.
    pub(crate) health_checker: RefCell<Option<HealthState>>,
    /// Each host's health flags set so far (for balancers created later); hosts not listed
    /// have [`HealthFlags::new_host`].
    pub(crate) flags: RefCell<BTreeMap<u32, HealthFlags>>,
    /// Every endpoint this cluster has had (index = host id; see `cluster_hosts`).
    pub(crate) hosts: RefCell<Vec<Endpoint>>,
    /// The current endpoint set, as host ids in the control plane's order.
    pub(crate) members: RefCell<Vec<usize>>,
    /// The priority load last traced (loads, panic flags).
    pub(crate) last_load: RefCell<Option<(Vec<u32>, Vec<bool>)>>,
    pub(crate) seed: u64,
    pub(crate) platform: P,
    pub(crate) observer: Rc<dyn Observer>,
    pub(crate) proxy: String,
}

impl<P: Platform> Cluster<P> {
    /// `seed` drives this cluster's load balancers (one stream per worker).
    pub fn new(
        cfg: ClusterConfig,
        platform: P,
        observer: Rc<dyn Observer>,
        proxy: String,
        seed: u64,
    ) -> Self {
        let shared = ClusterShared::new(ResourceManager::new(&cfg.pool.thresholds));
        observer.event(
            platform.now(),
            endpoints_event(&proxy, &cfg.name, &cfg.endpoints),
        );
        let hosts = cfg.endpoints.clone();
        let members = (0..hosts.len()).collect();
        Self {
            hosts: RefCell::new(hosts),
            members: RefCell::new(members),
            last_load: RefCell::new(None),
            cfg,
            shared: Rc::new(RefCell::new(shared)),
            pools: RefCell::new(BTreeMap::new()),
            balancers: RefCell::new(BTreeMap::new()),
            outlier: RefCell::new(None),
            health_checker: RefCell::new(None),
            flags: RefCell::new(BTreeMap::new()),
            seed,
            platform,
            observer,
            proxy,
        }
    }

    /// A cluster replacing `old` (a CDS update) keeps its counters, as Envoy's stats scope
    /// does; its gauges describe its own connections and requests.
    pub(crate) fn inherit_counters(&self, old: &Self) {
        let o = old.shared.borrow();
        let mut s = self.shared.borrow_mut();
        s.stats.cluster = crate::stats::ClusterStats {
            upstream_cx_active: Default::default(),
            upstream_rq_active: Default::default(),
            upstream_rq_pending_active: Default::default(),
            ..o.stats.cluster.clone()
        };
        s.stats.codes = o.stats.codes.clone();
    }

    fn http2(&self) -> bool {
        self.cfg.protocol == UpstreamProtocol::Http2 || self.cfg.pool.h2_upgrade
    }

    /// Requests in flight to endpoint `ep` over every worker's pool (Envoy's per-host
    /// `rq_active`, shared by all workers).
    pub fn host_rq_active(&self, ep: usize) -> u64 {
        self.pools
            .borrow()
            .range((ep, 0)..=(ep, u32::MAX))
            .map(|(_, p)| p.active_streams())
            .sum()
    }

    /// A host's health flags (outlier ejection, active health checking).
    pub fn host_flags(&self, host: HostId) -> HealthFlags {
        self.flags
            .borrow()
            .get(&host.0)
            .copied()
            .unwrap_or(HealthFlags::new_host(self.cfg.health_check.is_some()))
    }

    /// Set or clear one health flag of a host; when its combined health changes, every
    /// worker's balancer learns it (spec §5.2: unhealthy iff either `FAILED_*` flag is set).
    pub fn set_host_flag(&self, host: HostId, flag: HealthFlag, on: bool) {
        let before = self.host_flags(host);
        let mut after = before;
        after.set(flag, on);
        self.flags.borrow_mut().insert(host.0, after);
        if after.health() != before.health() {
            let active = |h: HostId| self.host_rq_active(h.0 as usize);
            for (lb, rng) in self.balancers.borrow_mut().values_mut() {
                lb.set_health(host, after.health(), &active, rng);
            }
            let what = match (flag, on) {
                (HealthFlag::FailedOutlierCheck, true) => "ejected",
                (HealthFlag::FailedOutlierCheck, false) => "unejected",
                (HealthFlag::FailedActiveHc, true) => "failed health check",
                (HealthFlag::FailedActiveHc, false) => "passed health check",
            };
            let name = self.endpoint(host.0 as usize).hostname;
            self.note_priority_load(&format!("{name} {what}"));
        }
    }

    /// Pick an endpoint for a request on `worker` with that worker's load balancer (the
    /// cluster's policy: Istio's default least request, round robin, random). `None`: no
    /// healthy upstream.
    pub fn pick(&self, worker: u32) -> Option<usize> {
        if self.members.borrow().is_empty() {
            return None;
        }
        let active = |h: HostId| self.host_rq_active(h.0 as usize);
        let created = !self.balancers.borrow().contains_key(&worker);
        let picked = {
            let mut balancers = self.balancers.borrow_mut();
            let (lb, rng) = balancers.entry(worker).or_insert_with(|| {
                let mut rng = ChaCha8Rng::seed_from_u64(
                    self.seed ^ u64::from(worker).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                );
                let lb = LoadBalancer::new(
                    LbConfig {
                        locality_weighted: !self.cfg.locality_weights.is_empty(),
                        ..LbConfig::from_model(
                            self.cfg.lb_policy,
                            self.cfg.outlier_detection.as_ref(),
                        )
                    },
                    self.lb_hosts(),
                    self.cfg.locality_weights.clone(),
                    &active,
                    &mut rng,
                );
                (lb, rng)
            });
            let ctx = PickContext {
                previous_hosts: &[],
                host_selection_retries: 0,
            };
            let panics = lb.lb_healthy_panic();
            let picked = lb
                .choose_host(&ctx, &active, rng)
                .map(|p| p.host.0 as usize);
            // Envoy's `lb_healthy_panic`: picks made from a priority in panic (the cluster's
            // counter, so it survives balancers made later and endpoint pushes).
            let in_panic = lb.lb_healthy_panic() - panics;
            self.shared.borrow_mut().stats.cluster.lb_healthy_panic += in_panic;
            picked
        };
        if created {
            self.note_priority_load("first pick");
        }
        picked
    }

    /// The pool for (worker, endpoint), created on first use.
    pub fn pool(&self, worker: u32, endpoint: usize) -> Rc<PoolDriver<P>> {
        let mut pools = self.pools.borrow_mut();
        pools
            .entry((endpoint, worker))
            .or_insert_with(|| {
                let http2 = self.http2();
                let concurrency = if http2 {
                    self.cfg
                        .pool
                        .max_concurrent_streams
                        .unwrap_or(H2_DEFAULT_CONCURRENCY)
                } else {
                    1
                };
                let engine = PoolEngine::new(PoolConfig {
                    concurrency,
                    max_requests_per_connection: self.cfg.pool.max_requests_per_connection,
                    enforce_max_requests: true,
                    http2,
                });
                let ctx = PoolContext {
                    platform: self.platform.clone(),
                    observer: self.observer.clone(),
                    proxy: self.proxy.clone(),
                    cluster: self.cfg.name.clone(),
                    worker,
                    endpoint: self.endpoint(endpoint),
                    http2,
                    connect_timeout: self.cfg.pool.connect_timeout,
                };
                PoolDriver::new(ctx, engine, self.shared.clone())
            })
            .clone()
    }

    pub fn write_stats(&self, out: &mut StatsSnapshot) {
        self.shared.borrow().stats.write(&self.cfg.name, out);
        if let Some(o) = self.outlier.borrow().as_ref() {
            o.detector.stats().write(&self.cfg.name, out);
        }
        if let Some(h) = self.health_checker.borrow().as_ref() {
            h.checker.stats().write(&self.cfg.name, out);
        }
    }
}

/// The trace event announcing `cluster`'s endpoint set on `proxy`.
pub fn endpoints_event(proxy: &str, cluster: &str, endpoints: &[Endpoint]) -> EventKind {
    EventKind::Endpoints {
        proxy: proxy.to_string(),
        cluster: cluster.to_string(),
        endpoints: endpoints
            .iter()
            .map(|e| EndpointInfo {
                address: e.address.to_string(),
                host: e.hostname.clone(),
                locality: e.locality_name(),
                priority: e.priority,
            })
            .collect(),
    }
}
