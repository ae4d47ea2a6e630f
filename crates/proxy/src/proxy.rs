//! A whole proxy: its clusters, listeners and stats, started on a platform.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;

use meshtwin_model::event::Name;
use meshtwin_model::policy::Thresholds;
use meshtwin_model::topology::ListenerBalance;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cluster::{Cluster, ClusterParams, Retirement};
use crate::config::{ClusterConfig, ListenerConfig, ListenerKind, ProxyConfig};
use crate::downstream::{DownstreamLimits, DownstreamStats};
use crate::listener;
use crate::observer::Observer;
use crate::platform::Platform;
use crate::router::config::Action;
use crate::stats::{HcmStats, StatsSnapshot, StatsWriter, TcpStats};

/// A running proxy (one Envoy).
pub struct Proxy<P: Platform> {
    pub cfg: ProxyConfig,
    pub platform: P,
    pub observer: Rc<dyn Observer>,
    /// Clusters by name (replaced or updated by control-plane pushes, see [`Proxy::apply`]).
    clusters: RefCell<BTreeMap<String, Rc<Cluster<P>>>>,
    /// Each listener as it is configured now (same address as `cfg.listeners[i]`; its filter
    /// chain — routes, TCP destinations, stat prefix — replaced by pushes).
    listeners: RefCell<Vec<Rc<ListenerConfig>>>,
    /// Each listener's name as its access-log entries carry it (shared, not copied per entry).
    listener_names: RefCell<Vec<Name>>,
    /// The node's name as its trace events carry it.
    node: Name,
    /// HTTP connection manager stats by stat prefix.
    hcm: RefCell<BTreeMap<String, Rc<RefCell<HcmStats>>>>,
    /// TCP proxy stats by stat prefix.
    tcp: RefCell<BTreeMap<String, Rc<RefCell<TcpStats>>>>,
    /// Idle timeouts by full stat name (`http.<prefix>.downstream_rq_idle_timeout`,
    /// `tcp.<prefix>.idle_timeout`), reported for the listeners that have one (see
    /// [`has_idle_timeout`]).
    idle_timeouts: RefCell<BTreeMap<String, u64>>,
    /// Clusters replaced by pushes, still counted under their names.
    rng: RefCell<ChaCha8Rng>,
    /// The worker that handled the latest event (for `ListenerBalance::SharedSocket`).
    last_active_worker: std::cell::Cell<u32>,
    /// What downstream clients are held to (off in the twin, see [`crate::downstream`]).
    downstream: RefCell<Rc<DownstreamLimits>>,
    pub(crate) downstream_stats: DownstreamStats,
}

impl<P: Platform> Proxy<P> {
    /// Build a proxy. `seed` (the proxy component's, derived by [`meshtwin_model::rng`] from
    /// the run's) seeds its own stream (worker assignment, request ids) and, by component
    /// name, each cluster's (see [`ClusterParams::seed`]).
    pub fn new(cfg: ProxyConfig, platform: P, observer: Rc<dyn Observer>, seed: u64) -> Rc<Self> {
        let rng = ChaCha8Rng::seed_from_u64(seed);
        let clusters = cfg
            .clusters
            .iter()
            .map(|c| {
                let params = ClusterParams {
                    cfg: c.clone(),
                    envoy: &cfg.envoy,
                    platform: platform.clone(),
                    observer: observer.clone(),
                    proxy: cfg.node.clone(),
                    seed,
                };
                (c.name.clone(), Cluster::new(params, None))
            })
            .collect();
        let listeners = cfg.listeners.iter().cloned().map(Rc::new).collect();
        let listener_names = cfg.listeners.iter().map(|l| Name::from(&l.name)).collect();
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
        let idle_timeouts = cfg
            .listeners
            .iter()
            .filter(|l| has_idle_timeout(l))
            .map(|l| (idle_timeout_stat(l), 0))
            .collect();
        Rc::new(Self {
            idle_timeouts: RefCell::new(idle_timeouts),
            platform,
            observer,
            clusters: RefCell::new(clusters),
            listeners: RefCell::new(listeners),
            listener_names: RefCell::new(listener_names),
            node: Name::from(&cfg.node),
            hcm: RefCell::new(hcm),
            tcp: RefCell::new(tcp),
            rng: RefCell::new(rng),
            last_active_worker: std::cell::Cell::new(0),
            downstream: RefCell::default(),
            downstream_stats: DownstreamStats::default(),
            cfg,
        })
    }

