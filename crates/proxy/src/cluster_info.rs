//! What every part of one cluster shares (Envoy's `ClusterInfoImpl`): its settings, its stats
//! scope `cluster.<name>.*` and its circuit breakers (`ResourceManagerImpl`). Callers say what
//! happened (`count_no_healthy_upstream`, `try_take_retry`, ...); this file alone knows which
//! counters and resources that touches.
//!
//! A cluster replaced by a control-plane push keeps its stats scope, as Envoy's
//! `ClusterManagerImpl::addOrUpdateCluster` does (the new `ClusterInfoImpl` generates its stats
//! from the same scope name, so every counter continues — including what requests still in
//! flight on the old cluster count after the push): see [`ClusterInfo::replacing`].

use std::cell::RefCell;
use std::rc::Rc;

use meshtwin_model::policy::UpstreamProtocol;

use crate::breaker::ResourceManager;
use crate::config::ClusterConfig;
use crate::health::HealthCheckStats;
use crate::outlier::stats::OutlierStats;
use crate::pool::engine::ClusterShared;
use crate::stats::{ClusterStatSet, ClusterStats, StatsWriter};

/// One cluster's settings, stats and circuit breakers.
pub struct ClusterInfo {
    pub cfg: ClusterConfig,
    /// Shared with every worker's connection pools (they charge it from the pool engine).
    shared: Rc<RefCell<ClusterShared>>,
    /// The resources and stats of the clusters of the same name this one replaced, oldest
    /// first: their counters are part of this cluster's scope.
    earlier: Vec<Rc<RefCell<ClusterShared>>>,
}

impl ClusterInfo {
    /// A new cluster with its own, empty stats scope.
    pub fn new(cfg: ClusterConfig) -> Self {
        let shared = ClusterShared::new(ResourceManager::new(&cfg.pool.thresholds));
        Self {
            cfg,
            shared: Rc::new(RefCell::new(shared)),
            earlier: Vec::new(),
        }
    }

