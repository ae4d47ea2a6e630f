//! The proxy core on real loopback sockets (the `RealPlatform` seam): a request is proxied,
//! and the circuit breaker answers a third concurrent request with a local 503 UO.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_model::policy::{LbPolicy, PoolSettings, Thresholds, UpstreamProtocol};
use meshtwin_proxy::config::*;
use meshtwin_proxy::observer::NullObserver;
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::router_filter::plain_routes;
use meshtwin_proxy::Proxy;
use tokio::net::{TcpListener, TcpStream};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A backend that answers after `delay`.
async fn backend(delay: Duration) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    #[allow(clippy::disallowed_methods, reason = "test runtime")]
    tokio::task::spawn_local(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            #[allow(clippy::disallowed_methods, reason = "test runtime")]
            tokio::task::spawn_local(async move {
                let svc = service_fn(move |_req: Request<hyper::body::Incoming>| async move {
                    tokio::time::sleep(delay).await;
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(
                        b"ok",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

fn proxy_config(listen: SocketAddr, upstream: SocketAddr, thresholds: Thresholds) -> ProxyConfig {
    ProxyConfig {
        node: "real-proxy".into(),
        workers: 1,
        envoy: Default::default(),
        processing_delay: Duration::ZERO,
        accept_delay: Duration::ZERO,
        listeners: vec![ListenerConfig {
            idle_timeout: None,
            name: "ingress".into(),
            address: listen,
            stat_prefix: "ingress".into(),
            server_name: "envoy".into(),
            kind: ListenerKind::Http {
                codec: Codec::Http1,
                routes: plain_routes("all", "backend"),
            },
        }],
        clusters: vec![ClusterConfig {
            name: "backend".into(),
            endpoints: vec![Endpoint::new(upstream, "backend")].into(),
            protocol: UpstreamProtocol::Http1,
            pool: PoolSettings {
                thresholds,
                max_requests_per_connection: Some(1),
                ..PoolSettings::istio_default()
            },
            lb_policy: LbPolicy::RoundRobin,
            outlier_detection: None,
            locality_weights: Default::default(),
            health_check: None,
        }],
    }
}

async fn get(addr: SocketAddr) -> Response<Bytes> {
    let s = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
        .await
        .unwrap();
    #[allow(clippy::disallowed_methods, reason = "test runtime")]
    tokio::task::spawn_local(conn);
    let req = Request::get("/get")
        .header("host", "backend")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
}

fn run_local<F: std::future::Future<Output = ()>>(f: F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, f);
}

#[test]
fn proxies_a_request_over_real_sockets() {
    run_local(async {
        let upstream = backend(Duration::ZERO).await;
        let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let proxy = Proxy::new(
            proxy_config(listen, upstream, Thresholds::ISTIO_DEFAULT),
            RealPlatform::new(),
            Rc::new(NullObserver),
            1,
        );
        proxy.start().await.unwrap();
        let resp = get(listen).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.body().as_ref(), b"ok");
        assert_eq!(resp.headers()["server"], "envoy");
        assert!(resp.headers().contains_key("x-envoy-upstream-service-time"));
        let stats = proxy.stats();
        assert_eq!(stats.counters["cluster.backend.upstream_rq_total"], 1);
        assert_eq!(stats.counters["cluster.backend.upstream_rq_200"], 1);
        assert_eq!(
            stats.counters["cluster.backend.upstream_cx_max_requests"],
            1
        );
        assert_eq!(stats.counters["http.ingress.downstream_rq_2xx"], 1);
    });
}

#[test]
fn third_concurrent_request_overflows_the_pending_queue_on_real_sockets() {
    run_local(async {
        let upstream = backend(Duration::from_millis(300)).await;
        let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let thresholds = Thresholds {
            max_connections: 1,
            max_pending_requests: 1,
            ..Thresholds::ISTIO_DEFAULT
        };
        let proxy = Proxy::new(
            proxy_config(listen, upstream, thresholds),
            RealPlatform::new(),
            Rc::new(NullObserver),
            1,
        );
        proxy.start().await.unwrap();
        // A is attached (its connection drains: maxRequestsPerConnection 1); B waits for the
        // only connection slot in the pending queue; C finds the queue full.
        let later = |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            get(listen).await
        };
        let (a, b, c) = tokio::join!(later(0), later(60), later(120));
        assert_eq!([a.status(), b.status(), c.status()], [200, 200, 503]);
        let overflowed = c;
        assert_eq!(overflowed.headers()["x-envoy-overloaded"], "true");
        assert_eq!(
            overflowed.body().as_ref(),
            b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
        );
        let stats = proxy.stats();
        assert_eq!(
            stats.counters["cluster.backend.upstream_rq_pending_overflow"],
            1
        );
        assert_eq!(
            stats.gauges_max["cluster.backend.circuit_breakers.default.rq_pending_open"],
            1
        );
    });
}

fn tcp_config(listen: SocketAddr, upstream: SocketAddr, max_connections: u64) -> ProxyConfig {
    let mut cfg = proxy_config(
        listen,
        upstream,
        Thresholds {
            max_connections,
            ..Thresholds::ISTIO_DEFAULT
        },
    );
    cfg.listeners[0].kind = ListenerKind::tcp_to("backend");
    cfg.listeners[0].stat_prefix = "tcp_backend".into();
    cfg.clusters[0].protocol = UpstreamProtocol::Tcp;
    cfg
}

/// An echo server on real loopback.
async fn echo_backend() -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    #[allow(clippy::disallowed_methods, reason = "test runtime")]
    tokio::task::spawn_local(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            #[allow(clippy::disallowed_methods, reason = "test runtime")]
            tokio::task::spawn_local(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn tcp_proxy_max_connections_is_a_hard_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    run_local(async {
        let upstream = echo_backend().await;
        let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let proxy = Proxy::new(
            tcp_config(listen, upstream, 1),
            RealPlatform::new(),
            Rc::new(NullObserver),
            1,
        );
        proxy.start().await.unwrap();
        // The first connection is proxied and echoes.
        let mut first = TcpStream::connect(listen).await.unwrap();
        first.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        first.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        // The second one is closed at once: no pending queue for TCP.
        let mut second = TcpStream::connect(listen).await.unwrap();
        let _ = second.write_all(b"ping").await;
        let n = second.read(&mut buf).await.unwrap_or(0);
        assert_eq!(n, 0, "over max_connections the downstream is closed");
        let stats = proxy.stats();
        assert_eq!(stats.counters["cluster.backend.upstream_cx_overflow"], 1);
        assert_eq!(stats.counters["cluster.backend.upstream_cx_total"], 1);
        assert_eq!(
            stats.gauges["cluster.backend.circuit_breakers.default.cx_open"],
            1
        );
        assert_eq!(stats.counters["tcp.tcp_backend.downstream_cx_total"], 2);
        drop(first);
    });
}

/// An HTTP/2 backend that answers after `delay`.
async fn h2_backend(delay: Duration) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    #[allow(clippy::disallowed_methods, reason = "test runtime")]
    tokio::task::spawn_local(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let svc = service_fn(move |_req: Request<hyper::body::Incoming>| async move {
                tokio::time::sleep(delay).await;
                Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(
                    b"h2",
                ))))
            });
            #[allow(clippy::disallowed_methods, reason = "test runtime")]
            tokio::task::spawn_local(async move {
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(TokioIo::new(s), svc)
                        .await;
            });
        }
    });
    addr
}