    /// Hold downstream clients to `limits` (before [`Proxy::start`]; `meshtwin proxy` uses
    /// [`DownstreamLimits::envoy`]).
    pub fn set_downstream_limits(&self, limits: DownstreamLimits) {
        *self.downstream.borrow_mut() = Rc::new(limits);
    }

    /// What downstream clients are held to.
    pub(crate) fn downstream_limits(&self) -> Rc<DownstreamLimits> {
        self.downstream.borrow().clone()
    }

    /// Bind every listener and start accepting. Errors if an address cannot be bound.
    pub async fn start(self: &Rc<Self>) -> io::Result<()> {
        for c in self.clusters.borrow().values() {
            c.start_outlier_timer();
        }
        // After the listeners, so a health check of this proxy's own listener finds it bound.
        for (i, l) in self.cfg.listeners.iter().enumerate() {
            let bound = self.platform.bind(l.address).await?;
            listener::spawn_accept_loop(self.clone(), i, bound);
        }
        let clusters: Vec<_> = self.clusters.borrow().values().cloned().collect();
        for c in clusters {
            c.start_health_checks();
        }
        Ok(())
    }

    /// The cluster named `name`, if the proxy has one now.
    pub fn cluster(&self, name: &str) -> Option<Rc<Cluster<P>>> {
        self.clusters.borrow().get(name).cloned()
    }

    /// Listener `index` as configured now.
    pub(crate) fn listener(&self, index: usize) -> Rc<ListenerConfig> {
        self.listeners.borrow()[index].clone()
    }

    /// The name of listener `index` as it is configured now.
    pub(crate) fn listener_name(&self, index: usize) -> Name {
        self.listener_names.borrow()[index].clone()
    }

    /// The node's name (`cfg.node`), shared.
    pub(crate) fn node(&self) -> Name {
        self.node.clone()
    }

    /// The HTTP connection manager stats of `prefix` (created on first use; the scope's name
    /// is allocated only then, not per request).
    pub(crate) fn hcm_stats(&self, prefix: &str) -> Rc<RefCell<HcmStats>> {
        scope(&self.hcm, prefix)
    }

    /// Count an idle timeout of listener `l` (see [`idle_timeout_stat`]).
    pub(crate) fn count_idle_timeout(&self, l: &ListenerConfig) {
        *self
            .idle_timeouts
            .borrow_mut()
            .entry(idle_timeout_stat(l))
            .or_default() += 1;
    }

    /// The TCP proxy stats of `prefix` (created on first use).
    pub(crate) fn tcp_stats(&self, prefix: &str) -> Rc<RefCell<TcpStats>> {
        scope(&self.tcp, prefix)
    }

    /// A control-plane push: clusters whose settings are unchanged get the new endpoint set
    /// (hosts keep their pools, outlier and health state); changed or new clusters are
    /// created afresh, a changed one continuing its predecessor's stats (requests in flight
    /// finish on the old one, whose timers and health checks stop); clusters no longer sent
    /// are removed and stop likewise; listeners keep their addresses and get their new route tables. Listeners
    /// the push adds or removes are not supported (the twin's listeners are fixed at start).
    /// A cluster the push creates derives its streams from `seed` and its name.
    pub fn apply(self: &Rc<Self>, cfg: &ProxyConfig, seed: u64) {
        let mut next = BTreeMap::new();
        for c in &cfg.clusters {
            let old = self.cluster(&c.name);
            let cluster = match old {
                Some(old) if same_settings(old.cfg(), c) => {
                    old.update_endpoints(&c.endpoints);
                    old
                }
                _ => {
                    let params = ClusterParams {
                        cfg: c.clone(),
                        envoy: &self.cfg.envoy,
                        platform: self.platform.clone(),
                        observer: self.observer.clone(),
                        proxy: self.cfg.node.clone(),
                        seed,
                    };
                    let fresh = Cluster::new(params, old.as_deref());
                    if let Some(old) = &old {
                        old.retire(Retirement::Replaced);
                    }
                    fresh.start();
                    fresh
                }
            };
            next.insert(c.name.clone(), cluster);
        }
        let before = std::mem::replace(&mut *self.clusters.borrow_mut(), next);
        for (name, old) in before {
            if !self.clusters.borrow().contains_key(&name) {
                old.retire(Retirement::Removed);
            }
        }
        let mut listeners = self.listeners.borrow_mut();
        let mut names = self.listener_names.borrow_mut();
        for (i, l) in self.cfg.listeners.iter().enumerate() {
            if let Some(new) = cfg.listeners.iter().find(|n| n.address == l.address) {
                listeners[i] = Rc::new(new.clone());
                if names[i] != new.name {
                    names[i] = Name::from(&new.name);
                }
            }
        }
    }

