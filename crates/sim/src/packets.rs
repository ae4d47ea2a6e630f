//! The turmoil-net substrate's packet scheduler: drains every host's egress, delays each
//! packet as [`Links::route`] says, and delivers it when due.
//!
//! turmoil-net's count-based retransmission is disabled (it counts scheduler passes, not
//! time); a packet is lost only where the timeline partitions the network (both the packet
//! and its retransmissions are gone, so connects and requests time out). turmoil-net exposes
//! only `egress_all`, which walks every socket of every host: a pass costs in proportion to
//! the whole mesh, which is why [`crate::fabric`] is the default substrate.

use std::collections::BTreeMap;
use std::time::Duration;

use turmoil_net::{EnterGuard, KernelConfig, Net, Packet};

use crate::links::Links;

/// Kernel settings for every simulated host.
pub fn kernel_config() -> KernelConfig {
    KernelConfig::default()
        .retx_threshold(u32::MAX)
        .retx_max(u32::MAX)
}

/// Scheduled packets, keyed by (delivery time, emission order).
pub struct Packets {
    guard: EnterGuard,
    scheduled: BTreeMap<(Duration, u64), Packet>,
    seq: u64,
    buf: Vec<Packet>,
    delivered: u64,
}

impl Packets {
    /// Install `net` on this thread (one per thread, until this is dropped).
    pub fn new(net: Net) -> Self {
        Self {
            guard: net.enter(),
            scheduled: BTreeMap::new(),
            seq: 0,
            buf: Vec::with_capacity(64),
            delivered: 0,
        }
    }

    /// Move packets at time `now`: deliver what is due, then drain every host's egress once
    /// (replies to those deliveries included) and schedule it. Packets on a zero-latency link
    /// come due at once: the caller sees them in [`Packets::next_delivery`] and steps again.
    pub fn step(&mut self, now: Duration, links: &mut Links) {
        while let Some(entry) = self.scheduled.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let pkt = entry.remove();
            self.guard.deliver(pkt);
            self.delivered += 1;
        }
        let mut buf = std::mem::take(&mut self.buf);
        self.guard.egress_all(&mut buf);
        for pkt in buf.drain(..) {
            let Some(d) = links.route(pkt.src, pkt.dst) else {
                continue;
            };
            self.seq += 1;
            self.scheduled.insert((now + d, self.seq), pkt);
        }
        self.buf = buf;
    }

    /// When the next packet is due.
    pub fn next_delivery(&self) -> Option<Duration> {
        self.scheduled.keys().next().map(|(t, _)| *t)
    }

    /// Packets delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }
}
