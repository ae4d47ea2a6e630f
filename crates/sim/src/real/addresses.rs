//! Where each pod's addresses are on the machine's loopback: the address plan of a real run.
//!
//! Every pod has two places the twin gives it: its pod IP (`10.0.0.k`, where its inbound
//! listeners and sidecar-less apps listen) and its own `localhost` (where its sidecar's
//! outbound listener and its app behind the sidecar listen, and where the sidecar reaches the
//! app). On Linux, all of `127.0.0.0/8` is loopback, so each place gets its own address in a
//! block `127.b.0.0/16` the run holds alone ([`Layout::Addresses`]); where only `127.0.0.1`
//! exists (macOS without aliases), each (place, port) gets its own port on `127.0.0.1`
//! instead ([`Layout::Ports`]). A privileged port (below 1024, such as httpbin's 80) gets a
//! free port of its place's address, so a run needs no privileges. An address that is neither
//! a pod's IP nor `localhost` has no place: a real run never reaches outside the machine's
//! loopback. Peers' addresses are the kernel's (`127.0.0.1` and an ephemeral port); nothing
//! in the proxy core or the apps reads them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

/// Ports below this need privileges to listen on (Linux's `ip_unprivileged_port_start`
/// default): a pod's port 80 gets a free port of its address instead.
const FIRST_UNPRIVILEGED_PORT: u16 = 1024;

/// Port of the listener that marks a block `127.b.0.0/16` as taken by a running real run
/// (on `127.b.0.1`, which no pod uses).
const LOCK_PORT: u16 = 15999;

/// One of a pod's places in the twin, named by the pod's IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// The pod IP, port.
    Pod(Ipv4Addr, u16),
    /// The pod's own `localhost`, port.
    Local(Ipv4Addr, u16),
}

/// How places map to real loopback addresses.
#[derive(Debug)]
pub enum Layout {
    /// Each place on its own address in `127.b.0.0/16`; `_lock` holds the block.
    Addresses { block: u8, _lock: TcpListener },
    /// Each (place, port) on its own port of `127.0.0.1`, given on first use.
    Ports,
}

impl Layout {
    /// A free block of loopback addresses, or [`Layout::Ports`] where `127.0.0.1` is the only
    /// loopback address. `start` spreads concurrent runs over the blocks (e.g. the process id).
    pub fn detect(start: u32) -> Self {
        for i in 0..254u32 {
            let block = 1 + ((start + i) % 254) as u8;
            match TcpListener::bind((Ipv4Addr::new(127, block, 0, 1), LOCK_PORT)) {
                Ok(lock) => return Layout::Addresses { block, _lock: lock },
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
                Err(_) => return Layout::Ports,
            }
        }
        Layout::Ports
    }
}

/// The run's address plan: each pod's places and their real addresses.
#[derive(Debug)]
pub struct AddressPlan {
    layout: Layout,
    /// Pod IP → the pod's number in the plan (from 1).
    pods: BTreeMap<Ipv4Addr, u32>,
    /// The pod IPs by number − 1.
    /// The places given a free port on first use: every place under [`Layout::Ports`],
    /// places on privileged ports under [`Layout::Addresses`].
    ports: RefCell<BTreeMap<Place, SocketAddr>>,
}

impl AddressPlan {
    /// The plan for pods with the IPs `ips`, laid out as `layout`.
    pub fn new<'a>(ips: impl IntoIterator<Item = &'a Ipv4Addr>, layout: Layout) -> Self {
        let mut sorted: Vec<Ipv4Addr> = ips.into_iter().copied().collect();
        sorted.sort();
        sorted.dedup();
        assert!(sorted.len() < 32_767, "a block holds 32766 pods");
        let pods = (sorted.iter().enumerate())
            .map(|(i, ip)| (*ip, i as u32 + 1))
            .collect();
        Self {
            layout,
            pods,
            ports: RefCell::new(BTreeMap::new()),
        }
    }

    /// How the plan lays places out.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The place `addr` names for the pod whose IP is `own` (`localhost` and the unspecified
    /// address are the pod's own), or `None` when it names no pod.
    pub fn place(&self, own: Ipv4Addr, addr: SocketAddr) -> Option<Place> {
        let IpAddr::V4(ip) = addr.ip() else {
            return None;
        };
        let port = addr.port();
        if ip.is_loopback() {
            Some(Place::Local(own, port))
        } else if ip.is_unspecified() {
            Some(Place::Pod(own, port))
        } else {
            self.pods.contains_key(&ip).then_some(Place::Pod(ip, port))
        }
    }

    /// The real address of `place`.
    pub fn real(&self, place: Place) -> io::Result<SocketAddr> {
        let (Place::Pod(ip, port) | Place::Local(ip, port)) = place;
        let Some(&k) = self.pods.get(&ip) else {
            return Err(no_place(IpAddr::V4(ip)));
        };
        match &self.layout {
            Layout::Addresses { block, .. } => {
                // Pod k's IP at 2k, its localhost at 2k + 1 (from 127.b.0.2 on).
                let j = 2 * k + u32::from(matches!(place, Place::Local(..)));
                let ip = Ipv4Addr::new(127, *block, (j >> 8) as u8, j as u8);
                if port < FIRST_UNPRIVILEGED_PORT {
                    return self.given(place, ip);
                }
                Ok(SocketAddr::new(IpAddr::V4(ip), port))
            }
            Layout::Ports => self.given(place, Ipv4Addr::LOCALHOST),
        }
    }

    /// The port `place` was given on `ip`, or a free one from now on.
    fn given(&self, place: Place, ip: Ipv4Addr) -> io::Result<SocketAddr> {
        if let Some(a) = self.ports.borrow().get(&place) {
            return Ok(*a);
        }
        let free = TcpListener::bind((ip, 0))?.local_addr()?;
        self.ports.borrow_mut().insert(place, free);
        Ok(free)
    }

    /// The real address `addr` of the pod whose IP is `own` means.
    pub fn real_of(&self, own: Ipv4Addr, addr: SocketAddr) -> io::Result<SocketAddr> {
        let place = self.place(own, addr).ok_or_else(|| no_place(addr.ip()))?;
        self.real(place)
    }
}

