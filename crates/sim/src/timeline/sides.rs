//! The two sides of a `partition` or `link` entry, resolved to the hosts they name once, when
//! the run starts (the network's hosts never change during a run).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use meshtwin_model::scenario::TimelineAction;
use meshtwin_model::topology::Pod;

use crate::world::World;

/// The hosts on each side of a partition or degraded link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    pub from: BTreeSet<IpAddr>,
    pub to: BTreeSet<IpAddr>,
}

/// The sides of every `partition` / `link` entry of `world`'s timeline, by timeline index;
/// only the `live` pods (the network's hosts) can be on a side.
pub fn resolve(world: &World, live: &BTreeSet<String>) -> BTreeMap<usize, Sides> {
    let side = |name: &str| -> BTreeSet<IpAddr> {
        world
            .pods
            .iter()
            .filter(|p| live.contains(&p.name) && names(p, name))
            .map(|p| world.ip(&p.name))
            .collect()
    };
    world
        .scenario
        .timeline
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.action {
            TimelineAction::Partition { from, to, .. } | TimelineAction::Link { from, to, .. } => {
                Some((
                    i,
                    Sides {
                        from: side(from),
                        to: side(to),
                    },
                ))
            }
            _ => None,
        })
        .collect()
}

/// Whether a side written `side` includes `pod`: its name, workload, cluster, region or
/// `region/zone`.
fn names(pod: &Pod, side: &str) -> bool {
    pod.name == side
        || pod.workload == side
        || pod.cluster == side
        || pod.locality.region == side
        || format!("{}/{}", pod.locality.region, pod.locality.zone) == side
}
