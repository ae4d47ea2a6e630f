//! The run's host-health and failover outputs: `ejections.{svg,png,json}` (ejected intervals
//! per host), `failover.{svg,png,json}` (each load's traffic share per upstream locality and
//! cluster, with fault and ejection markers).

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_model::event::{EventKind, HealthAction, OutlierAction};
use meshtwin_model::run::RunResult;
use meshtwin_model::trace::EventSource;

use crate::ejections::{ejections, has_host_health_events, lanes};
use crate::failover::{bucket_ms, failover_panels, shares_by_load, worth_plotting, Place};
use crate::output::{write_lanes, write_marked_plot};
use crate::plot::{Marker, MarkerKind, RunLabel};

/// Markers drawn at most per kind (a long run can eject thousands of times).
const MAX_MARKERS: usize = 500;

/// A marker per fault, and per host leaving rotation.
fn markers(events: &dyn EventSource) -> Vec<Marker> {
    let faults = events.events().filter_map(|e| match &e.kind {
        EventKind::Fault { action, target, .. } => Some(Marker {
            t_ms: e.t_ms,
            kind: MarkerKind::Fault,
            label: format!("{action} {target}"),
        }),
        _ => None,
    });
    let ejections = events.events().filter_map(|e| {
        match &e.kind {
            EventKind::Outlier {
                host,
                action: OutlierAction::Ejected,
                ..
            } => Some(host),
            EventKind::HealthCheck {
                host,
                action: HealthAction::Unhealthy,
                ..
            } => Some(host),
            _ => None,
        }
        .map(|host| Marker {
            t_ms: e.t_ms,
            kind: MarkerKind::Ejection,
            label: host.clone(),
        })
    });
    faults
        .take(MAX_MARKERS)
        .chain(ejections.take(MAX_MARKERS))
        .collect()
}

/// Writes the ejections plot (when any host changed health) and the failover plot (when
/// there is more than one locality, or a fault or ejection) into `dir`.
pub fn write_plots(
    dir: &Path,
    run: &RunLabel,
    r: &RunResult,
    places: &BTreeMap<String, Place>,
) -> std::io::Result<()> {
    let end_ms = r.end.as_micros() as f64 / 1000.0;
    if has_host_health_events(r.trace()) {
        let lanes = lanes(&ejections(r.trace()));
        write_lanes(
            dir,
            run,
            "ejections",
            "Hosts out of rotation, per proxy and cluster",
            &lanes,
            end_ms,
        )?;
    }
    let loads = shares_by_load(r.trace(), places, bucket_ms(end_ms));
    if !loads.is_empty() && worth_plotting(r.trace(), &loads) {
        let panels = failover_panels(&loads);
        write_marked_plot(
            dir,
            run,
            "failover",
            "Where each load's requests were served, over virtual time",
            &panels,
            &markers(r.trace()),
        )?;
    }
    Ok(())
}
