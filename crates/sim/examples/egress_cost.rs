#![allow(clippy::disallowed_types, clippy::disallowed_methods)]
use std::net::{IpAddr, Ipv4Addr};
fn main() {
    for sockets in [false, true] {
        let mut net = turmoil_net::Net::with_config(meshtwin_sim::network::kernel_config());
        let hosts: Vec<_> = (0..1000u32)
            .map(|i| net.add_host(IpAddr::V4(Ipv4Addr::from(0x0A00_0001 + i))))
            .collect();
        let g = net.enter();
        if sockets {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            for h in &hosts {
                turmoil_net::set_current(*h);
                rt.block_on(async {
                    for p in [80u16, 15001, 8080] {
                        let l = turmoil_net::shim::tokio::net::TcpListener::bind(("0.0.0.0", p))
                            .await
                            .unwrap();
                        std::mem::forget(l);
                    }
                });
            }
        }
        let mut buf = Vec::new();
        let t0 = std::time::Instant::now();
        for _ in 0..10_000 {
            g.egress_all(&mut buf);
        }
        println!(
            "sockets={sockets}: {:.2} µs per egress_all over 1000 hosts",
            t0.elapsed().as_secs_f64() * 1e6 / 10_000.0
        );
    }
}
