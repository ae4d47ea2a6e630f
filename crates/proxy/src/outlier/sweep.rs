//! The detector's interval timer (Envoy's `onIntervalTimer`, `source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::onIntervalTimer`): unejection, closing
//! the success-rate buckets, success-rate / failure-percentage detection and back-off decay.
//!
//! Hosts are visited in [`HostId`](crate::lb::HostId) order (Envoy walks a hash map), so which
//! outlier wins the last slot under `max_ejection_percent` is deterministic.

use std::time::Duration;

use rand::RngCore;

use super::config::{Config, EjectionDurationRule};
use super::detector::Detector;
use super::ejection::{self, EjectionType};
use super::event::{Event, UnejectReason};
use super::monitor::{Monitor, Origin};
use super::success_rate::{find_outliers, Sample};

impl Detector {
    /// Run one sweep at `now`. Call it every [`Detector::interval`] from cluster creation.
    ///
    /// Only the hosts listed since the last sweep are visited (see [`super::monitors`]): every
    /// other host is one each step below would leave exactly as it is, so the events, the
    /// random draws and every host's state are those of Envoy's walk over every host.
    pub fn on_interval<R: RngCore + ?Sized>(&mut self, now: Duration, rng: &mut R) -> Vec<Event> {
        if self.hosts.listed().is_empty() {
            // No host to visit: no sample, hence no success-rate figure either.
            self.success_rate = [None, None];
            return Vec::new();
        }
        let sweep_decay =
            self.cfg.compat.ejection_duration == EjectionDurationRule::BackoffSweepDecay;
        let mut due = Vec::new();
        let listed = self.hosts.listed().len();
        for i in 0..listed {
            let host = self.hosts.listed()[i];
            let m = self.hosts.listed_mut(host);
            if m.ejected && ejection_over(&self.cfg, m, now) {
                due.push(host);
            } else if sweep_decay && !m.ejected {
                // Envoy 1.17–1.27 `checkHostForUneject`: a host found in service decays at
                // once, whether or not it has served for an interval (envoy issue #21142).
                m.backoff = m.backoff.saturating_sub(1);
            }
            m.external.swap();
            m.local.swap();
        }
        // Unejection touches neither the buckets nor another host: events stay in host order.
        let mut events: Vec<Event> = (due.into_iter())
            .map(|host| self.uneject(host, now, UnejectReason::Timer))
            .collect();
        for origin in [Origin::External, Origin::Local] {
            events.extend(self.detect(origin, now, rng));
        }
        if !sweep_decay {
            self.decay_backoff(now);
        }
        self.hosts.prune(Monitor::sweep_has_work);
        events
    }

    /// Envoy 1.28+ (PR #29711): after detection, decay the back-off of every host in service
    /// that was unejected at least one interval ago.
    fn decay_backoff(&mut self, now: Duration) {
        let interval = self.cfg.interval;
        for i in 0..self.hosts.listed().len() {
            let host = self.hosts.listed()[i];
            let m = self.hosts.listed_mut(host);
            if !m.ejected
                && m.last_unejection
                    .is_some_and(|t| now.saturating_sub(t) >= interval)
            {
                m.backoff = m.backoff.saturating_sub(1);
            }
        }
    }

    /// `processSuccessRateEjections` for one origin.
    fn detect<R: RngCore + ?Sized>(
        &mut self,
        origin: Origin,
        now: Duration,
        rng: &mut R,
    ) -> Vec<Event> {
        // A host with a sample has a result in its closed bucket, hence is listed.
        let hosts = &self.hosts;
        let samples: Vec<Sample> = (hosts.listed().iter())
            .filter_map(|&h| {
                let m = hosts.get(h)?;
                if m.ejected {
                    return None;
                }
                let (rate, volume) = m.accumulator(origin).rate_and_volume()?;
                Some(Sample {
                    host: h,
                    rate,
                    volume,
                })
            })
            .collect();
        let found = find_outliers(&self.cfg, origin, self.hosts.len(), &samples);
        self.success_rate[Self::origin_slot(origin)] = found.success_rate;
        let mut events = Vec::new();
        for (host, t) in found.hosts {
            if matches!(
                t,
                EjectionType::SuccessRate | EjectionType::SuccessRateLocalOrigin
            ) {
                self.stats.ejections_success_rate += 1;
            }
            self.stats.count_detected(t);
            // Envoy would eject a host twice when it is both a success-rate and a
            // failure-percentage outlier; a host carries the flag once.
            if !self.is_ejected(host) {
                events.push(self.eject_host(host, t, now, rng));
            }
        }
        events
    }
}

/// `checkHostForUneject`: whether the host's ejection time has passed.
fn ejection_over(cfg: &Config, m: &Monitor, now: Duration) -> bool {
    let since = now.saturating_sub(m.last_ejection.unwrap_or_default());
    let duration = ejection::ejection_duration(cfg, m.backoff, m.num_ejections, m.jitter);
    duration <= since
}