    /// Which worker takes a new downstream connection (the kernel's choice in Envoy).
    pub(crate) fn assign_worker(&self) -> u32 {
        let workers = self.cfg.workers.max(1);
        match self.cfg.envoy.listener_balance {
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
        // Real mode draws from the OS (ids must not repeat across restarts); the twin from
        // the proxy's seeded stream.
        let v: u128 = match self.platform.entropy() {
            Some(v) => v,
            None => self.rng.borrow_mut().random(),
        };
        format!("{v:032x}")
    }

    /// Each cluster's DEFAULT-priority circuit-breaker thresholds, by cluster name.
    pub fn circuit_breaker_limits(&self) -> BTreeMap<String, Thresholds> {
        self.clusters
            .borrow()
            .iter()
            .map(|(name, c)| (name.clone(), c.cfg().pool.thresholds))
            .collect()
    }

    /// Every stat of this proxy under Envoy's names.
    pub fn stats(&self) -> StatsSnapshot {
        let mut out = StatsWriter::default();
        for c in self.clusters.borrow().values() {
            c.write_stats(&mut out);
        }
        for (prefix, s) in self.hcm.borrow().iter() {
            s.borrow().write(prefix, &mut out);
        }
        for (prefix, s) in self.tcp.borrow().iter() {
            s.borrow().write(prefix, &mut out);
        }
        for (name, n) in self.idle_timeouts.borrow().iter() {
            out.counter(name.clone(), *n);
        }
        if *self.downstream.borrow().as_ref() != DownstreamLimits::default() {
            self.downstream_stats.write(&mut out);
        }
        out.finish()
    }
}

/// The stat an idle timeout of `l` counts in: the connection manager's
/// `downstream_rq_idle_timeout` (`source/common/http/conn_manager_impl.cc`
/// `ActiveStream::onIdleTimeout`) or the tcp_proxy's `idle_timeout`
/// (`source/common/tcp_proxy/tcp_proxy.cc` `Filter::onIdleTimeout`).
fn idle_timeout_stat(l: &ListenerConfig) -> String {
    match l.kind {
        ListenerKind::Http { .. } => format!("http.{}.downstream_rq_idle_timeout", l.stat_prefix),
        ListenerKind::Tcp { .. } => format!("tcp.{}.idle_timeout", l.stat_prefix),
    }
}

/// Whether `l` or one of its routes sets an idle timeout (listeners without one leave the
/// counter out, as every output did before idle timeouts were modelled).
fn has_idle_timeout(l: &ListenerConfig) -> bool {
    l.idle_timeout.is_some()
        || matches!(&l.kind, ListenerKind::Http { routes, .. } if routes.virtual_hosts().iter()
            .flat_map(|vh| &vh.routes)
            .any(|r| matches!(&r.action, Action::Route(a) if a.idle_timeout.is_some())))
}

/// Whether two cluster configurations differ only in their endpoints.
fn same_settings(a: &ClusterConfig, b: &ClusterConfig) -> bool {
    a.protocol == b.protocol
        && a.pool == b.pool
        && a.lb_policy == b.lb_policy
        && a.outlier_detection == b.outlier_detection
        && a.locality_weights == b.locality_weights
        && a.health_check == b.health_check
}

/// The stats scope `prefix` of `scopes`, created on first use.
fn scope<T: Default>(
    scopes: &RefCell<BTreeMap<String, Rc<RefCell<T>>>>,
    prefix: &str,
) -> Rc<RefCell<T>> {
    if let Some(s) = scopes.borrow().get(prefix) {
        return s.clone();
    }
    scopes
        .borrow_mut()
        .entry(prefix.to_string())
        .or_default()
        .clone()
}
