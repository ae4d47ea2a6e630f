//! A cluster's outlier detector, run for the cluster: the router reports each attempt's
//! result, a timer sweeps every `interval` (phase = cluster creation), and every ejection or
//! unejection changes the host's health in every worker's load balancer and is traced.

use std::rc::{Rc, Weak};

use meshtwin_model::event::{EventKind, OutlierAction};

use crate::cluster::Cluster;
use crate::health::flags::HealthFlag;
use crate::lb::HostId;
use crate::outlier::{Event, Outcome};
use crate::platform::Platform;

impl<P: Platform> Cluster<P> {
    /// Report an attempt's result on endpoint `ep` (never a local overflow).
    /// A retired cluster hears nothing more: its hosts left with it.
    pub fn report_outcome(&self, ep: usize, outcome: Outcome) {
        if self.is_retired() {
            return;
        }
        let events = {
            let mut o = self.outlier.borrow_mut();
            let Some(o) = o.as_mut() else { return };
            let now = self.platform.now();
            o.engine.report(HostId(ep as u32), outcome, now, &mut o.rng)
        };
        self.apply_outlier_events(events);
    }

    /// Start the interval sweep (a no-op without outlier detection). The task holds the
    /// cluster weakly and ends at the first wake-up after the cluster is retired or dropped.
    pub(crate) fn start_outlier_timer(self: &Rc<Self>) {
        let Some(interval) = self.outlier.borrow().as_ref().map(|o| o.engine.interval()) else {
            return;
        };
        let weak: Weak<Self> = Rc::downgrade(self);
        let platform = self.platform.clone();
        self.platform.spawn(Box::pin(async move {
            loop {
                platform.sleep(interval).await;
                let Some(c) = weak.upgrade().filter(|c| !c.is_retired()) else {
                    return;
                };
                let events = {
                    let mut o = c.outlier.borrow_mut();
                    let o = o.as_mut().expect("the timer runs only with a detector");
                    o.engine.on_interval(platform.now(), &mut o.rng)
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
                    cluster: self.info.name().to_string(),
                    host: self.endpoint(host.0 as usize).hostname.to_string(),
                    action,
                    reason,
                    ejection_ms: ms,
                },
            );
        }
    }
}
