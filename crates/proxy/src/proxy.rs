//! A whole proxy: its clusters, listeners and stats, started on a platform.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;

use meshtwin_model::topology::ListenerBalance;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cluster::Cluster;
use crate::cluster_outlier::OutlierState;
use crate::config::ListenerKind;
use crate::config::ProxyConfig;
use crate::health::driver::HealthState;
use crate::listener;
use crate::observer::Observer;
use crate::platform::Platform;
use crate::stats::{HcmStats, StatsSnapshot, TcpStats};

/// A running proxy (one Envoy).
pub struct Proxy<P: Platform> {
    pub cfg: ProxyConfig,
    pub platform: P,
    pub observer: Rc<dyn Observer>,
    pub clusters: BTreeMap<String, Rc<Cluster<P>>>,
    /// HTTP connection manager stats by stat prefix.
    pub hcm: BTreeMap<String, Rc<RefCell<HcmStats>>>,
    /// TCP proxy stats by stat prefix.
    pub tcp: BTreeMap<String, Rc<RefCell<TcpStats>>>,
    rng: RefCell<ChaCha8Rng>,
    /// The worker that handled the latest event (for `ListenerBalance::SharedSocket`).
    last_active_worker: std::cell::Cell<u32>,
}

impl<P: Platform> Proxy<P> {
    /// Build a proxy. `seed` drives its random choices (worker assignment, request ids).
    pub fn new(cfg: ProxyConfig, platform: P, observer: Rc<dyn Observer>, seed: u64) -> Rc<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let clusters = cfg
            .clusters
            .iter()
            .map(|c| {
                let cluster = Cluster::new(
                    c.clone(),
                    platform.clone(),
                    observer.clone(),
                    cfg.node.clone(),
                    rng.random(),
                );
                // Its own stream, derived from the cluster's: a new component's draws must not
                // reshuffle the proxy's (worker assignment, request ids).
                let outlier = OutlierState::for_cluster(&cluster);
                *cluster.outlier.borrow_mut() = outlier;
                let health = HealthState::for_cluster(&cluster);
                *cluster.health_checker.borrow_mut() = health;
                (c.name.clone(), Rc::new(cluster))
            })
            .collect();
        let tcp = cfg
            .listeners
            .iter()
            .filter(|l| matches!(l.kind, ListenerKind::Tcp { .. }))
            .map(|l| {
                (
                    l.stat_prefix.clone(),
                    Rc::new(RefCell::new(TcpStats::default())),
                )
            })
            .collect();
        let hcm = cfg
            .listeners
            .iter()
            .filter(|l| matches!(l.kind, ListenerKind::Http { .. }))
            .map(|l| {
                (
                    l.stat_prefix.clone(),
                    Rc::new(RefCell::new(HcmStats::default())),
                )
            })
            .collect();
        Rc::new(Self {
            cfg,
            platform,
            observer,
            clusters,
            hcm,
            tcp,
            rng: RefCell::new(rng),
            last_active_worker: std::cell::Cell::new(0),
        })
    }

    /// Bind every listener and start accepting. Errors if an address cannot be bound.
    pub async fn start(self: &Rc<Self>) -> io::Result<()> {
        for c in self.clusters.values() {
            c.start_outlier_timer();
        }
        // After the listeners, so a health check of this proxy's own listener finds it bound.
        for (i, l) in self.cfg.listeners.iter().enumerate() {
            let bound = self.platform.bind(l.address).await?;
            listener::spawn_accept_loop(self.clone(), i, bound);
        }
        for c in self.clusters.values() {
            c.start_health_checks();
        }
        Ok(())
    }

    /// Which worker takes a new downstream connection (the kernel's choice in Envoy).
    pub(crate) fn assign_worker(&self) -> u32 {
        let workers = self.cfg.workers.max(1);
        match self.cfg.listener_balance {
            ListenerBalance::ReusePort => self.rng.borrow_mut().random_range(0..workers),
            ListenerBalance::SharedSocket => self.last_active_worker.get().min(workers - 1),
        }
    }

    /// Note that `worker` just did something (it is the one epoll wakes first next).
    pub(crate) fn worker_active(&self, worker: u32) {
        self.last_active_worker.set(worker);
    }

    /// A draw from the proxy's random stream (Envoy's per-request `stream_id`).
    pub(crate) fn random_u64(&self) -> u64 {
        self.rng.borrow_mut().random()
    }

    /// Run `f` with the proxy's random stream (never across an await).
    pub(crate) fn with_rng<T>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        f(&mut self.rng.borrow_mut())
    }

    /// A fresh `x-request-id` for requests that arrive without one.
    pub(crate) fn new_request_id(&self) -> String {
        let v: u128 = self.rng.borrow_mut().random();
        format!("{v:032x}")
    }

    /// Every stat of this proxy under Envoy's names.
    pub fn stats(&self) -> StatsSnapshot {
        let mut out = StatsSnapshot::default();
        for c in self.clusters.values() {
            c.write_stats(&mut out);
        }
        for (prefix, s) in &self.hcm {
            s.borrow().write(prefix, &mut out);
        }
        for (prefix, s) in &self.tcp {
            s.borrow().write(prefix, &mut out);
        }
        out
    }
}
