//! Envoy's `envoy.retry_priorities.previous_priorities` retry priority
//! (`source/extensions/retry/priority/previous_priorities/previous_priorities.cc`), what Istio
//! configures for `retryRemoteLocalities: true`: a retry's priority load leaves out the
//! priorities already attempted, so a retry goes to another locality although no host was
//! ejected.
//!
//! Every attempted host's priority is recorded (`onHostAttempted`, first attempt included).
//! `LoadBalancerBase::chooseHostSet` asks for the load on each retry pick
//! (`determinePriorityLoad`): with fewer attempts than `update_frequency` the original load;
//! every `update_frequency` attempts the attempted priorities are excluded and the load is
//! redistributed greedily over the rest by their availability (health × overprovisioning,
//! capped at 100, as the load balancer computes it); in between, the load computed last. When
//! every priority has been excluded the exclusions and attempts are forgotten and all
//! priorities count again; when nothing is available at all the original load is used.

use super::priority::PriorityLoad;

/// One request's `previous_priorities` state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousPriorities {
    update_frequency: usize,
    /// The priority of each host attempted, in order.
    attempted: Vec<u32>,
    excluded: Vec<bool>,
    /// The last adjusted (healthy, degraded) load.
    adjusted: Option<(Vec<u32>, Vec<u32>)>,
}

impl PreviousPriorities {
    /// `update_frequency` ≥ 1 (Envoy's config validation; Istio sets 2).
    pub fn new(update_frequency: u32) -> Self {
        Self {
            update_frequency: update_frequency.max(1) as usize,
            attempted: Vec::new(),
            excluded: Vec::new(),
            adjusted: None,
        }
    }

    /// An attempt went to a host of `priority`.
    pub fn on_host_attempted(&mut self, priority: u32) {
        self.attempted.push(priority);
    }

    /// The priority load a retry picks with (`determinePriorityLoad`); `None`: `original`.
    pub fn priority_load(&mut self, original: &PriorityLoad) -> Option<PriorityLoad> {
        let n = self.attempted.len();
        if n < self.update_frequency {
            return None;
        }
        if n.is_multiple_of(self.update_frequency) {
            let levels = original.health.len();
            if self.excluded.len() < levels {
                self.excluded.resize(levels, false);
            }
            for p in &self.attempted {
                if let Some(e) = self.excluded.get_mut(*p as usize) {
                    *e = true;
                }
            }
            if !self.adjust(original) {
                return None;
            }
        }
        let (healthy, degraded) = self.adjusted.clone()?;
        Some(PriorityLoad {
            healthy,
            degraded,
            ..original.clone()
        })
    }

    /// `adjustForAttemptedPriorities`: false when nothing is available at all.
    fn adjust(&mut self, original: &PriorityLoad) -> bool {
        let mut total = self.availability(original);
        if total.2 == 0 {
            self.excluded.iter_mut().for_each(|e| *e = false);
            self.attempted.clear();
            total = self.availability(original);
        }
        let (health, degraded, total) = total;
        if total == 0 {
            return false;
        }
        let mut healthy_load = vec![0; health.len()];
        let mut degraded_load = vec![0; degraded.len()];
        // Greedy in priority order, repeated until the rounding remainder is placed.
        let mut left = 100u32;
        while left != 0 {
            for (l, a) in healthy_load.iter_mut().zip(&health) {
                let delta = left.min(a * 100 / total);
                *l += delta;
                left -= delta;
            }
            for (l, a) in degraded_load.iter_mut().zip(&degraded) {
                let delta = left.min(a * 100 / total);
                *l += delta;
                left -= delta;
            }
        }
        self.adjusted = Some((healthy_load, degraded_load));
        true
    }

    /// `adjustedAvailability`: each priority's availability, 0 for excluded ones, and their
    /// sum capped at 100.
    fn availability(&self, original: &PriorityLoad) -> (Vec<u32>, Vec<u32>, u32) {
        let keep = |i: usize, a: u32| {
            if self.excluded.get(i) == Some(&true) {
                0
            } else {
                a
            }
        };
        let health: Vec<u32> = original
            .health
            .iter()
            .enumerate()
            .map(|(i, a)| keep(i, *a))
            .collect();
        let degraded: Vec<u32> = original
            .degraded_availability
            .iter()
            .enumerate()
            .map(|(i, a)| keep(i, *a))
            .collect();
        let total = health.iter().chain(&degraded).sum::<u32>().min(100);
        (health, degraded, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lb::priority::{plan, Level, DEFAULT_OVERPROVISIONING_FACTOR};

    /// Three all-healthy priorities (localities): P0 takes everything.
    fn three_healthy() -> PriorityLoad {
        let l = Level::counts(2, 2, 0);
        plan(&[l, l, l], DEFAULT_OVERPROVISIONING_FACTOR, 0)
    }

    #[test]
    fn the_first_retry_keeps_the_load_and_the_second_leaves_the_attempted_priority() {
        let original = three_healthy();
        assert_eq!(original.healthy, vec![100, 0, 0]);
        let mut rp = PreviousPriorities::new(2);
        rp.on_host_attempted(0);
        assert_eq!(
            rp.priority_load(&original),
            None,
            "1 attempt < update frequency 2"
        );
        rp.on_host_attempted(0);
        let load = rp.priority_load(&original).expect("adjusted at 2 attempts");
        assert_eq!(load.healthy, vec![0, 100, 0]);
        rp.on_host_attempted(1);
        let load = rp
            .priority_load(&original)
            .expect("the last adjustment in between");
        assert_eq!(load.healthy, vec![0, 100, 0]);
        rp.on_host_attempted(1);
        let load = rp.priority_load(&original).expect("adjusted at 4 attempts");
        assert_eq!(load.healthy, vec![0, 0, 100]);
    }

    #[test]
    fn with_every_priority_attempted_the_exclusions_are_forgotten() {
        let original = three_healthy();
        let mut rp = PreviousPriorities::new(1);
        for p in [0, 1, 2] {
            rp.on_host_attempted(p);
        }
        let load = rp.priority_load(&original).expect("adjusted");
        assert_eq!(load.healthy, vec![100, 0, 0]);
        // The attempts were cleared: one more attempt on P0 excludes P0 alone.
        rp.on_host_attempted(0);
        assert_eq!(
            rp.priority_load(&original).unwrap().healthy,
            vec![0, 100, 0]
        );
    }

    #[test]
    fn the_load_left_is_shared_by_availability_with_the_remainder_to_the_first() {
        // P1 half healthy (availability 70), P2 healthy (100): 70/100 and 30/100 of the load.
        let original = plan(
            &[
                Level::counts(2, 2, 0),
                Level::counts(2, 1, 0),
                Level::counts(2, 2, 0),
            ],
            DEFAULT_OVERPROVISIONING_FACTOR,
            0,
        );
        let mut rp = PreviousPriorities::new(1);
        rp.on_host_attempted(0);
        assert_eq!(
            rp.priority_load(&original).unwrap().healthy,
            vec![0, 70, 30]
        );
    }

    #[test]
    fn nothing_available_anywhere_keeps_the_original_load() {
        let original = plan(
            &[Level::counts(1, 0, 0)],
            DEFAULT_OVERPROVISIONING_FACTOR,
            0,
        );
        let mut rp = PreviousPriorities::new(1);
        rp.on_host_attempted(0);
        assert_eq!(rp.priority_load(&original), None);
    }
}
