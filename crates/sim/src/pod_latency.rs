//! The one-way latency between two pods' addresses, by their localities
//! ([`meshtwin_model::topology::LinkLatency`]), asked for every packet: each address is found
//! in a sorted table and the two localities' latency read from a matrix, instead of comparing
//! region and zone names per packet.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use meshtwin_model::topology::{LinkLatency, Locality};

/// One pod's address in the table.
struct Pod {
    ip: IpAddr,
    /// Its (region, zone) among [`PodLatency::places`].
    place: usize,
    /// On the network (a packet to a pod left out of it is a bug).
    live: bool,
    name: String,
}

/// The latencies between the pods of a world.
pub struct PodLatency {
    /// By address.
    pods: Vec<Pod>,
    /// The distinct (region, zone) pairs, in order.
    places: usize,
    /// `places × places`, row by the sender's place.
    matrix: Vec<Duration>,
    /// Between addresses that are no pod's (none in the twin).
    fallback: Duration,
}

impl PodLatency {
    /// `pods`: (name, address, locality, live) of every pod of the world.
    pub fn new<'a>(
        latency: LinkLatency,
        pods: impl IntoIterator<Item = (&'a str, IpAddr, &'a Locality, bool)>,
    ) -> Self {
        let pods: Vec<_> = pods.into_iter().collect();
        let places: BTreeMap<(&str, &str), usize> = (pods.iter())
            .map(|(_, _, l, _)| ((l.region.as_str(), l.zone.as_str()), 0))
            .collect::<BTreeMap<_, _>>()
            .into_keys()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let of = |l: &Locality| places[&(l.region.as_str(), l.zone.as_str())];
        let n = places.len();
        let mut matrix = vec![latency.same_zone; n * n];
        for (&(ra, za), &a) in &places {
            for (&(rb, zb), &b) in &places {
                matrix[a * n + b] = if ra != rb {
                    latency.cross_region
                } else if za != zb {
                    latency.cross_zone
                } else {
                    latency.same_zone
                };
            }
        }
        let mut table: Vec<Pod> = (pods.iter())
            .map(|&(name, ip, l, live)| Pod {
                ip,
                place: of(l),
                live,
                name: name.to_string(),
            })
            .collect();
        table.sort_by_key(|p| p.ip);
        PodLatency {
            pods: table,
            places: n,
            matrix,
            fallback: latency.same_zone,
        }
    }

    /// The latency of a packet from `a` to `b`.
    pub fn between(&self, a: IpAddr, b: IpAddr) -> Duration {
        let (Some(from), Some(to)) = (self.find(a), self.find(b)) else {
            return self.fallback;
        };
        assert!(
            to.live,
            "bug: pod {} was left out of the network as unreachable, but a packet was sent to it",
            to.name
        );
        self.matrix[from.place * self.places + to.place]
    }

    fn find(&self, ip: IpAddr) -> Option<&Pod> {
        let i = self.pods.binary_search_by_key(&ip, |p| p.ip).ok()?;
        Some(&self.pods[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(region: &str, zone: &str) -> Locality {
        Locality {
            region: region.into(),
            zone: zone.into(),
            subzone: String::new(),
        }
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn latency_follows_the_localities_as_link_latency_says() {
        let latency = LinkLatency {
            same_zone: Duration::from_micros(100),
            cross_zone: Duration::from_millis(1),
            cross_region: Duration::from_millis(30),
        };
        let places = [at("eu", "a"), at("eu", "b"), at("us", "a"), at("eu", "a")];
        let pods = (places.iter().enumerate())
            .map(|(i, l)| ("p", ip(9 - i as u8), l, true))
            .collect::<Vec<_>>();
        let table = PodLatency::new(latency, pods);
        for (i, a) in places.iter().enumerate() {
            for (j, b) in places.iter().enumerate() {
                let got = table.between(ip(9 - i as u8), ip(9 - j as u8));
                assert_eq!(got, latency.between(a, b), "{a:?} -> {b:?}");
            }
        }
        assert_eq!(
            table.between(ip(1), ip(9)),
            latency.same_zone,
            "no pod's address"
        );
    }

    #[test]
    #[should_panic(expected = "pod gone was left out of the network")]
    fn a_packet_to_a_pod_off_the_network_is_a_bug() {
        let l = at("eu", "a");
        let table = PodLatency::new(
            LinkLatency::default(),
            [("here", ip(1), &l, true), ("gone", ip(2), &l, false)],
        );
        table.between(ip(1), ip(2));
    }
}
