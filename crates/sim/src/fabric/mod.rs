//! The twin's own socket layer: event-driven TCP between simulated hosts.
//!
//! Every write, FIN, RST and handshake step becomes one segment on a single time-ordered
//! queue, delivered when due; nothing is ever scanned. A scheduler pass therefore costs in
//! proportion to the segments due, not to the hosts or sockets in the mesh (turmoil-net's
//! `egress_all` walks every socket of every host on every pass — see [`crate::packets`]).
//!
//! - [`conn`]: a connection's ends and segments, and the behaviour each segment has.
//! - `deliver`: what an arriving segment does.
//! - [`socket`]: the streams, listeners and connect / accept futures the platform hands out.
//! - [`slab`]: generational storage for listeners and connections.
//! - `queue`: the segments in flight, in delivery order.
//!
//! What it models is what applications observed over turmoil-net in the twin: per-pair
//! latency and the timeline's link rules ([`Links`]), the three-way handshake, refused
//! connects, RST, FIN and half-close, flow control (a writer stalls when 64 KiB are in flight
//! or unread, turmoil-net's and Linux's default buffer), and no retransmission.

pub mod conn;
mod deliver;
mod queue;
pub mod slab;
pub mod socket;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use crate::clock::Clock;
use crate::links::Links;
use crate::network::HostId;
use conn::{Conn, End, Kind, Segment, Side, CLIENT, SERVER};
use queue::Queue;
use slab::{Key, Slab};

/// Bytes a writer may have in flight or unread at its peer before it waits (Linux's and
/// turmoil-net's 64 KiB default socket buffers).
pub const WINDOW: usize = 64 * 1024;
/// Linux's `SOMAXCONN`: connections a listener holds handshaking or unaccepted.
const BACKLOG: usize = 1024;
/// The ephemeral port range (Linux's `ip_local_port_range` default upper half).
const EPHEMERAL: std::ops::RangeInclusive<u16> = 49152..=65535;

struct Host {
    ip: IpAddr,
    /// Listeners by bound address.
    listening: BTreeMap<SocketAddr, Key>,
    next_port: u16,
}

struct Listener {
    host: HostId,
    addr: SocketAddr,
    /// Established, not yet accepted.
    ready: VecDeque<Key>,
    /// SYN received, waiting for the client's ACK.
    half_open: Vec<Key>,
    wakers: Vec<Waker>,
}

/// The fabric's state.
pub(crate) struct State {
    hosts: Vec<Host>,
    by_ip: BTreeMap<IpAddr, HostId>,
    listeners: Slab<Listener>,
    pub(crate) conns: Slab<Conn>,
    queue: Queue,
    delivered: u64,
    now: Duration,
    links: Rc<RefCell<Links>>,
}

/// The socket layer.
pub struct Fabric {
    clock: Rc<Clock>,
    state: RefCell<State>,
}

impl Fabric {
    pub fn new(clock: Rc<Clock>, links: Rc<RefCell<Links>>) -> Self {
        Self {
            clock,
            state: RefCell::new(State {
                hosts: Vec::new(),
                by_ip: BTreeMap::new(),
                listeners: Slab::default(),
                conns: Slab::default(),
                queue: Queue::default(),
                delivered: 0,
                now: Duration::ZERO,
                links,
            }),
        }
    }

    /// Add a host owning `ip` (and its own loopback).
    pub fn add_host(&self, ip: IpAddr) -> HostId {
        let mut st = self.state.borrow_mut();
        let id = HostId(u32::try_from(st.hosts.len()).expect("fewer than 2^32 hosts"));
        assert!(st.by_ip.insert(ip, id).is_none(), "bug: two hosts own {ip}");
        st.hosts.push(Host {
            ip,
            listening: BTreeMap::new(),
            next_port: *EPHEMERAL.start(),
        });
        id
    }

    /// Run `f` on the state, with the state's clock set to now.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut st = self.state.borrow_mut();
        st.now = self.clock.now();
        f(&mut st)
    }

    /// Deliver every segment due by `now` (replies due at once included).
    pub fn step(&self, now: Duration) {
        let mut st = self.state.borrow_mut();
        st.now = now;
        while let Some(seg) = st.queue.pop_due(now) {
            st.delivered += 1;
            st.deliver(seg);
        }
    }

    /// When the next segment is due.
    pub fn next_delivery(&self) -> Option<Duration> {
        self.state.borrow().queue.next_at()
    }

    /// Segments delivered so far.
    pub fn delivered(&self) -> u64 {
        self.state.borrow().delivered
    }

    /// Live connections (for tests: closed connections are freed).
    pub fn connections(&self) -> usize {
        self.state.borrow().conns.len()
    }
}

impl State {
    /// Bind a listener on `host` at `addr` (port 0: an ephemeral port). Two listeners conflict
    /// on one port when their addresses are equal or either is the wildcard.
    pub(crate) fn listen(&mut self, host: HostId, addr: SocketAddr) -> io::Result<Key> {
        let h = &self.hosts[host.0 as usize];
        let ip = addr.ip();
        if !(ip.is_unspecified() || ip.is_loopback() || ip == h.ip) {
            return Err(io::ErrorKind::AddrNotAvailable.into());
        }
        let addr = match addr.port() {
            0 => SocketAddr::new(ip, self.ephemeral_port(host)),
            _ => addr,
        };
        let clash = self.hosts[host.0 as usize].listening.keys().any(|a| {
            a.port() == addr.port()
                && (a.ip() == ip || a.ip().is_unspecified() || ip.is_unspecified())
        });
        if clash {
            return Err(io::ErrorKind::AddrInUse.into());
        }
        let key = self.listeners.insert(Listener {
            host,
            addr,
            ready: VecDeque::new(),
            half_open: Vec::new(),
            wakers: Vec::new(),
        });
        self.hosts[host.0 as usize].listening.insert(addr, key);
        Ok(key)
    }

