//! Upstream clusters: endpoints, the shared circuit breakers and stats, and one connection
//! pool per (worker, endpoint), created lazily as Envoy does.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use meshtwin_model::policy::UpstreamProtocol;

use crate::breaker::ResourceManager;
use crate::config::ClusterConfig;
use crate::observer::Observer;
use crate::platform::Platform;
use crate::pool::driver::{PoolContext, PoolDriver};
use crate::pool::engine::{ClusterShared, PoolConfig, PoolEngine};
use crate::stats::StatsSnapshot;

/// Pools by (worker, endpoint index).
type PoolMap<P> = BTreeMap<(u32, usize), Rc<PoolDriver<P>>>;

/// Envoy's default `max_concurrent_streams` for HTTP/2 upstreams.
const H2_DEFAULT_CONCURRENCY: u32 = 2_147_483_647;

/// One upstream cluster of one proxy.
pub struct Cluster<P: Platform> {
    pub cfg: ClusterConfig,
    pub shared: Rc<RefCell<ClusterShared>>,
    pools: RefCell<PoolMap<P>>,
    /// Round-robin cursor per worker.
    cursors: RefCell<BTreeMap<u32, usize>>,
    platform: P,
    observer: Rc<dyn Observer>,
    proxy: String,
}

impl<P: Platform> Cluster<P> {
    pub fn new(cfg: ClusterConfig, platform: P, observer: Rc<dyn Observer>, proxy: String) -> Self {
        let shared = ClusterShared::new(ResourceManager::new(&cfg.pool.thresholds));
        Self {
            cfg,
            shared: Rc::new(RefCell::new(shared)),
            pools: RefCell::new(BTreeMap::new()),
            cursors: RefCell::new(BTreeMap::new()),
            platform,
            observer,
            proxy,
        }
    }

    fn http2(&self) -> bool {
        self.cfg.protocol == UpstreamProtocol::Http2 || self.cfg.pool.h2_upgrade
    }

    /// Pick an endpoint for a request on `worker` (each worker has its own load balancer).
    /// Round robin; the other policies arrive with the load-balancing issue.
    pub fn pick(&self, worker: u32) -> Option<usize> {
        let n = self.cfg.endpoints.len();
        if n == 0 {
            return None;
        }
        let mut cursors = self.cursors.borrow_mut();
        let c = cursors.entry(worker).or_insert(0);
        let i = *c % n;
        *c = (*c + 1) % n;
        Some(i)
    }

    /// The pool for (worker, endpoint), created on first use.
    pub fn pool(&self, worker: u32, endpoint: usize) -> Rc<PoolDriver<P>> {
        let mut pools = self.pools.borrow_mut();
        pools
            .entry((worker, endpoint))
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
                    endpoint: self.cfg.endpoints[endpoint].clone(),
                    http2,
                    connect_timeout: self.cfg.pool.connect_timeout,
                };
                PoolDriver::new(ctx, engine, self.shared.clone())
            })
            .clone()
    }

    pub fn write_stats(&self, out: &mut StatsSnapshot) {
        self.shared.borrow().stats.write(&self.cfg.name, out);
    }
}