    /// A cluster replacing `old` (a CDS update): its counters continue `old`'s, as Envoy's
    /// stats scope does (what `old` still counts while its requests in flight finish is
    /// included); its gauges and circuit breakers describe its own connections and requests.
    pub fn replacing(cfg: ClusterConfig, old: &ClusterInfo) -> Self {
        let mut info = Self::new(cfg);
        info.earlier = old.earlier.clone();
        info.earlier.push(old.shared.clone());
        info
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// Whether upstream connections speak HTTP/2 (the protocol, or Istio's `h2UpgradePolicy`).
    pub fn http2(&self) -> bool {
        self.cfg.protocol == UpstreamProtocol::Http2 || self.cfg.pool.h2_upgrade
    }

    /// A worker creates a connection pool for a host: taken from `max_connection_pools`.
    /// Panics if refused — the twin's `max_connection_pools` is Envoy's unlimited default
    /// (neither Istio nor App Mesh sets it), so a refusal is a bookkeeping bug.
    pub fn admit_pool(&self) {
        let admitted = self.shared.borrow_mut().try_create_pool();
        assert!(admitted, "an unlimited max_connection_pools refused a pool");
    }

    /// The resources and stats every worker's pools charge.
    pub(crate) fn pool_resources(&self) -> Rc<RefCell<ClusterShared>> {
        self.shared.clone()
    }

    /// Whether the retry circuit breaker (`max_retries`) has room for one more retry.
    pub fn retries_available(&self) -> bool {
        self.shared.borrow().rm.retries.can_create()
    }

    /// Take one slot of the retry budget (`max_retries`) for a retry about to be made, and
    /// count it (`upstream_rq_retry`). `None` when the breaker is full. The slot is given back
    /// when the returned value is dropped (Envoy's `RetryStateImpl` releases it when the retry
    /// it was taken for finishes).
    pub fn try_take_retry(&self) -> Option<RetrySlot> {
        let mut sh = self.shared.borrow_mut();
        if !sh.rm.retries.can_create() {
            return None;
        }
        sh.rm.retries.inc();
        sh.stats.cluster.upstream_rq_retry += 1;
        sh.sync_breaker_gauges();
        Some(RetrySlot {
            shared: self.shared.clone(),
        })
    }

    /// A retry was refused by the retry circuit breaker (`upstream_rq_retry_overflow`).
    pub fn count_retry_overflow(&self) {
        self.count(|c| c.upstream_rq_retry_overflow += 1);
    }

    /// A request ran out of retries (`upstream_rq_retry_limit_exceeded`).
    pub fn count_retry_limit_exceeded(&self) {
        self.count(|c| c.upstream_rq_retry_limit_exceeded += 1);
    }

    /// A retried request got an answer it keeps (`upstream_rq_retry_success`).
    pub fn count_retry_success(&self) {
        self.count(|c| c.upstream_rq_retry_success += 1);
    }

    /// An attempt hit its per-try timeout (`upstream_rq_per_try_timeout`).
    pub fn count_per_try_timeout(&self) {
        self.count(|c| c.upstream_rq_per_try_timeout += 1);
    }

    /// The route's global timeout fired (`upstream_rq_timeout`).
    pub fn count_request_timeout(&self) {
        self.count(|c| c.upstream_rq_timeout += 1);
    }

    /// The load balancer found no host (`upstream_cx_none_healthy`, 503 UH).
    pub fn count_no_healthy_upstream(&self) {
        self.count(|c| c.upstream_cx_none_healthy += 1);
    }

    /// Picks the load balancer made from a priority in panic (`lb_healthy_panic`).
    pub fn count_healthy_panic(&self, picks: u64) {
        self.count(|c| c.lb_healthy_panic += picks);
    }

    /// A request finished with `code`: `upstream_rq_<code>`, `upstream_rq_<class>xx` and
    /// `upstream_rq_completed`, charged together as Envoy's `Filter::chargeUpstreamCode` does.
    pub fn charge_completed(&self, code: u16) {
        self.shared.borrow_mut().stats.codes.charge(code);
    }

    /// An upstream answered `code` and the answer is retried: charged under `retry.`
    /// (`Filter::onUpstreamHeaders`), not as a completion.
    pub fn charge_retried(&self, code: u16) {
        self.shared.borrow_mut().stats.codes.charge_retried(code);
    }

    /// Open one TCP-proxy connection under `max_connections` (a hard limit for TCP: no
    /// queue). `false`, counting `upstream_cx_overflow`, when the breaker is full.
    pub fn try_open_tcp_connection(&self) -> bool {
        let mut sh = self.shared.borrow_mut();
        if !sh.rm.connections.can_create() {
            sh.stats.cluster.upstream_cx_overflow += 1;
            return false;
        }
        sh.rm.connections.inc();
        sh.stats.cluster.upstream_cx_total += 1;
        sh.stats.cluster.upstream_cx_active.inc();
        sh.sync_breaker_gauges();
        true
    }

    /// A TCP-proxy connection failed to connect (`upstream_cx_connect_fail`, and
    /// `upstream_cx_connect_timeout` when it timed out).
    pub fn count_tcp_connect_failure(&self, timed_out: bool) {
        self.count(|c| {
            c.upstream_cx_connect_fail += 1;
            c.upstream_cx_connect_timeout += u64::from(timed_out);
        });
    }

    /// A TCP-proxy connection opened by [`ClusterInfo::try_open_tcp_connection`] closed,
    /// destroyed `remote`ly (the upstream refused it or ended first) or locally, as Envoy's
    /// `reportUpstreamCxDestroy` charges it.
    pub fn close_tcp_connection(&self, remote: bool) {
        let mut sh = self.shared.borrow_mut();
        sh.rm.connections.dec();
        let cs = &mut sh.stats.cluster;
        cs.upstream_cx_active.dec();
        cs.upstream_cx_destroy += 1;
        if remote {
            cs.upstream_cx_destroy_remote += 1;
        } else {
            cs.upstream_cx_destroy_local += 1;
        }
        sh.sync_breaker_gauges();
    }

    /// Whether the cluster's scope ever counted an upstream connection (health checking's
    /// `no_traffic_interval` ends then: Envoy's `HealthCheckerImplBase::interval` reads the
    /// scope's `upstream_cx_total`, which a replaced cluster's connections count in).
    pub fn had_traffic(&self) -> bool {
        self.shared.borrow().stats.cluster.upstream_cx_total > 0
            || self
                .earlier
                .iter()
                .any(|e| e.borrow().stats.cluster.upstream_cx_total > 0)
    }

    /// The `cluster.<name>.*` counters (over every cluster this one continues) and gauges.
    pub fn stats(&self) -> ClusterStatSet {
        let mut set = self.shared.borrow().stats.clone();
        for e in &self.earlier {
            set.add_earlier(&e.borrow().stats);
        }
        set
    }

    /// Add `cluster.<name>.*` to a snapshot.
    pub fn write_stats(&self, out: &mut StatsWriter) {
        let prefix = ["cluster.", self.name(), "."].concat();
        self.write_scope(&prefix, out, None, None);
    }

    /// Add its stats and its detectors' under `prefix` (`cluster.<name>.`; see
    /// [`ClusterStatSet::write_scope`]): its own written as they are, unless earlier clusters'
    /// counters add to them.
    pub fn write_scope(
        &self,
        prefix: &str,
        out: &mut StatsWriter,
        health: Option<&HealthCheckStats>,
        outlier: Option<&OutlierStats>,
    ) {
        if self.earlier.is_empty() {
            (self.shared.borrow().stats).write_scope(prefix, out, health, outlier);
        } else {
            self.stats().write_scope(prefix, out, health, outlier);
        }
    }

    fn count(&self, f: impl FnOnce(&mut ClusterStats)) {
        f(&mut self.shared.borrow_mut().stats.cluster);
    }
}

/// One slot of a cluster's retry budget (`max_retries`), given back on drop.
#[must_use = "the retry slot is given back as soon as it is dropped"]
pub struct RetrySlot {
    shared: Rc<RefCell<ClusterShared>>,
}

impl Drop for RetrySlot {
    fn drop(&mut self) {
        let mut sh = self.shared.borrow_mut();
        sh.rm.retries.dec();
        sh.sync_breaker_gauges();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshtwin_model::policy::{LbPolicy, PoolSettings, Thresholds};

    fn cfg(name: &str) -> ClusterConfig {
        ClusterConfig {
            name: name.into(),
            endpoints: Vec::new().into(),
            protocol: UpstreamProtocol::Http1,
            pool: PoolSettings::istio_default(),
            lb_policy: LbPolicy::RoundRobin,
            outlier_detection: None,
            locality_weights: Default::default(),
            health_check: None,
        }
    }

    fn info(max_retries: u64) -> ClusterInfo {
        let mut cfg = cfg("c");
        cfg.pool.thresholds = Thresholds {
            max_retries,
            ..Thresholds::ISTIO_DEFAULT
        };
        ClusterInfo::new(cfg)
    }

    #[test]
    fn a_retry_slot_is_refused_when_the_budget_is_spent_and_given_back_on_drop() {
        let c = info(1);
        let slot = c.try_take_retry().expect("room for one retry");
        assert!(!c.retries_available());
        assert!(c.try_take_retry().is_none());
        drop(slot);
        assert!(c.retries_available());
        assert_eq!(c.stats().cluster.upstream_rq_retry, 1);
    }

    #[test]
    fn a_replacing_cluster_continues_the_counters_and_the_old_clusters_activity() {
        let old = info(3);
        assert!(old.try_open_tcp_connection());
        old.charge_completed(503);
        let new = ClusterInfo::replacing(cfg("c"), &old);
        // A request in flight on the old cluster finishes after the push.
        old.charge_completed(200);
        let set = new.stats();
        let s = &set.cluster;
        assert_eq!((s.upstream_cx_total, set.codes.completed()), (1, 2));
        // The old cluster's connection is still open, and still counted under the name.
        assert_eq!(s.upstream_cx_active.value(), 1);
        old.close_tcp_connection(true);
        assert_eq!(new.stats().cluster.upstream_cx_active.value(), 0);
        let mut out = StatsWriter::default();
        new.write_stats(&mut out);
        let out = out.finish();
        assert_eq!(out.counters["cluster.c.upstream_rq_503"], 1);
        assert_eq!(out.counters["cluster.c.upstream_rq_2xx"], 1);
    }

    #[test]
    fn istio_thresholds_publish_the_remaining_gauges_and_envoy_defaults_do_not() {
        let c = info(3);
        let slot = c.try_take_retry();
        c.admit_pool();
        let mut out = StatsWriter::default();
        c.write_stats(&mut out);
        let out = out.finish();
        let p = "cluster.c.circuit_breakers.default.";
        assert_eq!(out.gauges[&format!("{p}remaining_retries")], 2);
        assert_eq!(out.gauges[&format!("{p}remaining_cx")], 4_294_967_295);
        assert_eq!(out.gauges[&format!("{p}remaining_cx_pools")], u64::MAX - 1);
        assert_eq!(out.counters["cluster.c.upstream_cx_pool_overflow"], 0);
        assert_eq!(out.counters["cluster.c.lb_local_cluster_not_ok"], 0);
        drop(slot);

        let mut envoy = cfg("e");
        envoy.pool.thresholds = Thresholds::ENVOY_DEFAULT;
        let mut out = StatsWriter::default();
        ClusterInfo::new(envoy).write_stats(&mut out);
        let out = out.finish();
        assert!(
            !out.gauges.keys().any(|k| k.contains("remaining_")),
            "{out:?}"
        );
        assert!(out
            .gauges
            .contains_key("cluster.e.circuit_breakers.default.cx_pool_open"));
    }
}
