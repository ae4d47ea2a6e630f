//! Runs a cluster's [`HealthChecker`] (spec §5): one task per host on the platform, the first
//! check at once (Envoy's `initial_jitter` 0), the next after the delay the checker decides.
//! Each completed check sets the host's `FAILED_ACTIVE_HC` flag in the cluster, is traced when
//! the host's status changes, and is offered to the outlier detector, which unejects a host
//! whose check passed (`successful_active_health_check_uneject_host`, spec §5.3).

use std::rc::Rc;

use meshtwin_model::event::{EventKind, HealthAction};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::checker::{Completed, HealthChecker};
use super::config::Config;
use super::flags::HealthFlag;
use super::probe::{self, Conn};
use crate::cluster::Cluster;
use crate::lb::HostId;
use crate::platform::Platform;

/// The checker and its random stream (interval jitter).
pub struct HealthState {
    pub checker: HealthChecker,
    pub rng: ChaCha8Rng,
}

impl HealthState {
    /// A checker over the cluster's endpoints, or `None` when the cluster has no health check.
    /// Its stream is derived from the cluster's seed: no draw of the proxy's or the load
    /// balancers' streams moves.
    pub fn for_cluster<P: Platform>(c: &Cluster<P>) -> Option<Self> {
        let hc = c.cfg.health_check.as_ref()?;
        let hosts: Vec<HostId> = c
            .members
            .borrow()
            .iter()
            .map(|i| HostId(*i as u32))
            .collect();
        Some(Self {
            checker: HealthChecker::new(Config::from_model(hc), hosts),
            rng: ChaCha8Rng::seed_from_u64(c.seed.rotate_left(29) ^ 0x6865_616c_7468_6863),
        })
    }
}

impl<P: Platform> Cluster<P> {
    /// Start one check loop per host (a no-op without a health checker).
    pub fn start_health_checks(self: &Rc<Self>) {
        let hosts = match self.health_checker.borrow().as_ref() {
            Some(h) => h.checker.hosts(),
            None => return,
        };
        for host in hosts {
            let c = self.clone();
            self.platform
                .spawn(Box::pin(async move { c.health_check_loop(host).await }));
        }
    }

    /// Start checking hosts a control-plane push added (a no-op without a health checker).
    pub fn start_health_checks_for(self: &Rc<Self>, hosts: &[HostId]) {
        if let Some(h) = self.health_checker.borrow_mut().as_mut() {
            for host in hosts {
                h.checker.add_host(*host);
            }
        } else {
            return;
        }
        for host in hosts.iter().copied() {
            let c = self.clone();
            self.platform
                .spawn(Box::pin(async move { c.health_check_loop(host).await }));
        }
    }

    async fn health_check_loop(self: Rc<Self>, host: HostId) {
        let endpoint = self.endpoint(host.0 as usize);
        let (cfg, first) = {
            let mut hc = self.health_checker.borrow_mut();
            let Some(h) = hc.as_mut() else { return };
            let first = h.checker.config().initial_delay(&mut h.rng);
            (h.checker.config().clone(), first)
        };
        if !first.is_zero() {
            self.platform.sleep(first).await;
        }
        let addr = probe::target(endpoint.address, &cfg);
        let mut conn: Option<Conn> = None;
        loop {
            // A host the control plane removed stops being checked.
            if !self.members.borrow().contains(&(host.0 as usize)) {
                if let Some(h) = self.health_checker.borrow_mut().as_mut() {
                    h.checker.remove_host(host);
                }
                return;
            }
            if let Some(h) = self.health_checker.borrow_mut().as_mut() {
                h.checker.on_attempt();
            }
            let result = probe::check(&self.platform, &cfg, addr, &self.cfg.name, &mut conn).await;
            let had_traffic = self.shared.borrow().stats.cluster.upstream_cx_total > 0;
            let done = {
                let mut hc = self.health_checker.borrow_mut();
                let Some(h) = hc.as_mut() else { return };
                h.checker.on_result(host, &result, had_traffic, &mut h.rng)
            };
            // The host left the cluster while its check ran.
            let Some(done) = done else { return };
            let next = done.next_in;
            self.apply_health_check(done);
            self.platform.sleep(next).await;
        }
    }

    /// Carry out a completed check: the host's flag, the trace, and §5.3's unejection.
    fn apply_health_check(&self, done: Completed) {
        let now = self.platform.now();
        self.set_host_flag(done.host, HealthFlag::FailedActiveHc, done.failed_active_hc);
        if let Some(change) = done.event {
            self.observer.event(
                now,
                EventKind::HealthCheck {
                    proxy: self.proxy.clone(),
                    cluster: self.cfg.name.clone(),
                    host: self.endpoint(change.host.0 as usize).hostname,
                    action: if change.healthy {
                        HealthAction::Healthy
                    } else {
                        HealthAction::Unhealthy
                    },
                    reason: change.reason,
                },
            );
        }
        let uneject = self.outlier.borrow_mut().as_mut().and_then(|o| {
            o.detector
                .on_health_check(done.host, done.passed, done.failed_active_hc, now)
        });
        if let Some(e) = uneject {
            self.apply_outlier_events(vec![e]);
        }
    }
}
