//! The segments in flight, delivered in (arrival time, send order) — the order a map keyed by
//! that pair would give, at a fraction of its cost per segment.
//!
//! Most segments cross a pod's own loopback or address and are due at the instant they are
//! sent: those wait in a FIFO (sent in order, so already sorted). The others — due later, by
//! a link's latency — wait in a binary heap. A pop takes whichever of the two fronts comes
//! first, so the merged order is exactly (time, sequence). A map popped its first entry with
//! a node rebalance per segment; the FIFO pops in O(1), and a heap push of a segment sent
//! after most others stops after a comparison or two.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use super::conn::Segment;

/// A segment with its place in the delivery order.
struct Entry {
    at: Duration,
    seq: u64,
    seg: Segment,
}

impl Entry {
    fn key(&self) -> (Duration, u64) {
        (self.at, self.seq)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// The queue.
#[derive(Default)]
pub struct Queue {
    /// Entries in (time, sequence) order, each appended no earlier than the one before it:
    /// in practice, the segments due at the instant they were sent.
    fifo: VecDeque<Entry>,
    /// Every other entry.
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl Queue {
    /// Queue `seg` to arrive at `at` (after every segment queued before it for that time).
    /// `now`: the current instant — a segment due then goes to the FIFO.
    pub fn push(&mut self, at: Duration, now: Duration, seg: Segment) {
        self.seq += 1;
        let e = Entry {
            at,
            seq: self.seq,
            seg,
        };
        // Appending keeps the FIFO sorted when `at` is not before its last entry's time (the
        // sequence only grows).
        if at <= now && self.fifo.back().is_none_or(|b| b.at <= at) {
            self.fifo.push_back(e);
        } else {
            self.heap.push(Reverse(e));
        }
    }

    /// The first segment due by `t`, taken off the queue.
    pub fn pop_due(&mut self, t: Duration) -> Option<Segment> {
        let from_fifo = match (self.fifo.front(), self.heap.peek()) {
            (Some(f), Some(Reverse(h))) => f.key() < h.key(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if from_fifo {
            self.fifo.front().filter(|e| e.at <= t)?;
            self.fifo.pop_front().map(|e| e.seg)
        } else {
            self.heap.peek().filter(|Reverse(e)| e.at <= t)?;
            self.heap.pop().map(|Reverse(e)| e.seg)
        }
    }

    /// When the first segment is due.
    pub fn next_at(&self) -> Option<Duration> {
        let f = self.fifo.front().map(|e| e.at);
        let h = self.heap.peek().map(|Reverse(e)| e.at);
        match (f, h) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric::conn::Kind;
    use crate::fabric::slab::Slab;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A segment labelled by its direction number, to tell them apart.
    fn seg(label: usize) -> Segment {
        let mut slab = Slab::default();
        Segment {
            conn: slab.insert(()),
            from: label,
            kind: Kind::Ack,
        }
    }

    #[test]
    fn segments_come_out_in_time_then_send_order_across_fifo_and_heap() {
        let mut q = Queue::default();
        // (at, now) pairs in send order; the label is the send order.
        let sends = [
            (ms(5), ms(0)),
            (ms(0), ms(0)),
            (ms(5), ms(0)),
            (ms(0), ms(0)),
            (ms(3), ms(0)),
            (ms(3), ms(3)),
            (ms(5), ms(3)),
            (ms(4), ms(4)),
            (ms(5), ms(5)),
            (ms(4), ms(5)),
        ];
        for (i, (at, now)) in sends.iter().enumerate() {
            q.push(*at, *now, seg(i));
        }
        let mut want: Vec<(Duration, usize)> = (sends.iter().enumerate())
            .map(|(i, (at, _))| (*at, i))
            .collect();
        want.sort();
        let mut got = Vec::new();
        while let Some(t) = q.next_at() {
            let s = q.pop_due(t).expect("due at its own time");
            got.push((t, s.from));
        }
        assert_eq!(got, want);
    }

    #[test]
    fn nothing_is_popped_before_it_is_due() {
        let mut q = Queue::default();
        q.push(ms(2), ms(0), seg(0));
        q.push(ms(1), ms(1), seg(1));
        assert!(q.pop_due(ms(0)).is_none());
        assert_eq!(q.pop_due(ms(1)).map(|s| s.from), Some(1));
        assert!(q.pop_due(ms(1)).is_none());
        assert_eq!(q.pop_due(ms(2)).map(|s| s.from), Some(0));
        assert_eq!(q.next_at(), None);
    }
}
