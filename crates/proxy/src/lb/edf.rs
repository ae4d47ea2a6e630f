//! Envoy's earliest-deadline-first scheduler (`edf_scheduler.h`, `source/common/upstream/load_balancer_impl.cc` `RoundRobinLoadBalancer`): each entry's next
//! deadline is `current_time + 1/weight`; the smallest deadline is picked, ties in insertion
//! order, and the entry is re-inserted with a freshly computed weight.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Debug, Clone)]
struct Slot<T> {
    deadline: f64,
    order: u64,
    item: T,
}

impl<T> PartialEq for Slot<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Slot<T> {}

impl<T> PartialOrd for Slot<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Slot<T> {
    /// Reversed so the max-heap yields the earliest deadline, then the oldest insertion.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .deadline
            .total_cmp(&self.deadline)
            .then(other.order.cmp(&self.order))
    }
}

/// A weighted scheduler over items of type `T`.
#[derive(Debug, Clone)]
pub struct Edf<T> {
    current_time: f64,
    order: u64,
    queue: BinaryHeap<Slot<T>>,
}

impl<T: Copy> Edf<T> {
    /// A scheduler holding `entries` (item, weight > 0), advanced by `picks` picks so that
    /// schedulers built with different seeds start at different phases.
    pub fn new(
        entries: impl IntoIterator<Item = (T, f64)>,
        picks: u64,
        weight: impl Fn(T) -> f64,
    ) -> Self {
        let mut edf = Edf {
            current_time: 0.0,
            order: 0,
            queue: BinaryHeap::new(),
        };
        for (item, w) in entries {
            edf.add(item, w);
        }
        for _ in 0..picks {
            edf.pick_and_add(&weight);
        }
        edf
    }

    /// Insert `item` with `weight` (ignored unless > 0).
    pub fn add(&mut self, item: T, weight: f64) {
        if weight > 0.0 {
            let deadline = self.current_time + 1.0 / weight;
            self.queue.push(Slot {
                deadline,
                order: self.order,
                item,
            });
            self.order += 1;
        }
    }

    /// Pick the earliest entry and re-insert it with `weight(item)`.
    pub fn pick_and_add(&mut self, weight: impl Fn(T) -> f64) -> Option<T> {
        let slot = self.queue.pop()?;
        self.current_time = slot.deadline;
        self.add(slot.item, weight(slot.item));
        Some(slot.item)
    }

    /// Entries scheduled.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
