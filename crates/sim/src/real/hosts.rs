//! Pods on real loopback sockets: each pod's platform ([`PodPlatform`]) is the real one
//! (tokio sockets, real time, the OS's entropy) seen through the run's [`AddressPlan`], so
//! the twin's addresses — pod IPs, each pod's own `localhost` — work unchanged; and a pod's
//! tasks can be killed together, as a crash kills a pod's processes ([`RealHosts`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_proxy::platform::real::{RealPlatform, RealStream};
use meshtwin_proxy::platform::{AcceptFuture, LocalBoxFuture, Platform};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::addresses::AddressPlan;
use crate::pods::Hosts;

/// One pod's view of the machine: the real platform, its addresses through the plan.
#[derive(Clone)]
pub struct PodPlatform {
    real: RealPlatform,
    plan: Rc<AddressPlan>,
    /// The pod's name and its IP in the twin.
    pod: Rc<str>,
    ip: Ipv4Addr,
    /// The pod's incarnation; a task ends when it changes (a crash).
    life: Rc<watch::Sender<u64>>,
    /// Every listen that failed in the run, as a sentence.
    failures: Rc<RefCell<Vec<String>>>,
}

impl Platform for PodPlatform {
    type Stream = RealStream;
    type Listener = TcpListener;

    /// Listen on `addr`'s place; a failure is also noted for the run (an app's server gives
    /// up silently, a real run must not).
    fn bind(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<TcpListener>> {
        let (real, plan, ip) = (self.real.clone(), self.plan.clone(), self.ip);
        let (pod, failures) = (self.pod.clone(), self.failures.clone());
        Box::pin(async move {
            let bound = match plan.real_of(ip, addr) {
                Ok(at) => real.bind(at).await.map_err(|e| (format!(" (at {at})"), e)),
                Err(e) => Err((String::new(), e)),
            };
            bound.map_err(|(at, e)| {
                let failed = format!("{pod} cannot listen on {addr}{at}: {e}");
                failures.borrow_mut().push(failed);
                e
            })
        })
    }

    /// Accept a connection; the peer's address is the kernel's (see [`super::addresses`]).
    fn accept<'a>(&self, listener: &'a TcpListener) -> AcceptFuture<'a, RealStream> {
        self.real.accept(listener)
    }

    fn connect(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<RealStream>> {
        match self.plan.real_of(self.ip, addr) {
            Ok(real) => self.real.connect(real),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    /// Run `fut` until it ends or the pod's processes are killed.
    fn spawn(&self, fut: LocalBoxFuture<()>) {
        let mut life = self.life.subscribe();
        let born = *life.borrow_and_update();
        self.real.spawn(Box::pin(async move {
            tokio::select! {
                biased;
                _ = life.wait_for(|incarnation| *incarnation != born) => {}
                _ = fut => {}
            }
        }));
    }

    fn now(&self) -> Duration {
        self.real.now()
    }

    fn sleep(&self, d: Duration) -> LocalBoxFuture<()> {
        self.real.sleep(d)
    }

    fn peer_closed(&self, stream: &RealStream) -> LocalBoxFuture<()> {
        self.real.peer_closed(stream)
    }

    fn entropy(&self) -> Option<u128> {
        self.real.entropy()
    }
}

/// Every pod's platform in a real run.
pub struct RealHosts {
    platforms: BTreeMap<String, PodPlatform>,
    failures: Rc<RefCell<Vec<String>>>,
}

impl RealHosts {
    /// The pods `ips` (pod → IP) on the real platform `real`, placed by `plan`.
    pub fn new(
        ips: &BTreeMap<String, Ipv4Addr>,
        real: &RealPlatform,
        plan: &Rc<AddressPlan>,
    ) -> Self {
        let failures = Rc::new(RefCell::new(Vec::new()));
        let platforms = ips
            .iter()
            .map(|(pod, ip)| {
                let platform = PodPlatform {
                    real: real.clone(),
                    plan: plan.clone(),
                    pod: Rc::from(pod.as_str()),
                    ip: *ip,
                    life: Rc::new(watch::Sender::new(0)),
                    failures: failures.clone(),
                };
                (pod.clone(), platform)
            })
            .collect();
        Self {
            platforms,
            failures,
        }
    }

    /// Every listen that failed so far, as sentences (none in a sound run).
    pub fn listen_failures(&self) -> Vec<String> {
        self.failures.borrow().clone()
    }
}

impl Hosts for RealHosts {
    type Platform = PodPlatform;

    fn platform(&self, pod: &str) -> PodPlatform {
        self.platforms[pod].clone()
    }

    fn kill(&self, pod: &str) {
        self.platforms[pod]
            .life
            .send_modify(|incarnation| *incarnation += 1);
    }

    /// The proxy core spends its CPU time for real here; sleeping the twin's model of it on
    /// top would count it twice (and tokio's timers round 100 µs up to a millisecond).
    fn models_cpu_time(&self) -> bool {
        false
    }

    /// Every failed listen is noted ([`RealHosts::listen_failures`]) and fails the run.
    fn reports_listen_failures(&self) -> bool {
        true
    }
}
