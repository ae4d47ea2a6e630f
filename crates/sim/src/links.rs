//! What a packet between two pods meets on the way: the one-way latency of the pod pair (same
//! zone / cross zone / cross region), the timeline's partitions (the packet is gone) and
//! degraded links (extra latency, and loss). Both substrates route every packet that leaves a
//! host through [`Links::route`]; loopback traffic never does.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One-way latency of a pod pair.
pub type LatencyFn = Box<dyn Fn(IpAddr, IpAddr) -> Duration>;

/// A degraded link from the timeline. The twin's TCP never loses a segment for good (its
/// retransmission is off, see [`crate::network`]): a lost packet arrives one retransmission
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

/// The network's links: latency, partitions, degraded links.
pub struct Links {
    latency: LatencyFn,
    /// Partitions: packets from the first set to the second are dropped.
    blocked: Vec<(BTreeSet<IpAddr>, BTreeSet<IpAddr>)>,
    links: Vec<LinkRule>,
    /// Draws for lost packets (only taken while a rule with loss applies).
    rng: ChaCha8Rng,
}

impl Links {
    pub fn new(latency: LatencyFn) -> Self {
        Self {
            latency,
            blocked: Vec::new(),
            links: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// The one-way delay of a packet from `src` to `dst` sent now, or `None` when a partition
    /// drops it.
    pub fn route(&mut self, src: IpAddr, dst: IpAddr) -> Option<Duration> {
        if self
            .blocked
            .iter()
            .any(|(a, b)| a.contains(&src) && b.contains(&dst))
        {
            return None;
        }
        let mut d = (self.latency)(src, dst);
        for l in &self.links {
            if l.from.contains(&src) && l.to.contains(&dst) {
                d += l.extra;
                if l.loss > 0.0 && self.rng.random::<f64>() < l.loss {
                    d += RTO_MIN;
                }
            }
        }
        Some(d)
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
}
