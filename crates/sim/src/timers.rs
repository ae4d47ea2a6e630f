//! The virtual clock's pending timers: due in (deadline, arming order), each cancellable.
//!
//! A min-heap of (deadline, seq, slot) and a slab of the wakers of timers still armed. Arming
//! pushes onto the heap — a new deadline is usually later than most and stays near the
//! bottom, so this costs a few comparisons, where an ordered map searched and split nodes on
//! every one (a request arms several timers, most of them cancelled long before they are due:
//! route and per-try timeouts, idle timers). Cancelling frees the slot; its heap entry is
//! skipped when it reaches the top, and the heap is rebuilt without such entries whenever they
//! outnumber the armed ones, so memory follows the timers armed, not the timers ever armed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::Duration;

/// Cancelled entries the heap may hold before a rebuild is considered.
const COMPACT_AFTER: usize = 1024;

/// An armed timer, as [`Timers::cancel`] takes it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerKey {
    seq: u64,
    slot: u32,
}

#[derive(Debug)]
struct Slot {
    /// The timer using the slot (its arming number), or the last one that did.
    seq: u64,
    /// `None` once the timer fired or was cancelled.
    waker: Option<Waker>,
}

/// The pending timers.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Duration, u64, u32)>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_seq: u64,
    /// Heap entries whose timer was cancelled.
    stale: usize,
}

impl Timers {
    /// Arm a timer: `waker` is woken at `deadline`, after every timer armed earlier for the
    /// same deadline.
    pub fn arm(&mut self, deadline: Duration, waker: Waker) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Slot {
                    seq,
                    waker: Some(waker),
                };
                s
            }
            None => {
                self.slots.push(Slot {
                    seq,
                    waker: Some(waker),
                });
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 armed timers")
            }
        };
        self.heap.push(Reverse((deadline, seq, slot)));
        TimerKey { seq, slot }
    }

    /// Disarm `key`'s timer if it has neither fired nor been cancelled.
    pub fn cancel(&mut self, key: TimerKey) {
        let slot = &mut self.slots[key.slot as usize];
        if slot.seq != key.seq || slot.waker.take().is_none() {
            return;
        }
        self.free.push(key.slot);
        self.stale += 1;
        if self.stale > COMPACT_AFTER && self.stale > self.heap.len() / 2 {
            let slots = &self.slots;
            self.heap
                .retain(|Reverse((_, seq, s))| is_armed(slots, *seq, *s));
            self.stale = 0;
        }
    }

    /// The deadline of the earliest armed timer.
    pub fn next_deadline(&mut self) -> Option<Duration> {
        self.drop_stale_top();
        self.heap.peek().map(|Reverse((d, _, _))| *d)
    }

    /// The waker of the earliest armed timer due by `t`, which is then no longer armed.
    pub fn pop_due(&mut self, t: Duration) -> Option<Waker> {
        self.drop_stale_top();
        let Reverse((deadline, _, slot)) = *self.heap.peek()?;
        if deadline > t {
            return None;
        }
        self.heap.pop();
        self.free.push(slot);
        self.slots[slot as usize].waker.take()
    }

    /// Armed timers.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn drop_stale_top(&mut self) {
        while let Some(Reverse((_, seq, slot))) = self.heap.peek() {
            if is_armed(&self.slots, *seq, *slot) {
                return;
            }
            self.heap.pop();
            self.stale -= 1;
        }
    }
}

fn is_armed(slots: &[Slot], seq: u64, slot: u32) -> bool {
    let s = &slots[slot as usize];
    s.seq == seq && s.waker.is_some()
}

#[cfg(test)]
#[path = "timers_tests.rs"]
mod tests;
