//! The packet scheduler: drains every host's egress, delays each packet by the one-way
//! latency of its pod pair (same zone / cross zone / cross region), and delivers it when due.
//!
//! turmoil-net's count-based retransmission is disabled (it counts scheduler passes, not
//! time); the twin loses a packet only where the timeline partitions the network (both the
//! packet and its retransmissions are gone, so connects and requests time out).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use turmoil_net::{EnterGuard, KernelConfig, Net, Packet};

/// Scheduled packets, keyed by (delivery time, emission order).
pub struct Network {
    guard: EnterGuard,
    scheduled: BTreeMap<(Duration, u64), Packet>,
    seq: u64,
    buf: Vec<Packet>,
    latency: Box<dyn Fn(IpAddr, IpAddr) -> Duration>,
    delivered: u64,
    /// Partitions: packets from the first set to the second are dropped.
    blocked: Vec<(BTreeSet<IpAddr>, BTreeSet<IpAddr>)>,
    /// Degraded links: packets from `from` to `to` get extra latency and, with probability
    /// `loss`, one retransmission timeout more (see [`LinkRule`]).
    links: Vec<LinkRule>,
    /// Draws for lost packets (only taken while a rule with loss applies).
    rng: ChaCha8Rng,
}

/// A degraded link from the timeline. The twin's TCP never loses a segment for good (its
/// retransmission is off, see the module doc): a lost packet arrives one retransmission
/// timeout late instead — Linux's minimum RTO, 200 ms — which is what the application sees
/// of a single loss on an otherwise healthy connection.
pub struct LinkRule {
    pub from: BTreeSet<IpAddr>,
    pub to: BTreeSet<IpAddr>,
    pub extra: Duration,
    pub loss: f64,
}

/// Linux's minimum TCP retransmission timeout (`TCP_RTO_MIN`).
pub const RTO_MIN: Duration = Duration::from_millis(200);

/// Kernel settings for every simulated host.
pub fn kernel_config() -> KernelConfig {
    KernelConfig::default()
        .retx_threshold(u32::MAX)
        .retx_max(u32::MAX)
}

impl Network {
    pub fn new(net: Net, latency: Box<dyn Fn(IpAddr, IpAddr) -> Duration>) -> Self {
        Self {
            guard: net.enter(),
            scheduled: BTreeMap::new(),
            seq: 0,
            buf: Vec::with_capacity(64),
            latency,
            delivered: 0,
            blocked: Vec::new(),
            links: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// Move packets at time `now`: deliver what is due, then drain every host's egress once
    /// (replies to those deliveries included) and schedule it. Packets on a zero-latency link
    /// come due at once: the caller sees them in [`Network::next_delivery`] and steps again.
    pub fn step(&mut self, now: Duration) {
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
            if self
                .blocked
                .iter()
                .any(|(a, b)| a.contains(&pkt.src) && b.contains(&pkt.dst))
            {
                continue;
            }
            let mut d = (self.latency)(pkt.src, pkt.dst);
            for l in &self.links {
                if l.from.contains(&pkt.src) && l.to.contains(&pkt.dst) {
                    d += l.extra;
                    if l.loss > 0.0 && self.rng.random::<f64>() < l.loss {
                        d += RTO_MIN;
                    }
                }
            }
            self.seq += 1;
            self.scheduled.insert((now + d, self.seq), pkt);
        }
        self.buf = buf;
    }

    /// When the next packet is due.
    pub fn next_delivery(&self) -> Option<Duration> {
        self.scheduled.keys().next().map(|(t, _)| *t)
    }

    /// Drop every packet from `from` to `to` from now on (a partition; one direction).
    pub fn block(&mut self, from: BTreeSet<IpAddr>, to: BTreeSet<IpAddr>) {
        self.blocked.push((from, to));
    }

    /// Degrade a link from now on.
    pub fn degrade(&mut self, rule: LinkRule) {
        self.links.push(rule);
    }

    /// Seed the stream that decides which packets are lost.
    pub fn seed_loss(&mut self, rng: ChaCha8Rng) {
        self.rng = rng;
    }

    /// Remove every partition and degraded link.
    pub fn heal(&mut self) {
        self.blocked.clear();
        self.links.clear();
    }

    /// Packets delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }
}
