//! Real sockets and real time: tokio's network stack on a current-thread runtime with a
//! `LocalSet`. The only module of the core allowed to read the wall clock.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

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
    type Stream = TcpStream;
    type Listener = TcpListener;

    fn bind(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<TcpListener>> {
        Box::pin(TcpListener::bind(addr))
    }

    fn accept<'a>(&self, listener: &'a TcpListener) -> AcceptFuture<'a, TcpStream> {
        Box::pin(listener.accept())
    }

    fn connect(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<TcpStream>> {
        Box::pin(async move {
            let s = TcpStream::connect(addr).await?;
            s.set_nodelay(true)?;
            Ok(s)
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
}
