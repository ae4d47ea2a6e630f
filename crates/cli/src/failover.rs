//! The run's host-health and failover outputs: `ejections.{svg,png,json}` (ejected intervals
//! per host), `failover.{svg,png,json}` (each load's traffic share per upstream locality and
//! cluster, with fault and ejection markers), and their summary.json fields.

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::topology::Topology;
use meshtwin_report::ejections::{ejections, has_host_health_events, lanes, Source};
use meshtwin_report::failover::{
    bucket_ms, failover_panels, failover_time, served_by_load, worth_plotting, Place,
};
use meshtwin_report::plot::{Marker, MarkerKind, RunLabel};
use meshtwin_sim::RunResult;
use serde_json::{json, Value};

use crate::output::{write_lanes, write_marked_plot};

/// Markers drawn at most per kind (a long run can eject thousands of times).
const MAX_MARKERS: usize = 500;

/// Where each pod runs, for the failover shares.
pub fn pod_places(topo: &Topology) -> BTreeMap<String, Place> {
    topo.pods()
        .into_iter()
        .map(|p| {
            let l = &p.locality;
            let mut parts = vec![l.region.as_str(), l.zone.as_str(), l.subzone.as_str()];
            while parts.last() == Some(&"") {
                parts.pop();
            }
            let place = Place {
                locality: parts.join("/"),
                cluster: p.cluster.clone(),
            };
            (p.name, place)
        })
        .collect()
}

/// A marker per fault, and per host leaving rotation.
fn markers(events: &[TraceEvent]) -> Vec<Marker> {
    let faults = events.iter().filter_map(|e| match &e.kind {
        EventKind::Fault { action, target, .. } => Some(Marker {
            t_ms: e.t_ms,
            kind: MarkerKind::Fault,
            label: format!("{action} {target}"),
        }),
        _ => None,
    });
    let ejections = events.iter().filter_map(|e| {
        match &e.kind {
            EventKind::Outlier { host, action, .. } if action == "ejected" => Some(host),
            EventKind::HealthCheck { host, action, .. } if action == "unhealthy" => Some(host),
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
    if has_host_health_events(&r.events) {
        let lanes = lanes(&ejections(&r.events));
        write_lanes(
            dir,
            run,
            "ejections",
            "Hosts out of rotation, per proxy and cluster",
            &lanes,
            end_ms,
        )?;
    }
    let served = served_by_load(&r.events, places);
    if !served.is_empty() && worth_plotting(&r.events, &served) {
        let panels = failover_panels(&served, bucket_ms(end_ms));
        write_marked_plot(
            dir,
            run,
            "failover",
            "Where each load's requests were served, over virtual time",
            &panels,
            &markers(&r.events),
        )?;
    }
    Ok(())
}

/// summary.json's `ejections`: every outlier ejection, in proxy, cluster, host, time order.
pub fn ejections_json(events: &[TraceEvent]) -> Value {
    let list: Vec<Value> = ejections(events)
        .into_iter()
        .filter(|e| e.source == Source::Outlier)
        .map(|e| {
            json!({
                "proxy": e.proxy,
                "cluster": e.cluster,
                "host": e.host,
                "ejected_at_ms": e.ejected_at_ms,
                "unejected_at_ms": e.unejected_at_ms,
                "reason": e.reason,
            })
        })
        .collect();
    Value::Array(list)
}

/// Per load, its failover (`null` when its traffic never left its starting locality).
pub fn failover_json(
    events: &[TraceEvent],
    places: &BTreeMap<String, Place>,
) -> BTreeMap<String, Value> {
    served_by_load(events, places)
        .into_iter()
        .map(|(load, served)| (load, json!(failover_time(&served))))
        .collect()
}
