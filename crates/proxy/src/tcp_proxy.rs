//! Envoy's `tcp_proxy` filter (`source/common/tcp_proxy/tcp_proxy.cc` `Filter::initializeUpstreamConnection`, istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`): opaque TCP to one cluster, or to weighted
//! clusters picked **once per downstream connection** (`random % total_weight`, the same
//! [`crate::router::weighted`] walk as HTTP; the draw comes from the proxy's seeded stream and
//! is made only when there is a choice). All bytes of the connection go to that cluster.
//! The cluster's `max_connections` is a **hard** limit — no pending queue and no "first
//! connection" exception: over the limit the downstream connection is closed at once (flag
//! UO, `upstream_cx_overflow`). Each connection leaves one access-log entry with the chosen
//! cluster and upstream host.

use meshtwin_model::event::Name;
use std::cell::Cell;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use meshtwin_model::event::EventKind;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::cluster::Cluster;

use crate::config::ListenerKind;
use crate::local_reply::{ResponseFlag, ResponseFlags};
use crate::platform::{timeout, Platform};
use crate::proxy::Proxy;
use crate::router::config::ClusterSpecifier;

/// The cluster a new downstream connection on a TCP listener goes to.
pub fn pick_cluster(spec: &ClusterSpecifier, draw: impl FnOnce() -> u64) -> &str {
    match spec {
        ClusterSpecifier::Cluster(c) => c,
        ClusterSpecifier::Weighted(w) => &w.pick(draw()).name,
    }
}

/// Proxy one connection accepted on TCP listener `index`.
pub(crate) fn serve_tcp<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    mut down: P::Stream,
) {
    let p = proxy.clone();
    proxy.platform.spawn(Box::pin(async move {
        let received = p.platform.now();
        let lcfg = p.listener(index);
        let ListenerKind::Tcp { cluster: spec } = &lcfg.kind else {
            unreachable!("serve_tcp is only called for TCP listeners");
        };
        let cluster = Name::from(pick_cluster(spec, || p.random_u64()));
        let stats = p.tcp_stats(&lcfg.stat_prefix);
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
                    c.info.count_no_healthy_upstream();
                    flags.set(ResponseFlag::UH);
                }
                Some(_) if !c.info.try_open_tcp_connection() => {
                    flags.set(ResponseFlag::UO);
                }
                Some(ep) => {
                    let endpoint = c.endpoint(ep);
                    upstream_host = Some(endpoint.hostname.clone());
                    let idle = lcfg.idle_timeout.filter(|t| !t.is_zero());
                    let relay = proxy_to(&p, &c, endpoint.address, &mut down, idle).await;
                    bytes = relay.bytes;
                    if let Some(f) = relay.flag {
                        flags.set(f);
                    }
                    if relay.idle_timeout {
                        p.count_idle_timeout(&lcfg);
                    }
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
                proxy: p.node(),
                listener: p.listener_name(index),
                cluster,
                upstream_host,
                request_id: String::new(),
                status: 0,
                flags,
                duration_ms: now.saturating_sub(received).as_micros() as f64 / 1000.0,
            },
        );
    }));
}

/// How a relayed connection ended.
struct Relay {
    /// Bytes relayed from downstream and to downstream.
    bytes: (u64, u64),
    /// The flag of a failed connect (`UF`).
    flag: Option<ResponseFlag>,
    /// The idle timeout closed it.
    idle_timeout: bool,
}

