//! Runs a cluster's [`HealthChecker`] (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`): one task per host on the platform, the first
//! check at once (Envoy's `initial_jitter` 0), the next after the delay the checker decides.
//! Each completed check sets the host's `FAILED_ACTIVE_HC` flag in the cluster, is traced when
//! the host's status changes, and is offered to the outlier detector, which unejects a host
//! whose check passed (`successful_active_health_check_uneject_host`, `source/common/upstream/outlier_detection_impl.cc` `successful_active_health_check_uneject_host`).

use std::rc::{Rc, Weak};

use meshtwin_model::event::{EventKind, HealthAction};

use super::checker::Completed;
use super::flags::HealthFlag;
use super::probe::{self, Conn};
use crate::cluster::Cluster;
use crate::lb::HostId;
use crate::platform::Platform;

impl<P: Platform> Cluster<P> {
    /// Start one check loop per host (a no-op without a health checker).
    pub(crate) fn start_health_checks(self: &Rc<Self>) {
        let hosts = match self.health.borrow().as_ref() {
            Some(h) => h.engine.hosts(),
            None => return,
        };
        self.spawn_checks(&hosts);
    }

    /// Start checking hosts a control-plane push added (a no-op without a health checker).
    pub(crate) fn start_health_checks_for(self: &Rc<Self>, hosts: &[HostId]) {
        match self.health.borrow_mut().as_mut() {
            Some(h) => hosts.iter().for_each(|host| h.engine.add_host(*host)),
            None => return,
        }
        self.spawn_checks(hosts);
    }

    /// One task per host, holding the cluster weakly: it ends at its first wake-up after
    /// the cluster is retired or dropped.
    fn spawn_checks(self: &Rc<Self>, hosts: &[HostId]) {
        for host in hosts.iter().copied() {
            let weak = Rc::downgrade(self);
            let platform = self.platform.clone();
            self.platform.spawn(Box::pin(async move {
                health_check_loop(weak, platform, host).await
            }));
        }
    }

    /// The cluster, unless a push retired it (or it is gone).
    fn live(weak: &Weak<Self>) -> Option<Rc<Self>> {
        weak.upgrade().filter(|c| !c.is_retired())
    }

    /// Carry out a completed check: the host's flag, the trace, and `source/common/upstream/outlier_detection_impl.cc` `successful_active_health_check_uneject_host`'s unejection.
    fn apply_health_check(&self, done: Completed) {
        let now = self.platform.now();
        self.set_host_flag(done.host, HealthFlag::FailedActiveHc, done.failed_active_hc);
        if let Some(change) = done.event {
            self.observer.event(
                now,
                EventKind::HealthCheck {
                    proxy: self.proxy.clone(),
                    cluster: self.info.name().to_string(),
                    host: self.endpoint(change.host.0 as usize).hostname.to_string(),
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
            let e = (o.engine).on_health_check(done.host, done.passed, done.failed_active_hc, now);
            self.note_outlier_work(&o.engine);
            e
        });
        if let Some(e) = uneject {
            self.apply_outlier_events(vec![e]);
        }
    }
}

/// One host's checks: the first at once (or after `initial_jitter`), the next after the delay
/// the checker decides, until the host leaves the cluster or the cluster is retired.
async fn health_check_loop<P: Platform>(weak: Weak<Cluster<P>>, platform: P, host: HostId) {
    let (cfg, first, addr, name) = {
        let Some(c) = Cluster::live(&weak) else {
            return;
        };
        let mut hc = c.health.borrow_mut();
        let Some(h) = hc.as_mut() else { return };
        let first = h.engine.config().initial_delay(&mut h.rng);
        let cfg = h.engine.config().clone();
        let addr = probe::target(c.endpoint(host.0 as usize).address, &cfg);
        (cfg, first, addr, c.info.name().to_string())
    };
    if !first.is_zero() {
        platform.sleep(first).await;
    }
    let mut conn: Option<Conn> = None;
    loop {
        {
            let Some(c) = Cluster::live(&weak) else {
                return;
            };
            let mut hc = c.health.borrow_mut();
            let Some(h) = hc.as_mut() else { return };
            // A host the control plane removed stops being checked.
            if !c.hosts.borrow().contains(host) {
                h.engine.remove_host(host);
                return;
            }
            h.engine.on_attempt();
        }
        let result = probe::check(&platform, &cfg, addr, &name, &mut conn).await;
        let Some(c) = Cluster::live(&weak) else {
            return;
        };
        let had_traffic = c.info.had_traffic();
        let done = {
            let mut hc = c.health.borrow_mut();
            let Some(h) = hc.as_mut() else { return };
            h.engine.on_result(host, &result, had_traffic, &mut h.rng)
        };
        // The host left the cluster while its check ran.
        let Some(done) = done else { return };
        let next = done.next_in;
        c.apply_health_check(done);
        drop(c);
        platform.sleep(next).await;
    }
}
