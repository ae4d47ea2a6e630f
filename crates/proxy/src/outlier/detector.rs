//! The detector of one cluster (Envoy's `DetectorImpl`): per-host monitors, consecutive-error
//! ejection on every reported result, and the shared `ejectHost` rule (`source/common/router/router.cc` `Filter::onUpstreamHeaders` / `onUpstreamReset` (`putResult`)).

use std::time::Duration;

use rand::RngCore;

use super::config::Config;
use super::ejection::{self, EjectionType};
use super::event::{Event, LocalOrigin, Outcome, UnejectReason};
use super::monitor::{Monitor, Origin};
use super::monitors::Monitors;
use super::stats::OutlierStats;
use super::success_rate::SuccessRateNums;
use crate::lb::HostId;

/// One cluster's outlier detector.
#[derive(Debug, Clone)]
pub struct Detector {
    pub(crate) cfg: Config,
    pub(crate) hosts: Monitors,
    pub(crate) stats: OutlierStats,
    pub(crate) success_rate: [Option<SuccessRateNums>; 2],
}

impl Detector {
    /// A detector watching `hosts` (all priorities of the cluster).
    pub fn new(cfg: Config, hosts: impl IntoIterator<Item = HostId>) -> Self {
        Self {
            cfg,
            hosts: Monitors::new(hosts),
            stats: OutlierStats::default(),
            success_rate: [None, None],
        }
    }

    /// The settings it runs with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The sweep period: call [`Detector::on_interval`] this often, from cluster creation.
    pub fn interval(&self) -> Duration {
        self.cfg.interval
    }

    /// Whether a sweep now would change nothing: no host listed (see [`super::monitors`]) and
    /// no success-rate figure left to clear. Only [`Detector::report`] and an unejection can
    /// end this (both list a host); adding or removing a host cannot.
    pub fn is_quiescent(&self) -> bool {
        self.hosts.listed().is_empty() && self.success_rate.iter().all(Option::is_none)
    }

    /// Start watching a host (EDS added it).
    pub fn add_host(&mut self, host: HostId) {
        self.hosts.add(host);
    }

    /// Stop watching a host; an ejected one leaves `ejections_active`.
    pub fn remove_host(&mut self, host: HostId) {
        if self.hosts.remove(host).is_some_and(|m| m.ejected) {
            self.stats.ejections_active.dec();
        }
    }

    /// Feed the result of one attempt on `host`. Ejections for consecutive errors happen here.
    pub fn report<R: RngCore + ?Sized>(
        &mut self,
        host: HostId,
        outcome: Outcome,
        now: Duration,
        rng: &mut R,
    ) -> Vec<Event> {
        let cfg = &self.cfg;
        let Some(m) = self.hosts.touch(host) else {
            return Vec::new(); // removed while the request was in flight
        };
        let fired: Vec<EjectionType> = match (outcome, cfg.split_external_local_origin_errors) {
            (Outcome::Http(code), _) => m.put_http_code(code, cfg),
            (Outcome::Local(LocalOrigin::ConnectSuccess), false) => Vec::new(),
            (Outcome::Local(LocalOrigin::Timeout), false) => m.put_http_code(504, cfg),
            (Outcome::Local(_), false) => m.put_http_code(503, cfg),
            (Outcome::Local(LocalOrigin::ConnectSuccess), true) => {
                m.local_success();
                Vec::new()
            }
            (Outcome::Local(_), true) => m.local_failure(cfg).into_iter().collect(),
        };
        fired
            .into_iter()
            .filter_map(|t| self.on_consecutive_error(host, t, now, rng))
            .collect()
    }

    /// Envoy's `onConsecutiveErrorWorker`: an ejected host keeps counting and is left alone;
    /// otherwise the counter is reset whether or not the ejection happened.
    fn on_consecutive_error<R: RngCore + ?Sized>(
        &mut self,
        host: HostId,
        t: EjectionType,
        now: Duration,
        rng: &mut R,
    ) -> Option<Event> {
        if self.hosts.get(host).is_none_or(|m| m.ejected) {
            return None;
        }
        self.stats.count_detected(t);
        let event = self.eject_host(host, t, now, rng);
        if t == EjectionType::Consecutive5xx {
            self.stats.ejections_consecutive_5xx += 1;
        }
        if let Some(m) = self.hosts.touch(host) {
            m.reset_consecutive(t);
        }
        Some(event)
    }

