//! Host sources (Envoy's `HostsSource`): which list of which priority a pick draws from. Round
//! robin cursors and schedulers are kept per source.

use super::host::{Entry, HostSet};
use super::priority::Availability;

/// Which list of a priority's hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceType {
    /// Every host (panic).
    All,
    Healthy,
    Degraded,
    /// Healthy hosts of the locality with this index (locality-weighted LB).
    LocalityHealthy(usize),
    LocalityDegraded(usize),
}

/// A list of hosts to pick from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    pub priority: usize,
    pub kind: SourceType,
}

impl Source {
    /// The healthy or degraded list of a priority.
    pub fn of(priority: usize, availability: Availability, locality: Option<usize>) -> Self {
        let kind = match (availability, locality) {
            (Availability::Healthy, None) => SourceType::Healthy,
            (Availability::Degraded, None) => SourceType::Degraded,
            (Availability::Healthy, Some(l)) => SourceType::LocalityHealthy(l),
            (Availability::Degraded, Some(l)) => SourceType::LocalityDegraded(l),
        };
        Source { priority, kind }
    }

    /// The hosts this source names.
    pub fn hosts(self, sets: &[HostSet]) -> &[Entry] {
        let Some(set) = sets.get(self.priority) else {
            return &[];
        };
        match self.kind {
            SourceType::All => &set.hosts,
            SourceType::Healthy => &set.healthy,
            SourceType::Degraded => &set.degraded,
            SourceType::LocalityHealthy(l) => set.localities.get(l).map_or(&[], |l| &l.healthy),
            SourceType::LocalityDegraded(l) => set.localities.get(l).map_or(&[], |l| &l.degraded),
        }
    }

    /// Every source of every priority, with its hosts.
    pub fn all(sets: &[HostSet]) -> Vec<(Source, &[Entry])> {
        let mut out = Vec::new();
        for (p, set) in sets.iter().enumerate() {
            let mut kinds = vec![SourceType::All, SourceType::Healthy, SourceType::Degraded];
            for l in 0..set.localities.len() {
                kinds.push(SourceType::LocalityHealthy(l));
                kinds.push(SourceType::LocalityDegraded(l));
            }
            for kind in kinds {
                let s = Source { priority: p, kind };
                out.push((s, s.hosts(sets)));
            }
        }
        out
    }
}

/// Whether every host of the list has the same weight (then no scheduler is needed).
pub fn weights_equal(hosts: &[Entry]) -> bool {
    hosts.windows(2).all(|w| w[0].weight == w[1].weight)
}
