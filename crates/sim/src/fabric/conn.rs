//! A connection's two ends and the segments between them, and what each segment does when it
//! arrives (RFC 793's state machine, reduced to what an application can observe).
//!
//! - Handshake: SYN (client → server), SYN-ACK, ACK. `connect` completes when the SYN-ACK
//!   arrives (one round trip); `accept` returns the connection when the ACK arrives. A SYN
//!   that finds no listener is answered with RST: the client sees `ConnectionRefused`.
//! - Data, FIN and RST travel in order per direction: a segment never overtakes an earlier
//!   one of the same direction (TCP's in-order delivery; a delayed — "lost" — segment holds
//!   back the ones behind it, as retransmission would).
//! - A segment a partition drops is gone, and with it everything behind it in its direction:
//!   the twin's TCP does not retransmit (see [`crate::network`]), so that direction stalls
//!   and the application's timeouts fire, as with turmoil-net.
//! - Close: dropping a handle with unread bytes sends RST (Linux's `tcp_close`), otherwise
//!   FIN. A reset end's reads and writes fail with `ConnectionReset`.
//!
//! A data segment carries only its length: the bytes wait in the receiving end's buffer
//! ([`End::recv`]), in order behind the bytes already arrived, so a write costs one copy and
//! no allocation of its own (the buffer is allocated when the first bytes of a message are
//! sent to an end with none left to read, and freed once read).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::task::Waker;
use std::time::Duration;

use super::slab::Key;
use crate::links::Route;
use crate::network::HostId;

/// Which end: the client (0) or the server (1).
pub type Side = usize;
pub const CLIENT: Side = 0;
pub const SERVER: Side = 1;

/// What a segment carries.
pub enum Kind {
    Syn,
    SynAck,
    Ack,
    /// This many bytes, waiting in the receiver's [`End::recv`].
    Data(usize),
    Fin,
    Rst,
}

impl Kind {
    /// Whether losing this segment stalls its direction for good (everything after it would
    /// be out of order). A lost SYN or SYN-ACK only leaves the handshake hanging; a lost RST
    /// just is not seen.
    pub fn in_stream(&self) -> bool {
        matches!(self, Kind::Ack | Kind::Data(_) | Kind::Fin)
    }
}

/// A segment in flight.
pub struct Segment {
    pub conn: Key,
    pub from: Side,
    pub kind: Kind,
}

/// One end of a connection.
pub struct End {
    pub host: HostId,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    /// The bytes sent to this end: the first [`End::recv_len`] have arrived and are unread,
    /// the rest are in flight, in the order of their segments. Empty once the end is gone or
    /// reset (what arrives then is discarded, so nothing is added any more).
    pub recv: VecDeque<u8>,
    /// Arrived, unread bytes.
    pub recv_len: usize,
    /// The peer's FIN arrived: reads return end of file once `recv` is drained.
    pub peer_fin: bool,
    /// An RST arrived (or this end sent one): reads and writes fail.
    pub reset: bool,
    /// This end sent its FIN.
    pub wr_closed: bool,
    /// This end's handle is gone (or will never exist).
    pub gone: bool,
    /// Bytes this end sent that have not arrived yet.
    pub in_flight: usize,
    /// A segment of this end's stream was dropped: nothing it sends arrives any more.
    pub broken: bool,
    /// When this end's latest segment arrives (nothing it sends later arrives earlier).
    pub last_arrival: Duration,
    /// What this end's segments meet on the way to the peer.
    pub route: Route,
    pub read_waker: Option<Waker>,
    pub write_waker: Option<Waker>,
}

impl End {
    pub fn new(host: HostId, local: SocketAddr, peer: SocketAddr) -> Self {
        Self {
            host,
            local,
            peer,
            recv: VecDeque::new(),
            recv_len: 0,
            peer_fin: false,
            reset: false,
            wr_closed: false,
            gone: false,
            in_flight: 0,
            broken: false,
            last_arrival: Duration::ZERO,
            route: Route::default(),
            read_waker: None,
            write_waker: None,
        }
    }

    pub fn wake_read(&mut self) {
        if let Some(w) = self.read_waker.take() {
            w.wake();
        }
    }

    pub fn wake_write(&mut self) {
        if let Some(w) = self.write_waker.take() {
            w.wake();
        }
    }

    /// Abort: buffers dropped, every parked task woken to see the error.
    pub fn abort(&mut self) {
        self.reset = true;
        self.discard();
        self.wake_read();
        self.wake_write();
    }

    /// Drop every byte sent to this end, arrived or not (it is gone or reset: nothing more
    /// arrives).
    pub fn discard(&mut self) {
        self.recv = VecDeque::new();
        self.recv_len = 0;
    }

    /// Whether bytes sent to this end now will be kept when they arrive.
    pub fn accepts(&self) -> bool {
        !(self.gone || self.reset)
    }

    /// Copy up to `out.remaining()` arrived bytes out; how many.
    pub fn take(&mut self, out: &mut tokio::io::ReadBuf<'_>) -> usize {
        let n = self.recv_len.min(out.remaining());
        let (a, b) = self.recv.as_slices();
        let k = n.min(a.len());
        out.put_slice(&a[..k]);
        out.put_slice(&b[..n - k]);
        self.recv.drain(..n);
        self.recv_len -= n;
        if self.recv.is_empty() {
            // Freed once drained: the next message's buffer comes from the allocator, warm
            // from the last one freed, where a buffer kept per connection is cold by the time
            // that connection is used again (more last-level cache misses in a big mesh).
            self.recv = VecDeque::new();
        }
        n
    }
}

/// Park `waker` in `slot`, keeping the one there if it wakes the same task (no clone: a
/// task polls a stream with no bytes for it again and again).
pub fn park(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

/// A connection.
pub struct Conn {
    pub ends: [End; 2],
    /// Both ends on one host (loopback or the pod's own address): no latency, no link rules.
    pub local: bool,
    /// The listener the SYN reached.
    pub listener: Option<Key>,
    /// The client has its SYN-ACK.
    pub established: bool,
    /// The client's SYN was answered with RST.
    pub refused: bool,
    pub connect_waker: Option<Waker>,
}

impl Conn {
    /// Both handles are gone: nothing can observe the connection any more.
    pub fn finished(&self) -> bool {
        self.ends[CLIENT].gone && self.ends[SERVER].gone
    }
}
