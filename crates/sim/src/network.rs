//! The network the pods' hosts share, on one of two substrates:
//!
//! - [`Substrate::Fabric`] (the default): the twin's own event-driven socket layer
//!   ([`crate::fabric`]); a scheduler pass costs in proportion to the segments due.
//! - [`Substrate::TurmoilNet`]: turmoil-net's simulated kernels driven by a packet scheduler
//!   ([`crate::packets`]); a pass walks every socket of every host. Kept selectable so a
//!   differential test can hold every bundled scenario to the same expectations on both.
//!
//! Both route a packet between pods through the same [`Links`] (latency by locality pair,
//! partitions, degraded links). The twin's TCP does not retransmit: a packet a partition
//! drops is gone with its retransmissions, so connects and requests time out.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;

use crate::clock::Clock;
use crate::fabric::Fabric;
use crate::links::{LatencyFn, Links};
use crate::packets::{kernel_config, Packets};

pub use crate::links::{LinkRule, RTO_MIN};

/// A simulated host (one pod).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// Which socket layer the hosts run on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Substrate {
    #[default]
    Fabric,
    TurmoilNet,
}

impl std::str::FromStr for Substrate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fabric" => Ok(Substrate::Fabric),
            "turmoil-net" => Ok(Substrate::TurmoilNet),
            _ => Err(format!(
                "'{s}' is not a substrate: expected fabric or turmoil-net"
            )),
        }
    }
}

/// What a host's sockets are made on.
#[derive(Clone)]
pub enum NetHandle {
    Fabric(Rc<Fabric>),
    /// turmoil-net's sockets on the thread's installed `Net` (the executor pins each task's
    /// host before polling it).
    TurmoilNet(Rc<Vec<turmoil_net::HostId>>),
}

enum Backend {
    Fabric(Rc<Fabric>),
    TurmoilNet(Packets),
}

/// The network.
pub struct Network {
    links: Rc<RefCell<Links>>,
    backend: Backend,
    handle: NetHandle,
}

impl Network {
    /// A network of one host per address in `ips` (the hosts' ids in that order), with
    /// `latency` between them. The turmoil-net substrate installs its `Net` on this thread
    /// until the network is dropped.
    pub fn new(
        substrate: Substrate,
        clock: Rc<Clock>,
        ips: &[IpAddr],
        latency: LatencyFn,
    ) -> (Self, Vec<HostId>) {
        let links = Rc::new(RefCell::new(Links::new(latency)));
        let ids = (0..ips.len() as u32).map(HostId).collect();
        let (backend, handle) = match substrate {
            Substrate::Fabric => {
                let fabric = Rc::new(Fabric::new(clock, links.clone()));
                for ip in ips {
                    fabric.add_host(*ip);
                }
                (Backend::Fabric(fabric.clone()), NetHandle::Fabric(fabric))
            }
            Substrate::TurmoilNet => {
                let mut net = turmoil_net::Net::with_config(kernel_config());
                let hosts: Vec<_> = ips.iter().map(|ip| net.add_host(*ip)).collect();
                (
                    Backend::TurmoilNet(Packets::new(net)),
                    NetHandle::TurmoilNet(Rc::new(hosts)),
                )
            }
        };
        let network = Self {
            links,
            backend,
            handle,
        };
        (network, ids)
    }

    /// What the hosts' platforms make sockets on.
    pub fn handle(&self) -> NetHandle {
        self.handle.clone()
    }

    /// Move packets at time `now`: deliver what is due and send what the hosts wrote.
    pub fn step(&mut self, now: Duration) {
        match &mut self.backend {
            Backend::Fabric(f) => f.step(now),
            Backend::TurmoilNet(p) => p.step(now, &mut self.links.borrow_mut()),
        }
    }

    /// When the next packet is due.
    pub fn next_delivery(&self) -> Option<Duration> {
        match &self.backend {
            Backend::Fabric(f) => f.next_delivery(),
            Backend::TurmoilNet(p) => p.next_delivery(),
        }
    }

    /// Drop every packet from `from` to `to` from now on (a partition; one direction).
    pub fn block(&mut self, from: BTreeSet<IpAddr>, to: BTreeSet<IpAddr>) {
        self.links.borrow_mut().block(from, to);
    }

    /// Degrade a link from now on.
    pub fn degrade(&mut self, rule: LinkRule) {
        self.links.borrow_mut().degrade(rule);
    }

    /// Seed the stream that decides which packets are lost.
    pub fn seed_loss(&mut self, rng: ChaCha8Rng) {
        self.links.borrow_mut().seed_loss(rng);
    }

    /// Remove every partition and degraded link.
    pub fn heal(&mut self) {
        self.links.borrow_mut().heal();
    }

    /// Packets (segments) delivered so far.
    pub fn delivered(&self) -> u64 {
        match &self.backend {
            Backend::Fabric(f) => f.delivered(),
            Backend::TurmoilNet(p) => p.delivered(),
        }
    }
}
