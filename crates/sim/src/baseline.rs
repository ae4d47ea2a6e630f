//! The benchmark's baseline: a bare echo over the same hops as a meshed request (client →
//! local relay → remote relay → server, on two hosts), on the same substrate, executor, clock
//! and scheduler as the twin, with no HTTP and no proxy logic.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_proxy::platform::Platform;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::clock::Clock;
use crate::network::{Network, Substrate};
use crate::platform::{Core, SimPlatform};
use crate::scheduler::run_until;
use crate::stream::SimStream;

const MSG: usize = 64;

/// What the echo run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoRun {
    pub round_trips: u64,
    pub virtual_time: Duration,
    pub task_polls: u64,
}

/// Forward bytes both ways between two streams until either side closes.
async fn splice(a: SimStream, b: SimStream) {
    let (mut ar, mut aw) = tokio::io::split(a);
    let (mut br, mut bw) = tokio::io::split(b);
    let up = async {
        let mut buf = [0u8; 1024];
        while let Ok(n) = ar.read(&mut buf).await {
            if n == 0 || bw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = async {
        let mut buf = [0u8; 1024];
        while let Ok(n) = br.read(&mut buf).await {
            if n == 0 || aw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(up, down);
}

/// A relay on `p`: accept on `listen`, connect each accepted connection to `upstream`.
fn spawn_relay(p: SimPlatform, listen: SocketAddr, upstream: SocketAddr) {
    let p2 = p.clone();
    p.spawn(Box::pin(async move {
        let l = p2.bind(listen).await.expect("relay address is free");
        loop {
            let Ok((down, _)) = p2.accept(&l).await else {
                continue;
            };
            let p3 = p2.clone();
            p2.spawn(Box::pin(async move {
                if let Ok(up) = p3.connect(upstream).await {
                    splice(down, up).await;
                }
            }));
        }
    }));
}

/// A server on `platform` at `addr` that echoes every message back.
fn spawn_echo_server(platform: SimPlatform, addr: SocketAddr) {
    let p = platform.clone();
    platform.spawn(Box::pin(async move {
        let l = p.bind(addr).await.expect("server address is free");
        loop {
            let Ok((mut s, _)) = p.accept(&l).await else {
                continue;
            };
            p.spawn(Box::pin(async move {
                let mut buf = [0u8; MSG];
                while s.read_exact(&mut buf).await.is_ok() {
                    if s.write_all(&buf).await.is_err() {
                        break;
                    }
                }
            }));
        }
    }));
}

/// Run `round_trips` 64-byte echoes over `connections` concurrent client connections on
/// `substrate`, with `idle_hosts` extra hosts that each listen on one port and never see
/// traffic.
pub fn echo(
    substrate: Substrate,
    round_trips: u64,
    connections: u32,
    link: Duration,
    idle_hosts: u32,
) -> EchoRun {
    let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    let ips: Vec<IpAddr> = [a, b]
        .into_iter()
        .chain((0..idle_hosts).map(|i| IpAddr::V4(Ipv4Addr::from(0x0A01_0000u32 + i))))
        .collect();
    let clock = Rc::new(Clock::default());
    let (mut network, hosts) =
        Network::new(substrate, clock.clone(), &ips, Box::new(move |_, _| link));
    let (ha, hb, idle) = (hosts[0], hosts[1], hosts[2..].to_vec());
    let core = Rc::new(Core::new(clock, &network));
    let on = |host| SimPlatform {
        core: core.clone(),
        host,
    };
    let lo = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    spawn_echo_server(on(hb), lo(8080));
    spawn_relay(on(hb), SocketAddr::new(b, 80), lo(8080));
    spawn_relay(on(ha), lo(15001), SocketAddr::new(b, 80));
    for host in idle {
        let p = on(host);
        let p2 = p.clone();
        p.spawn(Box::pin(async move {
            let l = p2.bind(lo(8080)).await.expect("idle address is free");
            let _ = p2.accept(&l).await;
        }));
    }
    let per_conn = round_trips / u64::from(connections.max(1));
    let done = Rc::new(std::cell::Cell::new(0u64));
    for _ in 0..connections.max(1) {
        let (p, done) = (on(ha), done.clone());
        let p2 = p.clone();
        p.spawn(Box::pin(async move {
            let Ok(mut s) = p2.connect(lo(15001)).await else {
                return;
            };
            let mut buf = [7u8; MSG];
            for _ in 0..per_conn {
                if s.write_all(&buf).await.is_err() || s.read_exact(&mut buf).await.is_err() {
                    return;
                }
                done.set(done.get() + 1);
            }
        }));
    }
    let total = per_conn * u64::from(connections.max(1));
    run_until(&core, &mut network, Duration::MAX, || done.get() >= total);
    let clock = core.clock.clone();
    let run = EchoRun {
        round_trips: done.get(),
        virtual_time: clock.now(),
        task_polls: core.exec.polls(),
    };
    core.exec.shutdown();
    drop(network);
    run
}

/// A network of `hosts` idle hosts on `substrate`, and a closure that makes one scheduler
/// pass over it: the benchmark times it (on turmoil-net a pass drains every host's egress,
/// which is why pods no load can reach are never made hosts).
pub fn idle_network(substrate: Substrate, hosts: u32) -> impl FnMut() {
    let ips: Vec<IpAddr> = (0..hosts)
        .map(|i| IpAddr::V4(Ipv4Addr::from(0x0A02_0000u32 + i)))
        .collect();
    let clock = Rc::new(Clock::default());
    let (mut network, _) = Network::new(substrate, clock, &ips, Box::new(|_, _| Duration::ZERO));
    move || network.step(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_completes_every_round_trip_over_three_hops_on_both_substrates() {
        for substrate in [Substrate::Fabric, Substrate::TurmoilNet] {
            let r = echo(substrate, 100, 4, Duration::from_micros(100), 3);
            assert_eq!(r.round_trips, 100, "{substrate:?}");
            // Each round trip crosses the network twice (100 µs each way), 25 per connection,
            // after a connect of one round trip.
            assert_eq!(
                r.virtual_time,
                Duration::from_micros(25 * 200 + 200),
                "{substrate:?}"
            );
        }
    }
}
