//! A cluster's outlier detector, run for the cluster: the router reports each attempt's
//! result, a timer sweeps every `interval` (phase = cluster creation), and every ejection or
//! unejection changes the host's health in every worker's load balancer and is traced.
//!
//! A sweep of a quiescent detector ([`crate::outlier::Detector::is_quiescent`]) changes
//! nothing, so after a sweep that leaves the detector quiescent its ticker rests
//! ([`crate::platform::Rest`]): ticks pass without polling the task or touching the cluster,
//! until something lists a host again. Envoy's timer fires every interval regardless
//! (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::onIntervalTimer`); the
//! sweeps skipped are exactly the no-op ones, and the ticker resumes on the same phase.

use std::rc::{Rc, Weak};

use meshtwin_model::event::{EventKind, OutlierAction};

use crate::cluster::Cluster;
use crate::health::flags::HealthFlag;
use crate::lb::HostId;
use crate::outlier::{Detector, Event, Outcome};
use crate::platform::ticker::tick;
use crate::platform::{Platform, Rest};

/// The cluster's end of its sweep ticker's [`Rest`]: dropping the cluster ends the rest, so
/// the sweep task wakes at its next tick, finds the cluster gone and ends (a resting task
/// holds only this rest and a weak reference to the cluster).
#[derive(Default)]
pub(crate) struct SweepRest(pub(crate) Rc<Rest>);

impl Drop for SweepRest {
    fn drop(&mut self) {
        self.0.end();
    }
}

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
            let events = o.engine.report(HostId(ep as u32), outcome, now, &mut o.rng);
            self.note_outlier_work(&o.engine);
            events
        };
        self.apply_outlier_events(events);
    }

    /// Wake a resting sweep when `detector` has work again (a host listed). Every change to
    /// the detector outside a sweep goes through here or cannot list a host (adding or
    /// removing one).
    pub(crate) fn note_outlier_work(&self, detector: &Detector) {
        if !detector.is_quiescent() {
            self.sweep_rest.0.end();
        }
    }

    /// Start the interval sweep (a no-op without outlier detection). The task holds the
    /// cluster weakly and ends at the first tick after the cluster is retired or dropped
    /// (both end a rest, see [`SweepRest`]).
    pub(crate) fn start_outlier_timer(self: &Rc<Self>) {
        let Some(interval) = self.outlier.borrow().as_ref().map(|o| o.engine.interval()) else {
            return;
        };
        let weak: Weak<Self> = Rc::downgrade(self);
        let platform = self.platform.clone();
        let rest = self.sweep_rest.0.clone();
        let mut ticker = platform.ticker(interval, rest.clone());
        self.platform.spawn(Box::pin(async move {
            loop {
                tick(&mut *ticker).await;
                let Some(c) = weak.upgrade().filter(|c| !c.is_retired()) else {
                    return;
                };
                let events = {
                    let mut o = c.outlier.borrow_mut();
                    let o = o.as_mut().expect("the timer runs only with a detector");
                    o.engine.on_interval(platform.now(), &mut o.rng)
                };
                c.apply_outlier_events(events);
                let quiet = (c.outlier.borrow().as_ref()).is_some_and(|o| o.engine.is_quiescent());
                if quiet {
                    rest.start();
                }
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
