//! A cluster's outlier detector, run for the cluster: the router reports each attempt's
//! result, a timer sweeps every `interval` (phase = cluster creation), and every ejection or
//! unejection changes the host's health in every worker's load balancer and is traced.

use std::rc::Rc;

use meshtwin_model::event::{EventKind, OutlierAction};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cluster::Cluster;
use crate::health::flags::HealthFlag;
use crate::lb::HostId;
use meshtwin_model::topology::{EjectionTimeRule, EnvoySettings, MaxEjectionRule};

use crate::outlier::{Compat, Config, Detector, EjectionDurationRule, Event, Outcome};
use crate::platform::Platform;

/// The detector and its random stream (enforcement rolls, jitter).
pub struct OutlierState {
    pub detector: Detector,
    pub rng: ChaCha8Rng,
}

impl OutlierState {
    /// A detector over the cluster's endpoints, or `None` when the cluster has no outlier
    /// detection or its settings are unusable.
    pub fn for_cluster<P: Platform>(c: &Cluster<P>, envoy: &EnvoySettings) -> Option<Self> {
        let od = c.cfg.outlier_detection.as_ref()?;
        let compat = Compat {
            max_ejection: match envoy.max_ejection {
                MaxEjectionRule::Current => crate::outlier::MaxEjectionRule::Current,
                MaxEjectionRule::FirstHostExempt => {
                    crate::outlier::MaxEjectionRule::FirstHostExempt
                }
                MaxEjectionRule::AtLeastOne => crate::outlier::MaxEjectionRule::LegacyAtLeastOne,
            },
            ejection_duration: match envoy.ejection_time {
                EjectionTimeRule::Backoff => EjectionDurationRule::Backoff,
                EjectionTimeRule::BackoffSweepDecay => EjectionDurationRule::BackoffSweepDecay,
                EjectionTimeRule::Linear => EjectionDurationRule::LegacyLinear,
            },
        };
        let cfg = Config::from_model(od, compat).ok()?;
        let hosts = c
            .members
            .borrow()
            .iter()
            .map(|i| HostId(*i as u32))
            .collect::<Vec<_>>();
        Some(Self {
            detector: Detector::new(cfg, hosts),
            rng: ChaCha8Rng::seed_from_u64(c.seed.rotate_left(17) ^ 0x6f75_746c_6965_7221),
        })
    }
}

impl<P: Platform> Cluster<P> {
    /// Report an attempt's result on endpoint `ep` (never a local overflow).
    pub fn report_outcome(&self, ep: usize, outcome: Outcome) {
        let events = {
            let mut o = self.outlier.borrow_mut();
            let Some(o) = o.as_mut() else { return };
            let now = self.platform.now();
            o.detector
                .report(HostId(ep as u32), outcome, now, &mut o.rng)
        };
        self.apply_outlier_events(events);
    }

    /// Start the interval sweep (a no-op without outlier detection).
    pub fn start_outlier_timer(self: &Rc<Self>) {
        let Some(interval) = self
            .outlier
            .borrow()
            .as_ref()
            .map(|o| o.detector.interval())
        else {
            return;
        };
        let c = self.clone();
        self.platform.spawn(Box::pin(async move {
            loop {
                c.platform.sleep(interval).await;
                let events = {
                    let mut o = c.outlier.borrow_mut();
                    let o = o.as_mut().expect("the timer runs only with a detector");
                    let now = c.platform.now();
                    o.detector.on_interval(now, &mut o.rng)
                };
                c.apply_outlier_events(events);
            }
        }));
    }

    /// Carry out the detector's decisions: `FAILED_OUTLIER_CHECK` (hence health in every
    /// worker's balancer), and the trace.
    pub(crate) fn apply_outlier_events(&self, events: Vec<Event>) {
        for e in events {
            let (host, action, reason, ms, health) = match e {
                Event::Ejected {
                    host,
                    reason,
                    duration,
                    ..
                } => {
                    let ms = duration.as_micros() as f64 / 1000.0;
                    (
                        host,
                        OutlierAction::Ejected,
                        reason.into(),
                        Some(ms),
                        Some(true),
                    )
                }
                Event::Unejected { host, reason } => (
                    host,
                    OutlierAction::Unejected,
                    reason.into(),
                    None,
                    Some(false),
                ),
                Event::NotEnforced { host, reason } => {
                    (host, OutlierAction::NotEnforced, reason.into(), None, None)
                }
                Event::Overflow { host, reason } => {
                    (host, OutlierAction::Overflow, reason.into(), None, None)
                }
            };
            if let Some(ejected) = health {
                self.set_host_flag(host, HealthFlag::FailedOutlierCheck, ejected);
            }
            self.observer.event(
                self.platform.now(),
                EventKind::Outlier {
                    proxy: self.proxy.clone(),
                    cluster: self.cfg.name.clone(),
                    host: self.endpoint(host.0 as usize).hostname,
                    action,
                    reason,
                    ejection_ms: ms,
                },
            );
        }
    }
}
