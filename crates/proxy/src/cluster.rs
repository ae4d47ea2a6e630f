//! One upstream cluster of one proxy, split as Envoy splits it:
//!
//! - [`ClusterInfo`] (`cluster_info.rs`, Envoy's `ClusterInfoImpl`): settings, the stats scope
//!   and the circuit breakers, shared by everything below;
//! - [`HostSet`] (`cluster_hosts.rs`, `PrioritySetImpl`): the hosts and their health flags;
//! - [`Workers`] (`cluster_workers.rs`, `ThreadLocalClusterManagerImpl::ClusterEntry`): each
//!   worker's load balancer and connection pools;
//! - the detectors — the outlier detector (driven by `cluster_outlier.rs`) and the active
//!   health checker (driven by `health/driver.rs`) — which change host health.
//!
//! A cluster is built in one step ([`Cluster::new`]), possibly replacing an older one of the
//! same name, and [`Cluster::retire`]d when a push replaces or removes it: its timers and
//! health checks end, and it reports nothing more.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use meshtwin_model::event::{EventKind, Name, OutlierAction, OutlierReason};
use meshtwin_model::rng;
use meshtwin_model::topology::EnvoySettings;
use rand_chacha::ChaCha8Rng;

pub use crate::cluster_hosts::HostSet;
pub use crate::cluster_info::{ClusterInfo, RetrySlot};
pub use crate::cluster_workers::Workers;

use crate::cluster_outlier::SweepRest;
use crate::config::{ClusterConfig, Endpoint, EndpointList};
use crate::health::flags::{HealthFlag, HealthFlags};
use crate::health::HealthChecker;
use crate::lb::{HostId, LbConfig, PreviousPriorities};
use crate::observer::Observer;
use crate::outlier::{Compat, Detector};
use crate::platform::Platform;
use crate::pool::driver::{PoolContext, PoolDriver};
use crate::pool::engine::{PoolConfig, PoolEngine};
use crate::stats::StatsWriter;

/// Envoy's default `max_concurrent_streams` for HTTP/2 upstreams.
const H2_DEFAULT_CONCURRENCY: u32 = 2_147_483_647;

/// A synchronous engine with its own random stream.
pub struct Seeded<T> {
    pub engine: T,
    pub rng: ChaCha8Rng,
}

/// Why a cluster stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retirement {
    /// A push sent it with other settings: a new cluster of the same name takes over.
    Replaced,
    /// A push no longer sends it.
    Removed,
}

/// Everything a cluster is built from.
pub struct ClusterParams<'a, P: Platform> {
    pub cfg: ClusterConfig,
    pub envoy: &'a EnvoySettings,
    pub platform: P,
    pub observer: Rc<dyn Observer>,
    /// The proxy's node name (traces).
    pub proxy: String,
    /// The proxy's seed (or, for a cluster a push creates, the push's): its load balancers',
    /// outlier detector's and health checker's streams are derived from it and the
    /// component's name under the cluster's ([`component_name`]), so no cluster's draws depend
    /// on which other clusters exist or the order they are built in.
    pub seed: u64,
}

/// The name of cluster `cluster`'s component `part` (`worker/<n>`, `outlier`, `health`):
/// `cluster/<cluster>/<part>`, whose stream [`meshtwin_model::rng::stream`] derives from the
/// proxy's seed.
pub(crate) fn component_name(cluster: &str, part: &str) -> String {
    format!("cluster/{cluster}/{part}")
}

/// One upstream cluster of one proxy.
pub struct Cluster<P: Platform> {
    pub info: ClusterInfo,
    pub(crate) hosts: RefCell<HostSet>,
    pub(crate) workers: Workers<P>,
    /// The outlier detector, when the cluster has outlier detection.
    pub(crate) outlier: RefCell<Option<Seeded<Detector>>>,
    /// Whether its outlier sweep rests (the detector is quiescent); ended by a result that
    /// lists a host, by retirement and when the cluster is dropped.
    pub(crate) sweep_rest: SweepRest,
    /// The active health checker, when the cluster has one.
    pub(crate) health: RefCell<Option<Seeded<HealthChecker>>>,
    retired: Cell<bool>,
    pub(crate) platform: P,
    pub(crate) observer: Rc<dyn Observer>,
    pub(crate) proxy: String,
}