/// Open an upstream connection of cluster `c` to `address` and relay `down` over it, closing
/// both when no byte went either way for `idle` (Envoy's `Filter::onIdleTimeout`: the
/// downstream is closed, which closes the upstream; no response flag). The connection is
/// charged as Envoy's `reportUpstreamCxDestroy` does: destroyed remotely when the upstream
/// refused it or ended first, locally when the connect timed out, the idle timeout fired or
/// the downstream ended first (Envoy then closes the upstream).
async fn proxy_to<P: Platform>(
    p: &Proxy<P>,
    c: &Cluster<P>,
    address: SocketAddr,
    down: &mut P::Stream,
    idle: Option<Duration>,
) -> Relay {
    let connected = timeout(
        &p.platform,
        c.cfg().pool.connect_timeout,
        p.platform.connect(address),
    )
    .await;
    let mut relay = Relay {
        bytes: (0, 0),
        flag: None,
        idle_timeout: false,
    };
    let closer = match connected {
        Some(Ok(up)) => {
            let first = Rc::new(Cell::new(None));
            let last = Rc::new(Cell::new(p.platform.now()));
            let platform = p.platform.clone();
            let clock: Rc<dyn Fn() -> Duration> = Rc::new(move || platform.now());
            let mut down = Watched {
                inner: down,
                side: Side::Downstream,
                first: first.clone(),
                read: Cell::new(0),
                last: last.clone(),
                clock: clock.clone(),
            };
            let mut up = Watched {
                inner: up,
                side: Side::Upstream,
                first: first.clone(),
                read: Cell::new(0),
                last: last.clone(),
                clock,
            };
            let copy = tokio::io::copy_bidirectional(&mut down, &mut up);
            let copied = match idle {
                None => Some(copy.await),
                Some(t) => tokio::select! {
                    biased;
                    r = copy => Some(r),
                    () = idle_expiry(&p.platform, &last, t) => None,
                },
            };
            match copied {
                Some(r) => {
                    relay.bytes = r.unwrap_or((0, 0));
                    first.get().unwrap_or(Side::Downstream)
                }
                None => {
                    relay.idle_timeout = true;
                    relay.bytes = (down.read.get(), up.read.get());
                    Side::Downstream
                }
            }
        }
        failed => {
            c.info.count_tcp_connect_failure(failed.is_none());
            relay.flag = Some(ResponseFlag::UF);
            let refused = matches!(&failed, Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused);
            if refused {
                Side::Upstream
            } else {
                Side::Downstream
            }
        }
    };
    c.info.close_tcp_connection(closer == Side::Upstream);
    relay
}

/// Resolves once no byte has been read on either side (`last`) for `idle`.
async fn idle_expiry<P: Platform>(platform: &P, last: &Cell<Duration>, idle: Duration) {
    loop {
        let deadline = last.get() + idle;
        let now = platform.now();
        if now >= deadline {
            return;
        }
        platform.sleep(deadline - now).await;
    }
}

/// One side of a relayed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Downstream,
    Upstream,
}

/// A stream that notes, in `first`, whether its side was the first to end (end of stream
/// or an error on read), how many bytes it read, and in `last` when (by `clock`) a byte
/// was last read on either side.
struct Watched<S> {
    inner: S,
    side: Side,
    first: Rc<Cell<Option<Side>>>,
    read: Cell<u64>,
    last: Rc<Cell<Duration>>,
    clock: Rc<dyn Fn() -> Duration>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let ended = match &r {
            Poll::Ready(Ok(())) => buf.filled().len() == before && buf.remaining() > 0,
            Poll::Ready(Err(_)) => true,
            Poll::Pending => false,
        };
        if ended && self.first.get().is_none() {
            self.first.set(Some(self.side));
        }
        let n = (buf.filled().len() - before) as u64;
        if n > 0 {
            self.read.set(self.read.get() + n);
            self.last.set((self.clock)());
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::router::weighted::{ClusterWeight, WeightedClusters};

    fn eighty_twenty() -> ClusterSpecifier {
        ClusterSpecifier::Weighted(
            WeightedClusters::new(vec![
                ClusterWeight::new("outbound|9000|v1|tcp-echo", 80),
                ClusterWeight::new("outbound|9000|v2|tcp-echo", 20),
            ])
            .unwrap(),
        )
    }

    #[test]
    fn one_cluster_needs_no_draw() {
        let spec = ClusterSpecifier::Cluster("c".into());
        assert_eq!(
            pick_cluster(&spec, || panic!("no draw for a single cluster")),
            "c"
        );
    }

    #[test]
    fn each_connection_draws_once_and_follows_the_weights() {
        let spec = eighty_twenty();
        assert_eq!(pick_cluster(&spec, || 79), "outbound|9000|v1|tcp-echo");
        assert_eq!(pick_cluster(&spec, || 80), "outbound|9000|v2|tcp-echo");
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut draws = 0;
        let v2 = (0..10_000)
            .filter(|_| {
                pick_cluster(&spec, || {
                    draws += 1;
                    rand::RngCore::next_u64(&mut rng)
                })
                .contains("|v2|")
            })
            .count();
        assert_eq!(draws, 10_000, "one draw per connection");
        assert!((1_800..=2_200).contains(&v2), "v2 got {v2} of 10000");
    }
}