#[test]
fn http2_max_requests_refuses_the_next_concurrent_request_at_once() {
    run_local(async {
        let upstream = h2_backend(Duration::from_millis(300)).await;
        let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut cfg = proxy_config(
            listen,
            upstream,
            Thresholds {
                max_requests: 1,
                ..Thresholds::ISTIO_DEFAULT
            },
        );
        cfg.clusters[0].protocol = UpstreamProtocol::Http2;
        cfg.clusters[0].pool.max_requests_per_connection = None;
        let proxy = Proxy::new(cfg, RealPlatform::new(), Rc::new(NullObserver), 1);
        proxy.start().await.unwrap();
        let later = |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            get(listen).await
        };
        let (a, b) = tokio::join!(later(0), later(100));
        assert_eq!(a.status(), 200);
        assert_eq!(a.body().as_ref(), b"h2");
        assert_eq!(b.status(), 503, "no queue in front of max_requests");
        assert_eq!(b.headers()["x-envoy-overloaded"], "true");
        let stats = proxy.stats();
        assert_eq!(stats.counters["cluster.backend.upstream_cx_http2_total"], 1);
        assert_eq!(
            stats.counters["cluster.backend.upstream_rq_pending_overflow"],
            1
        );
        assert_eq!(
            stats.counters["cluster.backend.upstream_rq_pending_total"],
            1
        );
    });
}
