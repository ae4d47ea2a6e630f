//! The health checker of one cluster (Envoy's `HealthCheckerImplBase`): one [`Session`] per
//! host, the cluster's stats, and what each completed check means for the host (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`).

use std::time::Duration;

use rand::RngCore;

use super::config::{Config, Transition};
use super::session::{CheckResult, Session};
use super::stats::HealthCheckStats;
use crate::lb::HostId;

/// What a completed check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub host: HostId,
    pub transition: Transition,
    /// `FAILED_ACTIVE_HC` after the check.
    pub failed_active_hc: bool,
    /// The check's own result passed (Envoy's `HealthState` given to the outlier detector).
    pub passed: bool,
    /// Start the next check after this long.
    pub next_in: Duration,
    /// A change to trace: the host became healthy or unhealthy, or failed its first check.
    pub event: Option<Change>,
}

/// A host's health-check status change, for the trace (Envoy's health-check event log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub host: HostId,
    pub healthy: bool,
    /// `first check`, `2 consecutive successes`, `status 503`, `timeout`, ...
    pub reason: String,
}

/// One cluster's health checker.
#[derive(Debug, Clone)]
pub struct HealthChecker {
    cfg: Config,
    /// By host id (the host's slot in the cluster's `HostSet`); `None`: not checked.
    sessions: Vec<Option<Session>>,
    stats: HealthCheckStats,
}

impl HealthChecker {
    /// A checker over `hosts`; each starts `FAILED_ACTIVE_HC` (so the `healthy` gauge is 0).
    pub fn new(cfg: Config, hosts: impl IntoIterator<Item = HostId>) -> Self {
        let mut checker = Self {
            cfg,
            sessions: Vec::new(),
            stats: HealthCheckStats::default(),
        };
        for h in hosts {
            checker.add_host(h);
        }
        checker
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The hosts checked, in order.
    pub fn hosts(&self) -> Vec<HostId> {
        (self.sessions.iter().enumerate())
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| HostId(i as u32))
            .collect()
    }

    /// One host's session.
    pub fn session(&self, host: HostId) -> Option<&Session> {
        self.sessions.get(host.0 as usize)?.as_ref()
    }

    /// Whether `host` carries `FAILED_ACTIVE_HC` (a host not checked never does).
    pub fn failed(&self, host: HostId) -> bool {
        self.session(host).is_some_and(|s| s.failed_active_hc)
    }

    /// Continue the counters of the checker this one replaces (a CDS update keeps the stats
    /// scope); the `healthy` / `degraded` gauges count this checker's hosts.
    pub fn continue_stats(&mut self, old: &HealthChecker) {
        self.stats = HealthCheckStats {
            healthy: self.stats.healthy,
            degraded: self.stats.degraded,
            ..old.stats.clone()
        };
    }

    pub fn stats(&self) -> &HealthCheckStats {
        &self.stats
    }

    /// Start checking a host (EDS added it): `FAILED_ACTIVE_HC` until its first pass.
    pub fn add_host(&mut self, host: HostId) {
        let i = host.0 as usize;
        if self.sessions.len() <= i {
            self.sessions.resize_with(i + 1, || None);
        }
        self.sessions[i].get_or_insert_with(Session::default);
    }

    /// Stop checking a host (EDS removed it).
    pub fn remove_host(&mut self, host: HostId) {
        let gone = self
            .sessions
            .get_mut(host.0 as usize)
            .and_then(Option::take);
        if gone.is_some_and(|s| !s.failed_active_hc) {
            self.stats.healthy.dec();
        }
    }

    /// A check starts (`onIntervalBase`): `attempt++`; its deadline is `timeout`.
    pub fn on_attempt(&mut self) -> Duration {
        self.stats.attempt += 1;
        self.cfg.timeout
    }

    /// A check of `host` completed with `result`. `had_traffic`: the cluster has opened an
    /// upstream (pool) connection at some point. `None` when the host is no longer checked.
    pub fn on_result<R: RngCore + ?Sized>(
        &mut self,
        host: HostId,
        result: &CheckResult,
        had_traffic: bool,
        rng: &mut R,
    ) -> Option<Completed> {
        let session = self.sessions.get_mut(host.0 as usize)?.as_mut()?;
        let first = session.first_check;
        let before = session.failed_active_hc;
        let transition = if result.passed() {
            self.stats.success += 1;
            session.on_success(&self.cfg)
        } else {
            self.stats.failure += 1;
            if result.is_network() {
                self.stats.network_failure += 1;
            }
            session.on_failure(result, &self.cfg)
        };
        let after = session.failed_active_hc;
        let streak = session.num_healthy;
        match (before, after) {
            (true, false) => self.stats.healthy.inc(),
            (false, true) => self.stats.healthy.dec(),
            _ => {}
        }
        let event = match (before, after) {
            (true, false) if first => Some("first check".to_string()),
            (true, false) => Some(format!("{streak} consecutive successes")),
            (false, true) => Some(result.reason()),
            // Envoy logs a failed first check although the host was already failed.
            (true, true) if first => Some(format!("first check: {}", result.reason())),
            _ => None,
        }
        .map(|reason| Change {
            host,
            healthy: !after,
            reason,
        });
        let next_in = self
            .cfg
            .next_delay(result.passed(), transition, had_traffic, rng);
        Some(Completed {
            host,
            transition,
            failed_active_hc: after,
            passed: result.passed(),
            next_in,
            event,
        })
    }
}
