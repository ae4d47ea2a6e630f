//! The virtual clock's pending timers: due in (deadline, arming order), each cancellable.
//!
//! A min-heap of (deadline, seq, slot) — packed in 16 bytes, see `Entry` — and a slab of
//! the wakers (and exact deadlines) of timers still armed. Arming pushes onto the heap — a
//! new deadline is usually later than most and stays near the bottom, so this costs a few
//! comparisons, where an ordered map searched and split nodes on
//! every one (a request arms several timers, most of them cancelled long before they are due:
//! route and per-try timeouts, idle timers). Cancelling frees the slot; its heap entry is
//! skipped when it reaches the top, and the heap is rebuilt without such entries whenever they
//! outnumber the armed ones, so memory follows the timers armed, not the timers ever armed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::Duration;

/// Cancelled entries the heaps may hold before a rebuild is considered.
const COMPACT_AFTER: usize = 1024;
/// Bits of a heap entry's second word that hold the slot (the arming number is above them).
const SLOT_BITS: u32 = 24;

/// A heap entry: the deadline in nanoseconds, then the arming number and the slot in one word,
/// so entries order as (deadline, arming order) with two integer comparisons and a heap sift
/// moves 16 bytes instead of 32.
type Entry = (u64, u64);

/// A timer whose deadline is past 2^64 ns (584 years): exact, on a heap of its own.
type FarEntry = (Duration, u64, u32);

fn entry(ns: u64, seq: u64, slot: u32) -> Entry {
    assert!(
        seq < 1 << (64 - SLOT_BITS),
        "fewer than 2^40 timers armed in a run"
    );
    (ns, seq << SLOT_BITS | u64::from(slot))
}

/// The (arming number, slot) of a heap entry.
fn unpack(e: Entry) -> (u64, u32) {
    (e.1 >> SLOT_BITS, (e.1 & ((1 << SLOT_BITS) - 1)) as u32)
}

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
    deadline: Duration,
    /// `None` once the timer fired or was cancelled.
    waker: Option<Waker>,
}

/// The pending timers.
#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    /// Deadlines too far for an [`Entry`]: all after every entry of `heap`.
    far: BinaryHeap<Reverse<FarEntry>>,
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
                    deadline,
                    waker: Some(waker),
                };
                s
            }
            None => {
                self.slots.push(Slot {
                    seq,
                    deadline,
                    waker: Some(waker),
                });
                let s = self.slots.len() - 1;
                assert!(s < 1 << SLOT_BITS, "fewer than 2^24 armed timers");
                s as u32
            }
        };
        match u64::try_from(deadline.as_nanos()) {
            Ok(ns) => self.heap.push(Reverse(entry(ns, seq, slot))),
            Err(_) => self.far.push(Reverse((deadline, seq, slot))),
        }
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
        if self.stale > COMPACT_AFTER && self.stale > (self.heap.len() + self.far.len()) / 2 {
            let slots = &self.slots;
            (self.heap).retain(|Reverse(e)| is_armed(slots, unpack(*e)));
            (self.far).retain(|Reverse((_, seq, s))| is_armed(slots, (*seq, *s)));
            self.stale = 0;
        }
    }

    /// The deadline of the earliest armed timer.
    pub fn next_deadline(&mut self) -> Option<Duration> {
        let slot = self.top()?;
        Some(self.slots[slot as usize].deadline)
    }

    /// The waker of the earliest armed timer due by `t`, which is then no longer armed.
    pub fn pop_due(&mut self, t: Duration) -> Option<Waker> {
        let slot = self.top()?;
        if self.slots[slot as usize].deadline > t {
            return None;
        }
        if self.heap.pop().is_none() {
            self.far.pop();
        }
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

    /// The slot of the earliest armed timer, after dropping the cancelled entries above it
    /// (`far` counts only once `heap` has none armed).
    fn top(&mut self) -> Option<u32> {
        while let Some(Reverse(e)) = self.heap.peek() {
            let (seq, slot) = unpack(*e);
            if is_armed(&self.slots, (seq, slot)) {
                return Some(slot);
            }
            self.heap.pop();
            self.stale -= 1;
        }
        while let Some(Reverse((_, seq, slot))) = self.far.peek() {
            if is_armed(&self.slots, (*seq, *slot)) {
                return Some(*slot);
            }
            self.far.pop();
            self.stale -= 1;
        }
        None
    }
}

/// Whether the timer armed as number `seq` in `slot` is still armed.
fn is_armed(slots: &[Slot], (seq, slot): (u64, u32)) -> bool {
    let s = &slots[slot as usize];
    s.seq == seq && s.waker.is_some()
}

#[cfg(test)]
#[path = "timers_tests.rs"]
mod tests;