    /// The next ephemeral port of `host`. Connections are told apart by their key, never by
    /// their 4-tuple, so a port is only a label the peer sees.
    fn ephemeral_port(&mut self, host: HostId) -> u16 {
        let h = &mut self.hosts[host.0 as usize];
        let p = h.next_port;
        h.next_port = if p == *EPHEMERAL.end() {
            *EPHEMERAL.start()
        } else {
            p + 1
        };
        p
    }

    /// Close a listener: every connection it holds unaccepted or handshaking is reset (Linux's
    /// `inet_csk_listen_stop`).
    pub(crate) fn close_listener(&mut self, key: Key) {
        let Some(l) = self.listeners.remove(key) else {
            return;
        };
        self.hosts[l.host.0 as usize].listening.remove(&l.addr);
        for c in l.ready.into_iter().chain(l.half_open) {
            self.send(c, SERVER, Kind::Rst);
            self.drop_end(c, SERVER);
        }
    }

    /// Accept a connection from `key`'s ready queue, or park `waker`.
    pub(crate) fn accept(&mut self, key: Key, waker: &Waker) -> Option<(Key, SocketAddr)> {
        let l = self.listeners.get_mut(key).expect("a live listener");
        if let Some(c) = l.ready.pop_front() {
            let peer = self.conns.get(c).expect("a ready connection").ends[SERVER].peer;
            return Some((c, peer));
        }
        if !l.wakers.iter().any(|w| w.will_wake(waker)) {
            l.wakers.push(waker.clone());
        }
        None
    }

    /// Open a connection from `host` to `to` and send its SYN.
    pub(crate) fn connect(&mut self, host: HostId, to: SocketAddr) -> Key {
        let own = self.hosts[host.0 as usize].ip;
        let local = to.ip().is_loopback() || to.ip() == own;
        let src_ip = if to.ip().is_loopback() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            own
        };
        let src = SocketAddr::new(src_ip, self.ephemeral_port(host));
        let server_host = if local {
            Some(host)
        } else {
            self.by_ip.get(&to.ip()).copied()
        };
        let mut server = End::new(server_host.unwrap_or(host), to, src);
        // No host owns the address: the SYN goes nowhere and the connect hangs.
        server.gone = server_host.is_none();
        let key = self.conns.insert(Conn {
            ends: [End::new(host, src, to), server],
            local,
            listener: None,
            established: false,
            refused: false,
            connect_waker: None,
        });
        self.send(key, CLIENT, Kind::Syn);
        key
    }

    /// Send a segment (not data) from `from`'s end of `key`.
    pub(crate) fn send(&mut self, key: Key, from: Side, kind: Kind) {
        self.send_with(key, from, kind, &[]);
    }

    /// Send `data` (not empty) from `from`'s end of `key`.
    pub(crate) fn send_data(&mut self, key: Key, from: Side, data: &[u8]) {
        self.send_with(key, from, Kind::Data(data.len()), data);
    }

    /// Queue a segment, with its bytes behind those already sent to the peer (unless the
    /// segment is lost, or the peer would discard them on arrival).
    fn send_with(&mut self, key: Key, from: Side, kind: Kind, data: &[u8]) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        let local = c.local;
        let nowhere = matches!(kind, Kind::Syn) && c.ends[SERVER].gone;
        let end = &mut c.ends[from];
        if let Kind::Data(n) = kind {
            // Counted even when lost: unacknowledged bytes hold the writer's window.
            end.in_flight += n;
        }
        if end.broken && kind.in_stream() {
            return;
        }
        let delay = if local {
            Some(Duration::ZERO)
        } else {
            let (src, dst) = (end.local.ip(), end.peer.ip());
            (self.links.borrow_mut()).route_cached(&mut end.route, src, dst)
        };
        let Some(delay) = delay.filter(|_| !nowhere) else {
            if kind.in_stream() {
                end.broken = true;
            }
            if matches!(kind, Kind::Syn) {
                c.ends[SERVER].gone = true;
            }
            return;
        };
        let at = (now + delay).max(end.last_arrival);
        end.last_arrival = at;
        let peer = &mut c.ends[1 - from];
        if peer.accepts() {
            if peer.recv.capacity() == 0 {
                // A message's bytes, in one allocation (no growth in steps).
                peer.recv.reserve_exact(data.len());
            }
            peer.recv.extend(data);
        }
        let seg = Segment {
            conn: key,
            from,
            kind,
        };
        self.queue.push(at, now, seg);
    }

    /// `side`'s handle of `key` is gone; free the connection once both are.
    pub(crate) fn drop_end(&mut self, key: Key, side: Side) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        let end = &mut c.ends[side];
        end.gone = true;
        end.discard();
        end.read_waker = None;
        end.write_waker = None;
        if c.finished() {
            self.conns.remove(key);
        }
    }

    /// Close `side`'s handle of `key`: RST when unread bytes are left (or the client gives up
    /// a connect the server already answered), FIN otherwise.
    pub(crate) fn close(&mut self, key: Key, side: Side) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        let end = &c.ends[side];
        if !end.reset && (side == SERVER || c.established) {
            if end.recv_len > 0 {
                self.send(key, side, Kind::Rst);
            } else if !end.wr_closed {
                self.shutdown(key, side);
            }
        }
        self.drop_end(key, side);
    }

    /// Send `side`'s FIN (once).
    pub(crate) fn shutdown(&mut self, key: Key, side: Side) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if !c.ends[side].wr_closed {
            c.ends[side].wr_closed = true;
            self.send(key, side, Kind::Fin);
        }
    }
}
