//! Real sockets and real time: tokio's network stack on a current-thread runtime with a
//! `LocalSet`. The only module of the core allowed to read the wall clock.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::{AcceptFuture, LocalBoxFuture, Platform};

/// The real platform. Must be used inside a tokio `LocalSet`.
#[derive(Clone)]
pub struct RealPlatform {
    epoch: tokio::time::Instant,
}

impl RealPlatform {
    pub fn new() -> Self {
        Self {
            epoch: tokio::time::Instant::now(),
        }
    }
}

impl Default for RealPlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for RealPlatform {
    type Stream = RealStream;
    type Listener = TcpListener;

    fn bind(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<TcpListener>> {
        Box::pin(TcpListener::bind(addr))
    }

    fn accept<'a>(&self, listener: &'a TcpListener) -> AcceptFuture<'a, RealStream> {
        Box::pin(async move {
            let (s, peer) = listener.accept().await?;
            Ok((RealStream(Rc::new(s)), peer))
        })
    }

    fn connect(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<RealStream>> {
        Box::pin(async move {
            let s = TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            Ok(RealStream(Rc::new(s)))
        })
    }

    fn peer_closed(&self, stream: &RealStream) -> LocalBoxFuture<()> {
        let s = stream.0.clone();
        let platform = self.clone();
        Box::pin(async move {
            loop {
                match s.ready(Interest::READABLE).await {
                    Ok(r) if !r.is_read_closed() && !r.is_error() => {}
                    _ => return,
                }
                // Readable with data nobody reads yet: look again a little later (the
                // readiness stays set until a read drains it).
                platform.sleep(CLOSE_POLL).await;
            }
        })
    }

    #[allow(
        clippy::disallowed_methods,
        reason = "the real platform owns its runtime"
    )]
    fn spawn(&self, fut: LocalBoxFuture<()>) {
        tokio::task::spawn_local(fut);
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn sleep(&self, d: Duration) -> LocalBoxFuture<()> {
        Box::pin(tokio::time::sleep(d))
    }

    fn entropy(&self) -> Option<u128> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).ok()?;
        Some(u128::from_le_bytes(b))
    }
}

/// How often a connection with unread data is checked for a remote close.
const CLOSE_POLL: Duration = Duration::from_millis(100);

/// A TCP stream that [`Platform::peer_closed`] can watch while hyper owns it.
pub struct RealStream(Rc<TcpStream>);

impl AsyncRead for RealStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match self.0.try_read(unfilled) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for RealStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return Poll::Ready(r),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shut down the write side, as `TcpStream::poll_shutdown` does (tokio offers it only
    /// through `&mut`, and the stream is shared with the close watcher).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let s: &TcpStream = &self.0;
        Poll::Ready(socket2::SockRef::from(s).shutdown(std::net::Shutdown::Write))
    }
}