/// The error of an address that is no pod's: a real run stays on loopback.
fn no_place(ip: IpAddr) -> io::Error {
    io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("{ip} is no pod's address: a real run reaches only its pods, on loopback"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(k: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, 0, k)
    }

    fn at(ip: Ipv4Addr, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(ip), port)
    }

    fn plan(layout: Layout) -> AddressPlan {
        AddressPlan::new(&[ip(2), ip(1)], layout)
    }

    #[test]
    fn each_pod_has_its_own_address_and_its_own_localhost_in_the_run_s_block() {
        let p = plan(Layout::Addresses {
            block: 9,
            _lock: TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap(),
        });
        let local = at(Ipv4Addr::LOCALHOST, 15001);
        assert_eq!(
            p.real_of(ip(1), at(ip(2), 9080)).unwrap(),
            at(Ipv4Addr::new(127, 9, 0, 4), 9080)
        );
        assert_eq!(
            p.real_of(ip(1), local).unwrap(),
            at(Ipv4Addr::new(127, 9, 0, 3), 15001)
        );
        assert_eq!(
            p.real_of(ip(2), local).unwrap(),
            at(Ipv4Addr::new(127, 9, 0, 5), 15001)
        );
        // The unspecified address is the pod's own; a privileged port is a free port there.
        let http = p.real_of(ip(2), at(Ipv4Addr::UNSPECIFIED, 80)).unwrap();
        assert_eq!(http.ip(), Ipv4Addr::new(127, 9, 0, 4));
        assert!(http.port() >= FIRST_UNPRIVILEGED_PORT, "{http}");
        assert_eq!(
            p.real_of(ip(1), at(ip(2), 80)).unwrap(),
            http,
            "the same for every pod"
        );
    }

    #[test]
    fn an_address_that_is_no_pod_s_is_refused() {
        let p = plan(Layout::Ports);
        let e = p.real_of(ip(1), at(Ipv4Addr::new(93, 184, 216, 34), 80));
        assert_eq!(e.unwrap_err().kind(), io::ErrorKind::AddrNotAvailable);
    }

    #[test]
    fn without_loopback_addresses_each_place_gets_its_own_port_on_127_0_0_1() {
        let p = plan(Layout::Ports);
        let local = at(Ipv4Addr::LOCALHOST, 8000);
        let a = p.real_of(ip(1), local).unwrap();
        let b = p.real_of(ip(2), local).unwrap();
        let c = p.real_of(ip(1), at(ip(1), 8000)).unwrap();
        assert!(a.ip().is_loopback() && b.ip().is_loopback());
        assert!(a != b && a != c && b != c);
        assert_eq!(
            p.real_of(ip(1), local).unwrap(),
            a,
            "a place keeps its port"
        );
    }

    #[test]
    fn concurrent_runs_take_different_blocks() {
        let (first, second) = (Layout::detect(40), Layout::detect(40));
        match (first, second) {
            (Layout::Addresses { block: a, .. }, Layout::Addresses { block: b, .. }) => {
                assert_ne!(a, b)
            }
            // Only 127.0.0.1 may exist elsewhere, and the port plan applies; Linux has 127/8.
            other => {
                #[cfg(target_os = "linux")]
                panic!("Linux routes all of 127/8 to lo: {other:?}");
                #[cfg(not(target_os = "linux"))]
                let _ = other;
            }
        }
    }
}
