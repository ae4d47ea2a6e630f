//! What a packet between two pods meets on the way: the one-way latency of the pod pair (same
//! zone / cross zone / cross region), the timeline's partitions (the packet is gone) and
//! degraded links (extra latency, and loss). Both substrates route every packet that leaves a
//! host through [`Links::route`] (the fabric through [`Links::route_cached`], with what a
//! connection's direction resolved to kept in a [`Route`]); loopback traffic never does.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One-way latency of a pod pair: a pure function of the pair (a [`Route`] keeps it).
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
    /// Changes whenever the partitions or degraded links do (a [`Route`] of another
    /// generation is resolved again).
    generation: u64,
}

/// What the packets from one address to another meet, resolved once per change of the rules
/// instead of per packet: whether a partition drops them, the pair's latency (asked once: it
/// is a pure function of the pair) and the degraded links' extra latency. Under a rule with
/// loss, each packet still draws as [`Links::route`] does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Route {
    /// The [`Links`] generation resolved under (0: not yet).
    generation: u64,
    blocked: bool,
    /// The degraded links' extra latency.
    extra: Duration,
    /// A rule with loss applies: every packet draws.
    lossy: bool,
    /// The pair's latency, once asked.
    base: Option<Duration>,
}

impl Links {
    pub fn new(latency: LatencyFn) -> Self {
        Self {
            latency,
            blocked: Vec::new(),
            links: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
            generation: 1,
        }
    }

    /// The one-way delay of a packet from `src` to `dst` sent now, or `None` when a partition
    /// drops it.
    pub fn route(&mut self, src: IpAddr, dst: IpAddr) -> Option<Duration> {
        self.route_cached(&mut Route::default(), src, dst)
    }

    /// [`Links::route`] for a packet from `src` to `dst`, the pair `route` was resolved for
    /// (if it was).
    pub fn route_cached(
        &mut self,
        route: &mut Route,
        src: IpAddr,
        dst: IpAddr,
    ) -> Option<Duration> {
        if route.generation != self.generation {
            self.resolve(route, src, dst);
        }
        if route.blocked {
            return None;
        }
        let base = *route.base.get_or_insert_with(|| (self.latency)(src, dst));
        if !route.lossy {
            return Some(base + route.extra);
        }
        let mut d = base;
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

    /// Resolve `route` under the rules in force.
    fn resolve(&self, route: &mut Route, src: IpAddr, dst: IpAddr) {
        route.generation = self.generation;
        route.blocked = (self.blocked.iter()).any(|(a, b)| a.contains(&src) && b.contains(&dst));
        let applies = (self.links.iter()).filter(|l| l.from.contains(&src) && l.to.contains(&dst));
        route.extra = Duration::ZERO;
        route.lossy = false;
        for l in applies {
            route.extra += l.extra;
            route.lossy |= l.loss > 0.0;
        }
    }

    /// Drop every packet from `from` to `to` from now on (a partition; one direction).
    pub fn block(&mut self, from: BTreeSet<IpAddr>, to: BTreeSet<IpAddr>) {
        self.blocked.push((from, to));
        self.generation += 1;
    }

    /// Degrade a link from now on.
    pub fn degrade(&mut self, rule: LinkRule) {
        self.links.push(rule);
        self.generation += 1;
    }

    /// Seed the stream that decides which packets are lost.
    pub fn seed_loss(&mut self, rng: ChaCha8Rng) {
        self.rng = rng;
    }

    /// Remove every partition and degraded link.
    pub fn heal(&mut self) {
        self.blocked.clear();
        self.links.clear();
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Links with 100 µs between any pair, counting how often the latency is asked.
    fn links() -> (Links, Rc<Cell<u32>>) {
        let asked = Rc::new(Cell::new(0));
        let counter = asked.clone();
        let l = Links::new(Box::new(move |_, _| {
            counter.set(counter.get() + 1);
            us(100)
        }));
        (l, asked)
    }

    fn rule(extra: u64, loss: f64) -> LinkRule {
        LinkRule {
            from: [ip(1)].into(),
            to: [ip(2)].into(),
            extra: us(extra),
            loss,
        }
    }

    #[test]
    fn a_kept_route_follows_partitions_and_degraded_links_as_they_change() {
        let (mut l, asked) = links();
        let mut r = Route::default();
        let mut both = |l: &mut Links| {
            let kept = l.route_cached(&mut r, ip(1), ip(2));
            assert_eq!(kept, l.route(ip(1), ip(2)));
            kept
        };
        assert_eq!(both(&mut l), Some(us(100)));
        l.block([ip(1)].into(), [ip(2)].into());
        assert_eq!(both(&mut l), None);
        l.heal();
        assert_eq!(both(&mut l), Some(us(100)));
        l.degrade(rule(50, 0.0));
        l.degrade(rule(7, 0.0));
        assert_eq!(both(&mut l), Some(us(157)));
        l.block([ip(2)].into(), [ip(1)].into());
        assert_eq!(
            both(&mut l),
            Some(us(157)),
            "the other direction's partition"
        );
        // Once per `route` call not partitioned (4), once for the kept route.
        assert_eq!(asked.get(), 4 + 1);
    }

    #[test]
    fn under_loss_a_kept_route_draws_for_each_packet_as_route_does() {
        let (mut kept, _) = links();
        let (mut fresh, _) = links();
        for l in [&mut kept, &mut fresh] {
            l.seed_loss(ChaCha8Rng::seed_from_u64(7));
            l.degrade(rule(10, 0.0));
            l.degrade(rule(20, 0.5));
        }
        let mut r = Route::default();
        let got: Vec<_> = (0..64)
            .map(|_| kept.route_cached(&mut r, ip(1), ip(2)))
            .collect();
        let want: Vec<_> = (0..64).map(|_| fresh.route(ip(1), ip(2))).collect();
        assert_eq!(got, want);
        let lost = Some(us(130) + RTO_MIN);
        assert!(
            got.contains(&Some(us(130))) && got.contains(&lost),
            "{got:?}"
        );
    }
}