    /// Envoy's `ejectHost`: the max-percent check, the enforcement roll, then the ejection.
    pub(crate) fn eject_host<R: RngCore + ?Sized>(
        &mut self,
        host: HostId,
        t: EjectionType,
        now: Duration,
        rng: &mut R,
    ) -> Event {
        let active = self.stats.ejections_active.value();
        if !ejection::within_max_ejection_percent(active, self.hosts.len() as u64, &self.cfg) {
            self.stats.ejections_overflow += 1;
            return Event::Overflow { host, reason: t };
        }
        if matches!(t, EjectionType::Consecutive5xx | EjectionType::SuccessRate) {
            self.stats.ejections_total += 1;
        }
        if !ejection::roll_percent(t.enforcing(&self.cfg), rng) {
            return Event::NotEnforced { host, reason: t };
        }
        self.stats.ejections_active.inc();
        self.stats.count_enforced(t);
        let jitter = ejection::draw_jitter(&self.cfg, rng);
        let cfg = &self.cfg;
        let m = self.hosts.touch(host).expect("ejecting a watched host");
        m.ejected = true;
        m.num_ejections += 1;
        m.last_ejection = Some(now);
        m.jitter = jitter;
        if ejection::backoff_may_grow(cfg, m.backoff) {
            m.backoff += 1;
        }
        let duration = ejection::ejection_duration(cfg, m.backoff, m.num_ejections, jitter);
        Event::Ejected {
            host,
            reason: t,
            num_ejections: m.num_ejections,
            duration,
        }
    }

    /// Bring a host back: clear the flag, reset every consecutive counter.
    pub(crate) fn uneject(&mut self, host: HostId, now: Duration, reason: UnejectReason) -> Event {
        self.stats.ejections_active.dec();
        let m = self.hosts.touch(host).expect("unejecting a watched host");
        m.ejected = false;
        m.consecutive_5xx = 0;
        m.consecutive_gateway_failure = 0;
        m.consecutive_local_origin_failure = 0;
        m.last_unejection = Some(now);
        Event::Unejected { host, reason }
    }

    /// An active health check of `host` completed (`passed`: this check succeeded). With
    /// `successful_active_health_check_uneject_host`, a passing check unejects a host that is
    /// outlier-ejected but not `FAILED_ACTIVE_HC` (Envoy ≥ ~1.30, `source/common/upstream/outlier_detection_impl.cc` `successful_active_health_check_uneject_host`).
    pub fn on_health_check(
        &mut self,
        host: HostId,
        passed: bool,
        failed_active_hc: bool,
        now: Duration,
    ) -> Option<Event> {
        let ejected = self.is_ejected(host);
        (self.cfg.successful_active_health_check_uneject_host
            && passed
            && !failed_active_hc
            && ejected)
            .then(|| self.uneject(host, now, UnejectReason::ActiveHealthCheck))
    }

    /// Whether `host` carries `FAILED_OUTLIER_CHECK`.
    pub fn is_ejected(&self, host: HostId) -> bool {
        self.hosts.get(host).is_some_and(|m| m.ejected)
    }

    /// The ejected hosts, in host order.
    pub fn ejected_hosts(&self) -> Vec<HostId> {
        // An ejected host is always listed for the next sweep.
        self.hosts.listed_where(|m| m.ejected)
    }

    /// One host's state.
    pub fn host(&self, host: HostId) -> Option<&Monitor> {
        self.hosts.get(host)
    }

    /// Continue the stats of the detector this one replaces (a CDS update keeps the stats
    /// scope): its counters go on; `ejections_active` loses the hosts `old` had ejected, as
    /// Envoy's `DetectorImpl::~DetectorImpl` takes them off.
    pub fn continue_stats(&mut self, old: &Detector) {
        let mine = self.stats.ejections_active.value();
        self.stats = old.stats.clone();
        for _ in old.ejected_hosts() {
            self.stats.ejections_active.dec();
        }
        for _ in 0..mine {
            self.stats.ejections_active.inc();
        }
    }

    /// Its `outlier_detection.*` stats.
    pub fn stats(&self) -> &OutlierStats {
        &self.stats
    }

    /// The success-rate mean and threshold the last sweep computed for external (or, in split
    /// mode, local) origin results; `None` when too few hosts had the volume.
    pub fn success_rate_nums(&self, local_origin: bool) -> Option<SuccessRateNums> {
        self.success_rate[usize::from(local_origin)]
    }

    pub(crate) fn origin_slot(origin: Origin) -> usize {
        usize::from(origin == Origin::Local)
    }
}
