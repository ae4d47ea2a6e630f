//! Each pod's state as the timeline changes it: one [`PodState`] per pod.

use std::collections::{BTreeMap, BTreeSet};

use meshtwin_model::topology::Pod;

/// A pod during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    /// Not a network host: no load or call can reach it under any policy set of the run, so
    /// nothing runs there; it stays in the endpoint sets (every route already leaves it out).
    NotAHost,
    /// Its processes run and it is in the endpoint sets.
    Running,
    /// Crashed or scaled away: nothing runs, and it leaves the endpoint sets at the next push.
    Stopped,
}

/// Every pod's state, by pod name.
pub struct PodStates(BTreeMap<String, PodState>);

impl PodStates {
    /// At the start: the `live` pods running, the others not hosts.
    pub fn new(pods: &[Pod], live: &BTreeSet<String>) -> Self {
        Self(
            pods.iter()
                .map(|p| {
                    let state = if live.contains(&p.name) {
                        PodState::Running
                    } else {
                        PodState::NotAHost
                    };
                    (p.name.clone(), state)
                })
                .collect(),
        )
    }

    /// Move a host pod to `to` and return its state before; a pod that is not a host (or not
    /// a pod) keeps its state.
    pub fn set(&mut self, pod: &str, to: PodState) -> Option<PodState> {
        let state = self.0.get_mut(pod)?;
        let before = *state;
        if before != PodState::NotAHost {
            *state = to;
        }
        Some(before)
    }

    /// Whether `pod`'s processes run.
    pub fn running(&self, pod: &str) -> bool {
        self.0.get(pod) == Some(&PodState::Running)
    }

    /// The pods endpoint sets list now: all but the stopped ones.
    pub fn endpoints(&self, pods: &[Pod]) -> Vec<Pod> {
        pods.iter()
            .filter(|p| self.0.get(&p.name) != Some(&PodState::Stopped))
            .cloned()
            .collect()
    }
}
