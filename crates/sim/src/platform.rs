//! The proxy core's platform seam inside the twin: turmoil-net sockets on one pod's host,
//! tasks on the deterministic executor, time from the virtual clock.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use meshtwin_proxy::platform::{AcceptFuture, LocalBoxFuture, Platform};
use turmoil_net::shim::tokio::net::{TcpListener, TcpStream};
use turmoil_net::HostId;

use crate::clock::{Clock, Sleep};
use crate::executor::Executor;
use crate::stream::SimStream;

/// What every host's platform shares.
pub struct Core {
    pub exec: Executor,
    pub clock: Rc<Clock>,
}

/// One pod's view of the world.
#[derive(Clone)]
pub struct SimPlatform {
    pub core: Rc<Core>,
    pub host: HostId,
}

impl Platform for SimPlatform {
    type Stream = SimStream;
    type Listener = TcpListener;

    fn bind(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<TcpListener>> {
        Box::pin(TcpListener::bind(addr))
    }

    fn accept<'a>(&self, listener: &'a TcpListener) -> AcceptFuture<'a, SimStream> {
        Box::pin(async move { listener.accept().await.map(|(s, a)| (SimStream(s), a)) })
    }

    fn connect(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<SimStream>> {
        Box::pin(async move { TcpStream::connect(addr).await.map(SimStream) })
    }

    fn spawn(&self, fut: LocalBoxFuture<()>) {
        self.core.exec.spawn(self.host, fut);
    }

    fn now(&self) -> Duration {
        self.core.clock.now()
    }

    fn sleep(&self, d: Duration) -> LocalBoxFuture<()> {
        Box::pin(Sleep::new(self.core.clock.clone(), d))
    }
}