impl<P: Platform> Cluster<P> {
    /// Build a cluster; with `replacing`, its stats scope continues that cluster's (Envoy
    /// keeps the scope `cluster.<name>.` across a CDS update). Nothing runs until
    /// [`Cluster::start`].
    pub fn new(p: ClusterParams<'_, P>, replacing: Option<&Cluster<P>>) -> Rc<Self> {
        let seed = p.seed;
        p.observer.event(
            p.platform.now(),
            endpoints_event(&p.proxy, &p.cfg.name, &p.cfg.endpoints),
        );
        let hosts = HostSet::new(&p.cfg.endpoints, p.cfg.health_check.is_some());
        let members = hosts.member_ids();
        let outlier = p.cfg.outlier_detection.as_ref().and_then(|od| {
            let cfg = crate::outlier::Config::from_model(od, Compat::from_envoy(p.envoy)).ok()?;
            let mut engine = Detector::new(cfg, members.clone());
            if let Some(old) =
                replacing.and_then(|o| o.outlier.borrow().as_ref().map(|d| d.engine.clone()))
            {
                engine.continue_stats(&old);
            }
            Some(Seeded {
                engine,
                rng: rng::stream(seed, &component_name(&p.cfg.name, "outlier")),
            })
        });
        let health = p.cfg.health_check.as_ref().map(|hc| {
            let mut engine =
                HealthChecker::new(crate::health::Config::from_model(hc), members.clone());
            if let Some(old) = replacing {
                if let Some(o) = old.health.borrow().as_ref() {
                    engine.continue_stats(&o.engine);
                }
            }
            Seeded {
                engine,
                rng: rng::stream(seed, &component_name(&p.cfg.name, "health")),
            }
        });
        let info = match replacing {
            Some(old) => ClusterInfo::replacing(p.cfg, &old.info),
            None => ClusterInfo::new(p.cfg),
        };
        let workers = Workers::new(seed, info.name(), info.pool_resources());
        Rc::new(Self {
            info,
            hosts: RefCell::new(hosts),
            workers,
            outlier: RefCell::new(outlier),
            sweep_rest: SweepRest::default(),
            health: RefCell::new(health),
            retired: Cell::new(false),
            platform: p.platform,
            observer: p.observer,
            proxy: p.proxy,
        })
    }

    /// Its settings.
    pub fn cfg(&self) -> &ClusterConfig {
        &self.info.cfg
    }

    /// Start the outlier sweep and one health-check loop per host (each a no-op when the
    /// cluster has no such detector).
    pub fn start(self: &Rc<Self>) {
        self.start_outlier_timer();
        self.start_health_checks();
    }

    /// Stop: timers and health checks end at their next wake-up, results of requests still
    /// in flight are no longer reported, and every host the outlier detector had ejected is
    /// traced back in rotation for this cluster (the hosts leave with it).
    pub fn retire(&self, why: Retirement) {
        if self.retired.replace(true) {
            return;
        }
        // The sweep task ends at its next tick, as it did before it could rest.
        self.sweep_rest.0.end();
        let ejected = match self.outlier.borrow().as_ref() {
            Some(o) => o.engine.ejected_hosts(),
            None => return,
        };
        let reason = match why {
            Retirement::Replaced => OutlierReason::ClusterReplaced,
            Retirement::Removed => OutlierReason::ClusterRemoved,
        };
        for host in ejected {
            self.observer.event(
                self.platform.now(),
                EventKind::Outlier {
                    proxy: self.proxy.clone(),
                    cluster: self.info.name().to_string(),
                    host: self.endpoint(host.0 as usize).hostname.to_string(),
                    action: OutlierAction::Unejected,
                    reason,
                    ejection_ms: None,
                },
            );
        }
    }

    /// Whether a push replaced or removed it.
    pub fn is_retired(&self) -> bool {
        self.retired.get()
    }

    /// Endpoint `i` (a host id; hosts that left keep their slot).
    pub fn endpoint(&self, i: usize) -> Endpoint {
        self.hosts.borrow().endpoint(i).clone()
    }

    /// `f` of endpoint `i` (no copy of the endpoint).
    pub fn with_endpoint<T>(&self, i: usize, f: impl FnOnce(&Endpoint) -> T) -> T {
        f(self.hosts.borrow().endpoint(i))
    }

    /// Requests in flight to endpoint `ep` over every worker's pool.
    pub fn host_rq_active(&self, ep: usize) -> u64 {
        self.workers.host_rq_active(ep)
    }

    /// A host's health flags (outlier ejection, active health checking).
    pub fn host_flags(&self, host: HostId) -> HealthFlags {
        self.hosts.borrow().flags(host)
    }

    /// Set or clear one health flag of a host; when its combined health changes, every
    /// worker's balancer learns it (unhealthy iff either `FAILED_*` flag is set).
    pub fn set_host_flag(&self, host: HostId, flag: HealthFlag, on: bool) {
        let (before, after) = self.hosts.borrow_mut().set_flag(host, flag, on);
        if after.health() == before.health() {
            return;
        }
        self.workers.set_health(host, after.health());
        let what = match (flag, on) {
            (HealthFlag::FailedOutlierCheck, true) => "ejected",
            (HealthFlag::FailedOutlierCheck, false) => "unejected",
            (HealthFlag::FailedActiveHc, true) => "failed health check",
            (HealthFlag::FailedActiveHc, false) => "passed health check",
        };
        let name = self.endpoint(host.0 as usize).hostname;
        self.note_priority_load(&format!("{name} {what}"));
    }

    /// Pick an endpoint for a request on `worker` with that worker's load balancer (the
    /// cluster's policy: Istio's default least request, round robin, random). `None`: no
    /// healthy upstream.
    pub fn pick(&self, worker: u32) -> Option<usize> {
        self.pick_with(worker, None)
    }

