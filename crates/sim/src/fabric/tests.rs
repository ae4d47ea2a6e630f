//! The fabric's TCP behaviour, seen from applications on two hosts 100 µs apart.

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_proxy::platform::Platform;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::clock::Clock;
use crate::network::{Network, Substrate};
use crate::platform::{Core, SimPlatform};
use crate::scheduler::run_until;

const LINK: Duration = Duration::from_micros(100);

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

/// Two hosts (10.0.0.1 client, 10.0.0.2 server) on the fabric.
struct World {
    network: Network,
    core: Rc<Core>,
    client: SimPlatform,
    server: SimPlatform,
    log: Rc<RefCell<Vec<(Duration, String)>>>,
}

impl World {
    fn new() -> Self {
        let clock = Rc::new(Clock::default());
        let (network, hosts) = Network::new(
            Substrate::Fabric,
            clock.clone(),
            &[ip(1), ip(2)],
            Box::new(|_, _| LINK),
        );
        let core = Rc::new(Core::new(clock, &network));
        let on = |h| SimPlatform {
            core: core.clone(),
            host: h,
        };
        Self {
            client: on(hosts[0]),
            server: on(hosts[1]),
            network,
            core,
            log: Rc::default(),
        }
    }

    fn logger(&self) -> impl Fn(&SimPlatform, String) + 'static {
        let log = self.log.clone();
        move |p: &SimPlatform, what: String| log.borrow_mut().push((p.now(), what))
    }

    fn run(&mut self) -> Vec<(Duration, String)> {
        run_until(
            &self.core,
            &mut self.network,
            Duration::from_secs(10),
            || false,
        );
        self.core.exec.shutdown();
        self.log.borrow().clone()
    }
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

#[test]
fn connect_takes_one_round_trip_and_data_one_way() {
    let mut w = World::new();
    let (log, s, c) = (w.logger(), w.server.clone(), w.client.clone());
    let log2 = w.logger();
    w.server.spawn(Box::pin(async move {
        let l = s.bind(SocketAddr::new(ip(2), 80)).await.unwrap();
        let (mut conn, peer) = s.accept(&l).await.unwrap();
        log(&s, format!("accepted from {}", peer.ip()));
        let mut buf = [0u8; 5];
        conn.read_exact(&mut buf).await.unwrap();
        log(&s, format!("read {}", String::from_utf8_lossy(&buf)));
    }));
    w.client.spawn(Box::pin(async move {
        let mut conn = c.connect(SocketAddr::new(ip(2), 80)).await.unwrap();
        log2(&c, "connected".into());
        conn.write_all(b"hello").await.unwrap();
        std::future::pending::<()>().await;
    }));
    assert_eq!(
        w.run(),
        vec![
            (us(200), "connected".into()),
            (us(300), "accepted from 10.0.0.1".into()),
            (us(300), "read hello".into()),
        ]
    );
}

#[test]
fn a_connect_to_a_port_nothing_listens_on_is_refused_after_one_round_trip() {
    let mut w = World::new();
    let (log, c) = (w.logger(), w.client.clone());
    w.client.spawn(Box::pin(async move {
        let e = c.connect(SocketAddr::new(ip(2), 81)).await.err().unwrap();
        log(&c, format!("{:?}", e.kind()));
    }));
    assert_eq!(w.run(), vec![(us(200), "ConnectionRefused".into())]);
    assert_eq!(w.network_connections(), 0);
}

impl World {
    fn network_connections(&self) -> usize {
        match &self.core.net {
            crate::network::NetHandle::Fabric(f) => f.connections(),
            crate::network::NetHandle::TurmoilNet(_) => unreachable!("the fabric"),
        }
    }
}

#[test]
fn half_close_delivers_end_of_file_and_the_peer_can_still_answer() {
    let mut w = World::new();
    let (log, s, c) = (w.logger(), w.server.clone(), w.client.clone());
    let log2 = w.logger();
    w.server.spawn(Box::pin(async move {
        let l = s.bind(SocketAddr::new(ip(2), 80)).await.unwrap();
        let (mut conn, _) = s.accept(&l).await.unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap();
        log(&s, format!("eof after {}", String::from_utf8_lossy(&got)));
        conn.write_all(b"bye").await.unwrap();
    }));
    w.client.spawn(Box::pin(async move {
        let mut conn = c.connect(SocketAddr::new(ip(2), 80)).await.unwrap();
        conn.write_all(b"hi").await.unwrap();
        conn.shutdown().await.unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap();
        log2(&c, format!("answer {}", String::from_utf8_lossy(&got)));
    }));
    assert_eq!(
        w.run(),
        vec![
            (us(300), "eof after hi".into()),
            (us(400), "answer bye".into()),
        ]
    );
    assert_eq!(w.network_connections(), 0, "both ends closed: freed");
}

