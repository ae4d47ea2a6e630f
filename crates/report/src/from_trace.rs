//! What judging a run reads from its trace ([`FromTrace`]), in as few walks as the results
//! allow: one shared by every consumer that needs a single pass, and one more for the loads'
//! failovers, which place each request with every endpoint set's localities.

use std::collections::BTreeMap;

use meshtwin_model::run::RunResult;
use meshtwin_model::topology::Topology;
use meshtwin_model::trace::walk_together;

use crate::ejections::{Ejection, Ejections};
use crate::failover::{failovers, Failover, Hosts, Place};
use crate::places::pod_workloads;
use crate::reach::Reach;
use crate::simulated::TimelineEntry;

/// What the judgement reads from a run's trace: each request's reached workloads, the
/// ejections, the faults and the endpoint sets' localities in one walk, then the loads'
/// failovers (a full trace only: they place every request) in a second.
pub struct FromTrace {
    pub reach: Reach,
    pub ejections: Vec<Ejection>,
    pub timeline: Vec<TimelineEntry>,
    pub failovers: BTreeMap<String, Failover>,
    /// The endpoint sets' localities (where upstreams that are no pods run).
    pub hosts: Hosts,
}

impl FromTrace {
    /// What run `r` on `topo` traced; `places` places each pod (for the failovers).
    pub fn read(r: &RunResult, topo: &Topology, places: &BTreeMap<String, Place>) -> Self {
        let workloads = pod_workloads(topo);
        let mut reach = Reach::new();
        let mut ejections = Ejections::default();
        let mut timeline = Vec::new();
        let mut hosts = Hosts::default();
        walk_together(
            r.trace(),
            &mut [
                &mut |e| reach.visit(e, &workloads),
                &mut |e| ejections.visit(e),
                &mut |e| timeline.extend(TimelineEntry::of(e)),
                &mut |e| hosts.visit(e),
            ],
        );
        let failovers = if r.trace_level.is_full() {
            failovers(r.trace(), places, &hosts)
        } else {
            BTreeMap::new()
        };
        FromTrace {
            reach,
            ejections: ejections.finish(),
            timeline,
            failovers,
            hosts,
        }
    }
}