    /// [`Cluster::pick`] for a request whose route has a retry priority: it decides the
    /// priority load the pick uses (the `previous_priorities` of `retryRemoteLocalities`).
    pub fn pick_with(
        &self,
        worker: u32,
        retry_priority: Option<&mut PreviousPriorities>,
    ) -> Option<usize> {
        if self.hosts.borrow().is_empty() {
            return None;
        }
        let cfg = self.cfg();
        // Read only when the worker's balancer is made (its first pick).
        let balancer = || {
            let lb = LbConfig {
                locality_weighted: !cfg.locality_weights.is_empty(),
                ..LbConfig::from_model(cfg.lb_policy, cfg.outlier_detection.as_ref())
            };
            (lb, self.hosts.borrow().lb_hosts())
        };
        let picked = self
            .workers
            .pick(worker, &cfg.locality_weights, balancer, retry_priority);
        // Envoy's `lb_healthy_panic`: picks made from a priority in panic (the cluster's
        // counter, so it survives balancers made later and endpoint pushes).
        if picked.panic_picks > 0 {
            self.info.count_healthy_panic(picked.panic_picks);
        }
        if picked.created {
            self.note_priority_load("first pick");
        }
        picked.pick.map(|p| p.host.0 as usize)
    }

    /// The pool for (worker, endpoint), created on first use.
    pub fn pool(&self, worker: u32, endpoint: usize) -> Rc<PoolDriver<P>> {
        self.workers.pool(worker, endpoint, || {
            self.info.admit_pool();
            let cfg = self.cfg();
            let http2 = self.info.http2();
            let concurrency = if http2 {
                cfg.pool
                    .max_concurrent_streams
                    .unwrap_or(H2_DEFAULT_CONCURRENCY)
            } else {
                1
            };
            let engine = PoolEngine::new(PoolConfig {
                concurrency,
                max_requests_per_connection: cfg.pool.max_requests_per_connection,
                enforce_max_requests: true,
                http2,
                host: endpoint,
            });
            let ctx = PoolContext {
                platform: self.platform.clone(),
                observer: self.observer.clone(),
                proxy: Name::from(&self.proxy),
                cluster: Name::from(&cfg.name),
                worker,
                endpoint: self.endpoint(endpoint),
                http2,
                connect_timeout: cfg.pool.connect_timeout,
            };
            PoolDriver::new(ctx, engine, self.info.pool_resources())
        })
    }

    /// A control-plane push of the cluster's endpoint set. Endpoints still present (same
    /// address) keep their host; new ones get new hosts (and health checks); the rest leave
    /// the load balancers and the detectors.
    pub fn update_endpoints(self: &Rc<Self>, endpoints: &EndpointList) {
        let change = self.hosts.borrow_mut().update(endpoints);
        if change.unchanged {
            return;
        }
        if let Some(o) = self.outlier.borrow_mut().as_mut() {
            for h in &change.removed {
                o.engine.remove_host(*h);
            }
            for h in &change.added {
                o.engine.add_host(*h);
            }
        }
        let hosts = self.hosts.borrow().lb_hosts();
        self.workers
            .update_hosts(&hosts, &self.cfg().locality_weights);
        self.observer.event(
            self.platform.now(),
            endpoints_event(&self.proxy, self.info.name(), endpoints),
        );
        self.note_priority_load("endpoints pushed");
        self.start_health_checks_for(&change.added);
    }

    /// Trace the priority load when it differs from the last one traced.
    pub(crate) fn note_priority_load(&self, reason: &str) {
        if self.is_retired() {
            return;
        }
        let Some((load, healthy_percent, panic)) = self.workers.priority_load() else {
            return;
        };
        let key = (load.clone(), panic.clone());
        let first = {
            let mut hosts = self.hosts.borrow_mut();
            if hosts.last_load.as_ref() == Some(&key) {
                return;
            }
            hosts.last_load.replace(key).is_none()
        };
        // A single priority taking everything, not in panic, is the unremarkable start: not
        // traced (readers take "no priority_load event" to mean exactly that).
        if first && load.len() <= 1 && !panic.iter().any(|p| *p) {
            return;
        }
        self.observer.event(
            self.platform.now(),
            EventKind::PriorityLoad {
                proxy: self.proxy.clone(),
                cluster: self.info.name().to_string(),
                load,
                healthy_percent,
                panic,
                reason: reason.to_string(),
            },
        );
    }

    /// Add `cluster.<name>.*`, with its detectors' stats, to a snapshot.
    pub fn write_stats(&self, out: &mut StatsWriter) {
        let prefix = ["cluster.", self.info.name(), "."].concat();
        let (outlier, health) = (self.outlier.borrow(), self.health.borrow());
        self.info.write_scope(
            &prefix,
            out,
            health.as_ref().map(|h| h.engine.stats()),
            outlier.as_ref().map(|o| o.engine.stats()),
        );
    }
}

/// The trace event announcing `cluster`'s endpoint set on `proxy`.
pub fn endpoints_event(proxy: &str, cluster: &str, endpoints: &EndpointList) -> EventKind {
    EventKind::Endpoints {
        proxy: proxy.to_string(),
        cluster: cluster.to_string(),
        endpoints: endpoints.trace_info(),
    }
}
