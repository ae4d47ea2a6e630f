//! Envoy's `tcp_proxy` filter (spec §1.5): opaque TCP to one cluster, with the cluster's
//! `max_connections` as a **hard** limit — no pending queue and no "first connection"
//! exception: over the limit the downstream connection is closed at once (flag UO,
//! `upstream_cx_overflow`).

use std::rc::Rc;

use meshtwin_model::event::EventKind;

use crate::local_reply::{ResponseFlag, ResponseFlags};
use crate::platform::{timeout, Platform};
use crate::proxy::Proxy;

/// Proxy one accepted connection to `cluster`.
pub(crate) fn serve_tcp<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    mut down: P::Stream,
    cluster: String,
) {
    let p = proxy.clone();
    proxy.platform.spawn(Box::pin(async move {
        let received = p.platform.now();
        let lcfg = &p.cfg.listeners[index];
        let stats = p.tcp[&lcfg.stat_prefix].clone();
        stats.borrow_mut().downstream_cx_total += 1;
        let mut flags = ResponseFlags::default();
        let mut upstream_host = None;
        let mut bytes = (0, 0);
        match p.cluster(&cluster) {
            None => {
                stats.borrow_mut().downstream_cx_no_route += 1;
                flags.set(ResponseFlag::NC);
            }
            Some(c) => match c.pick(worker) {
                None => {
                    c.shared.borrow_mut().stats.cluster.upstream_cx_none_healthy += 1;
                    flags.set(ResponseFlag::UH);
                }
                Some(_) if !c.shared.borrow().rm.connections.can_create() => {
                    c.shared.borrow_mut().stats.cluster.upstream_cx_overflow += 1;
                    flags.set(ResponseFlag::UO);
                }
                Some(ep) => {
                    let endpoint = c.endpoint(ep);
                    upstream_host = Some(endpoint.hostname.clone());
                    {
                        let mut sh = c.shared.borrow_mut();
                        sh.rm.connections.inc();
                        sh.stats.cluster.upstream_cx_total += 1;
                        sh.stats.cluster.upstream_cx_active.inc();
                        sh.sync_breaker_gauges();
                    }
                    let connected = timeout(
                        &p.platform,
                        c.cfg.pool.connect_timeout,
                        p.platform.connect(endpoint.address),
                    )
                    .await;
                    match connected {
                        Some(Ok(mut up)) => {
                            if let Ok(b) = tokio::io::copy_bidirectional(&mut down, &mut up).await {
                                bytes = b;
                            }
                        }
                        failed => {
                            let mut sh = c.shared.borrow_mut();
                            sh.stats.cluster.upstream_cx_connect_fail += 1;
                            if failed.is_none() {
                                sh.stats.cluster.upstream_cx_connect_timeout += 1;
                            }
                            flags.set(ResponseFlag::UF);
                        }
                    }
                    let mut sh = c.shared.borrow_mut();
                    sh.rm.connections.dec();
                    sh.stats.cluster.upstream_cx_active.dec();
                    sh.stats.cluster.upstream_cx_destroy += 1;
                    sh.sync_breaker_gauges();
                }
            },
        }
        {
            let mut s = stats.borrow_mut();
            s.downstream_cx_rx_bytes_total += bytes.0;
            s.downstream_cx_tx_bytes_total += bytes.1;
        }
        drop(down);
        let now = p.platform.now();
        p.observer.event(
            now,
            EventKind::AccessLog {
                proxy: p.cfg.node.clone(),
                listener: lcfg.name.clone(),
                cluster,
                upstream_host,
                request_id: String::new(),
                status: 0,
                flags: flags.to_string(),
                duration_ms: now.saturating_sub(received).as_micros() as f64 / 1000.0,
            },
        );
    }));
}
