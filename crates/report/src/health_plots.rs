//! The run's host-health and failover outputs: `ejections.{svg,png,json}` (ejected intervals
//! per host), `failover.{svg,png,json}` (each load's traffic share per upstream locality and
//! cluster, with fault and ejection markers).

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_model::event::{EventKind, HealthAction, OutlierAction, TraceEvent};
use meshtwin_model::run::RunResult;

use crate::ejections::{lanes, Ejections};
use crate::failover::{
    bucket_ms, failover_panels, Hosts, Place, Placer, SharesByLoad, WorthPlotting,
};
use crate::output::{write_lanes, write_marked_plot};
use crate::plot::{Marker, MarkerKind, RunLabel};

/// Markers drawn at most per kind (a long run can eject thousands of times).
const MAX_MARKERS: usize = 500;

/// A marker per fault, and per host leaving rotation (at most [`MAX_MARKERS`] of each; faults
/// first), collected in one walk shared with other consumers.
#[derive(Debug, Default)]
struct Markers {
    faults: Vec<Marker>,
    ejections: Vec<Marker>,
}

impl Markers {
    fn visit(&mut self, e: &TraceEvent) {
        let (kind, label) = match &e.kind {
            EventKind::Fault { action, target, .. } => {
                (MarkerKind::Fault, format!("{action} {target}"))
            }
            EventKind::Outlier {
                host,
                action: OutlierAction::Ejected,
                ..
            }
            | EventKind::HealthCheck {
                host,
                action: HealthAction::Unhealthy,
                ..
            } => (MarkerKind::Ejection, host.clone()),
            _ => return,
        };
        let kept = match kind {
            MarkerKind::Fault => &mut self.faults,
            _ => &mut self.ejections,
        };
        if kept.len() < MAX_MARKERS {
            kept.push(Marker {
                t_ms: e.t_ms,
                kind,
                label,
            });
        }
    }

    fn finish(self) -> Vec<Marker> {
        self.faults.into_iter().chain(self.ejections).collect()
    }
}

/// What the health plots read from the trace, in a walk shared with other consumers:
/// [`HealthWalk::visit`] each event in order, then hand it to [`write_plots`].
pub struct HealthWalk<'a> {
    ejections: Ejections,
    markers: Markers,
    shares: SharesByLoad<'a>,
    worth: WorthPlotting,
}

impl<'a> HealthWalk<'a> {
    /// The plots of run `r`, its upstreams placed with `pods`, then `hosts`' localities.
    pub fn new(r: &RunResult, pods: &'a BTreeMap<String, Place>, hosts: &'a Hosts) -> Self {
        let end_ms = r.end.as_micros() as f64 / 1000.0;
        Self {
            ejections: Ejections::default(),
            markers: Markers::default(),
            shares: SharesByLoad::new(Placer::new(pods, hosts), bucket_ms(end_ms)),
            worth: WorthPlotting::default(),
        }
    }

    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        self.ejections.visit(e);
        self.markers.visit(e);
        self.shares.visit(e);
        self.worth.visit(e);
    }
}

/// Writes the ejections plot (when any host changed health) and the failover plot (when
/// there is more than one locality, or a fault or ejection) into `dir`; `walked`: the run's
/// trace walked.
pub fn write_plots(
    dir: &Path,
    run: &RunLabel,
    r: &RunResult,
    walked: HealthWalk<'_>,
) -> std::io::Result<()> {
    let end_ms = r.end.as_micros() as f64 / 1000.0;
    if walked.ejections.any_host_health {
        let lanes = lanes(&walked.ejections.finish());
        write_lanes(
            dir,
            run,
            "ejections",
            "Hosts out of rotation, per proxy and cluster",
            &lanes,
            end_ms,
        )?;
    }
    let loads = walked.shares.finish();
    if !loads.is_empty() && walked.worth.finish(&loads) {
        let panels = failover_panels(&loads);
        write_marked_plot(
            dir,
            run,
            "failover",
            "Where each load's requests were served, over virtual time",
            &panels,
            &walked.markers.finish(),
        )?;
    }
    Ok(())
}
