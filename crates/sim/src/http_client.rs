//! The HTTP/1 client connection that fortio and the apps open: a hyper handshake over a
//! platform stream, its connection task spawned. Both go through this one function so that
//! the twin carries one copy of hyper's client connection code for them, not one per caller
//! (the task wrapper's callback is part of its type): a request in a big mesh crosses both,
//! and a hop's code that no longer fits the instruction cache is what such a request pays
//! for (README, "Benchmark").

use bytes::Bytes;
use http_body_util::Empty;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use meshtwin_proxy::platform::{detach, Platform};

/// A client connection's request sender.
pub type Sender = http1::SendRequest<Empty<Bytes>>;

/// HTTP/1 over `stream`, whose connection runs as a task of `p`; `None` when the handshake
/// fails.
pub async fn open<P: Platform>(p: &P, stream: P::Stream) -> Option<Sender> {
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.ok()?;
    p.spawn(detach(conn, ended));
    Some(sender)
}

/// Nothing to do when a client connection ends: its sender sees it closed.
fn ended() {}
