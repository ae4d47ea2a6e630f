//! What an arriving segment does (see [`super::conn`] for the behaviour modelled).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::conn::{Kind, Segment, Side, CLIENT, SERVER};
use super::slab::Key;
use super::{State, BACKLOG};
use crate::network::HostId;

impl State {
    pub(super) fn deliver(&mut self, seg: Segment) {
        let to = 1 - seg.from;
        match seg.kind {
            Kind::Syn => self.on_syn(seg.conn),
            Kind::SynAck => self.on_syn_ack(seg.conn),
            Kind::Ack => self.on_ack(seg.conn),
            Kind::Data(n) => self.on_data(seg.conn, to, n),
            Kind::Fin => self.on_fin(seg.conn, to),
            Kind::Rst => self.on_rst(seg.conn, to),
        }
    }

    /// The listener `host` has for `local`: an exact bind, else the wildcard on its port.
    fn find_listener(&self, host: HostId, local: SocketAddr) -> Option<Key> {
        let listening = &self.hosts[host.0 as usize].listening;
        let any = match local.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        listening
            .get(&local)
            .or_else(|| listening.get(&SocketAddr::new(any, local.port())))
            .copied()
    }

    /// A SYN at the server: RST when nothing listens, dropped when the backlog is full,
    /// otherwise half-open and answered with SYN-ACK.
    fn on_syn(&mut self, key: Key) {
        let Some(c) = self.conns.get(key) else {
            return;
        };
        let (host, local) = (c.ends[SERVER].host, c.ends[SERVER].local);
        if c.ends[CLIENT].gone {
            // The client gave up before its SYN arrived: nothing will ever answer it.
            self.drop_end(key, SERVER);
            return;
        }
        let Some(lk) = self.find_listener(host, local) else {
            self.send(key, SERVER, Kind::Rst);
            return;
        };
        let l = self.listeners.get_mut(lk).expect("a bound listener");
        if l.ready.len() + l.half_open.len() >= BACKLOG {
            return;
        }
        l.half_open.push(key);
        self.conns.get_mut(key).expect("checked above").listener = Some(lk);
        self.send(key, SERVER, Kind::SynAck);
    }

    /// The SYN-ACK at the client: connected (or, if the client gave up meanwhile, RST).
    fn on_syn_ack(&mut self, key: Key) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        c.established = true;
        if c.ends[CLIENT].gone {
            self.send(key, CLIENT, Kind::Rst);
            return;
        }
        if let Some(w) = c.connect_waker.take() {
            w.wake();
        }
        self.send(key, CLIENT, Kind::Ack);
    }

    /// The handshake's ACK at the server: the connection is ready to accept.
    fn on_ack(&mut self, key: Key) {
        let Some(c) = self.conns.get(key) else {
            return;
        };
        if c.ends[SERVER].reset || c.ends[SERVER].gone {
            return;
        }
        let Some(l) = c.listener.and_then(|lk| self.listeners.get_mut(lk)) else {
            return;
        };
        l.half_open.retain(|k| *k != key);
        l.ready.push_back(key);
        for w in l.wakers.drain(..) {
            w.wake();
        }
    }

    /// `n` bytes arrive: the next `n` of `to`'s buffer become readable.
    fn on_data(&mut self, key: Key, to: Side, n: usize) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        c.ends[1 - to].in_flight -= n;
        let end = &mut c.ends[to];
        // Bytes for a closed or reset end are discarded (turmoil-net acknowledges them too);
        // they were never buffered, or were dropped when the end closed or reset.
        if !end.accepts() {
            return;
        }
        end.recv_len += n;
        end.wake_read();
    }

    fn on_fin(&mut self, key: Key, to: Side) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        let end = &mut c.ends[to];
        if end.gone || end.reset {
            return;
        }
        end.peer_fin = true;
        end.wake_read();
    }

    /// An RST: a connecting client is refused; an open end is aborted; a half-open server end
    /// leaves its listener.
    fn on_rst(&mut self, key: Key, to: Side) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if to == CLIENT && !c.established {
            c.refused = true;
            c.ends[SERVER].gone = true;
            if let Some(w) = c.connect_waker.take() {
                w.wake();
            }
        }
        c.ends[to].abort();
        if to == SERVER {
            if let Some(l) = c.listener.and_then(|lk| self.listeners.get_mut(lk)) {
                if let Some(i) = l.half_open.iter().position(|k| *k == key) {
                    l.half_open.remove(i);
                    self.drop_end(key, SERVER);
                    return;
                }
            }
        }
        if self.conns.get(key).is_some_and(|c| c.finished()) {
            self.conns.remove(key);
        }
    }
}
