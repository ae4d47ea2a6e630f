//! The proxy core's platform seam inside the twin: sockets on one pod's host (the fabric's, or
//! turmoil-net's), tasks on the deterministic executor, time from the virtual clock.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use meshtwin_proxy::platform::{AcceptFuture, LocalBoxFuture, Platform, Rest, Ticker};
use turmoil_net::shim::tokio::net::{TcpListener, TcpStream};

use crate::clock::{Clock, Sleep};
use crate::executor::Executor;
use crate::fabric::socket::{FabricListener, FabricStream};
use crate::network::{HostId, NetHandle, Network};
use crate::stream::SimStream;
use crate::ticker::SimTicker;

/// What every host's platform shares.
pub struct Core {
    pub exec: Executor,
    pub clock: Rc<Clock>,
    pub net: NetHandle,
}

impl Core {
    /// The core of a world whose hosts are on `network` (whose clock is `clock`).
    pub fn new(clock: Rc<Clock>, network: &Network) -> Self {
        let net = network.handle();
        Self {
            exec: Executor::new(&net, clock.clone()),
            clock,
            net,
        }
    }
}

/// One pod's view of the world.
#[derive(Clone)]
pub struct SimPlatform {
    pub core: Rc<Core>,
    pub host: HostId,
}

/// A listening socket.
pub enum SimListener {
    Fabric(FabricListener),
    TurmoilNet(TcpListener),
}

impl Platform for SimPlatform {
    type Stream = SimStream;
    type Listener = SimListener;

    fn bind(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<SimListener>> {
        match &self.core.net {
            NetHandle::Fabric(f) => {
                let l = FabricListener::bind(f.clone(), self.host, addr).map(SimListener::Fabric);
                Box::pin(std::future::ready(l))
            }
            NetHandle::TurmoilNet(_) => {
                Box::pin(async move { TcpListener::bind(addr).await.map(SimListener::TurmoilNet) })
            }
        }
    }

    fn accept<'a>(&self, listener: &'a SimListener) -> AcceptFuture<'a, SimStream> {
        match listener {
            SimListener::Fabric(l) => {
                Box::pin(async move { l.accept().await.map(|(s, a)| (SimStream::Fabric(s), a)) })
            }
            SimListener::TurmoilNet(l) => {
                Box::pin(
                    async move { l.accept().await.map(|(s, a)| (SimStream::TurmoilNet(s), a)) },
                )
            }
        }
    }

    fn connect(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<SimStream>> {
        match &self.core.net {
            NetHandle::Fabric(f) => {
                let c = FabricStream::connect(f.clone(), self.host, addr);
                Box::pin(async move { c.await.map(SimStream::Fabric) })
            }
            NetHandle::TurmoilNet(_) => {
                Box::pin(async move { TcpStream::connect(addr).await.map(SimStream::TurmoilNet) })
            }
        }
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

    /// A ticker that keeps its place among same-instant wake-ups while it rests.
    fn ticker(&self, period: Duration, rest: Rc<Rest>) -> Box<dyn Ticker> {
        Box::new(SimTicker::new(self.core.clone(), period, rest))
    }
}