#[test]
fn closing_with_unread_bytes_resets_the_peer() {
    let mut w = World::new();
    let (log, s, c) = (w.logger(), w.server.clone(), w.client.clone());
    w.server.spawn(Box::pin(async move {
        let l = s.bind(SocketAddr::new(ip(2), 80)).await.unwrap();
        let (conn, _) = s.accept(&l).await.unwrap();
        s.sleep(us(1000)).await;
        drop(conn);
    }));
    w.client.spawn(Box::pin(async move {
        let mut conn = c.connect(SocketAddr::new(ip(2), 80)).await.unwrap();
        conn.write_all(b"unread").await.unwrap();
        let mut buf = [0u8; 8];
        let e = conn.read(&mut buf).await.err().unwrap();
        log(&c, format!("{:?}", e.kind()));
        let e = conn.write_all(b"more").await.err().unwrap();
        log(&c, format!("{:?}", e.kind()));
    }));
    assert_eq!(
        w.run(),
        vec![
            (us(1400), "ConnectionReset".into()),
            (us(1400), "ConnectionReset".into()),
        ]
    );
}

#[test]
fn a_partition_stalls_a_connection_for_good_and_hangs_connects_until_healed() {
    let mut w = World::new();
    let (log, s, c) = (w.logger(), w.server.clone(), w.client.clone());
    let log2 = w.logger();
    w.server.spawn(Box::pin(async move {
        let l = s.bind(SocketAddr::new(ip(2), 80)).await.unwrap();
        let (mut conn, _) = s.accept(&l).await.unwrap();
        let mut buf = [0u8; 16];
        while let Ok(n) = conn.read(&mut buf).await {
            if n == 0 {
                break;
            }
            log(&s, format!("read {}", String::from_utf8_lossy(&buf[..n])));
        }
    }));
    w.client.spawn(Box::pin(async move {
        let mut conn = c.connect(SocketAddr::new(ip(2), 80)).await.unwrap();
        conn.write_all(b"before").await.unwrap();
        c.sleep(us(1000)).await; // partitioned meanwhile
        conn.write_all(b"lost").await.unwrap();
        let during = c.connect(SocketAddr::new(ip(2), 80));
        let r = meshtwin_proxy::platform::timeout(&c, us(300), during).await;
        log2(
            &c,
            format!("connect during the partition done: {}", r.is_some()),
        );
        c.sleep(us(1000)).await; // healed meanwhile
        conn.write_all(b"after").await.unwrap();
        let again = c.connect(SocketAddr::new(ip(2), 80));
        let r = meshtwin_proxy::platform::timeout(&c, us(5000), again).await;
        log2(&c, format!("connect after the heal done: {}", r.is_some()));
    }));
    run_until(&w.core, &mut w.network, us(700), || false);
    w.network.block([ip(1)].into(), [ip(2)].into());
    run_until(&w.core, &mut w.network, us(1700), || false);
    w.network.heal();
    assert_eq!(
        w.run(),
        vec![
            (us(300), "read before".into()),
            (us(1500), "connect during the partition done: false".into()),
            (us(2700), "connect after the heal done: true".into()),
        ],
        "nothing after the lost segment arrives; a fresh connection after the heal works"
    );
}

#[test]
fn a_writer_waits_when_a_window_of_bytes_is_unread() {
    let mut w = World::new();
    let (log, s, c) = (w.logger(), w.server.clone(), w.client.clone());
    w.server.spawn(Box::pin(async move {
        let l = s.bind(SocketAddr::new(ip(2), 80)).await.unwrap();
        let (mut conn, _) = s.accept(&l).await.unwrap();
        s.sleep(us(10_000)).await;
        let mut buf = vec![0u8; 100_000];
        conn.read_exact(&mut buf).await.unwrap();
    }));
    w.client.spawn(Box::pin(async move {
        let mut conn = c.connect(SocketAddr::new(ip(2), 80)).await.unwrap();
        conn.write_all(&[1u8; 100_000]).await.unwrap();
        log(&c, "wrote 100000 bytes".into());
    }));
    // The first 64 KiB leave at 200 µs; the rest only once the server reads, at 10.3 ms.
    assert_eq!(w.run(), vec![(us(10_300), "wrote 100000 bytes".into())]);
}

#[test]
fn bytes_arrive_intact_and_in_order_through_writes_and_reads_of_other_sizes() {
    let mut w = World::new();
    let (log, s, c) = (w.logger(), w.server.clone(), w.client.clone());
    let sent: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let expected = sent.clone();
    w.server.spawn(Box::pin(async move {
        let l = s.bind(SocketAddr::new(ip(2), 80)).await.unwrap();
        let (mut conn, _) = s.accept(&l).await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4093];
        loop {
            let n = conn.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            s.sleep(us(1)).await; // the writer refills the window meanwhile
        }
        log(
            &s,
            format!("read {} bytes, intact: {}", got.len(), got == expected),
        );
    }));
    w.client.spawn(Box::pin(async move {
        let mut conn = c.connect(SocketAddr::new(ip(2), 80)).await.unwrap();
        for chunk in sent.chunks(7000) {
            conn.write_all(chunk).await.unwrap();
        }
        conn.shutdown().await.unwrap();
    }));
    let log = w.run();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].1, "read 200000 bytes, intact: true");
}
