//! The proxy core on real loopback sockets against hostile clients: aborted uploads free
//! their request and connection (and never wedge a circuit-broken pool), bodies stream with
//! backpressure, Envoy's limits and local replies answer malformed requests, slow clients
//! are timed out, and real-mode request ids come from the operating system.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_model::policy::{LbPolicy, PoolSettings, Thresholds, UpstreamProtocol};
use meshtwin_proxy::config::*;
use meshtwin_proxy::downstream::DownstreamLimits;
use meshtwin_proxy::observer::NullObserver;
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::router_filter::plain_routes;
use meshtwin_proxy::Proxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn run_local<F: std::future::Future<Output = ()>>(f: F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, f);
}

#[allow(clippy::disallowed_methods, reason = "test runtime")]
fn spawn<F: std::future::Future<Output = ()> + 'static>(f: F) {
    tokio::task::spawn_local(f);
}

/// What the backend saw.
#[derive(Default)]
struct Seen {
    /// Request heads received.
    heads: Cell<u32>,
    /// Bodies read to their end, and their bytes.
    bodies: Cell<u32>,
    body_bytes: Cell<u64>,
    /// `x-request-id` of the latest request.
    request_id: std::cell::RefCell<String>,
}

/// A backend that reads each body to its end, then answers 200 "ok".
async fn backend() -> (SocketAddr, Rc<Seen>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Rc::new(Seen::default());
    let s2 = seen.clone();
    spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let seen = s2.clone();
            spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let seen = seen.clone();
                    async move {
                        seen.heads.set(seen.heads.get() + 1);
                        if let Some(id) = req.headers().get("x-request-id") {
                            *seen.request_id.borrow_mut() = id.to_str().unwrap().to_string();
                        }
                        let mut body = req.into_body();
                        let mut n = 0u64;
                        while let Some(frame) = body.frame().await {
                            match frame {
                                Ok(f) => n += f.data_ref().map_or(0, |d| d.len() as u64),
                                Err(_) => return Err("body failed"),
                            }
                        }
                        seen.bodies.set(seen.bodies.get() + 1);
                        seen.body_bytes.set(seen.body_bytes.get() + n);
                        Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    (addr, seen)
}

fn config(upstream: SocketAddr, thresholds: Thresholds) -> ProxyConfig {
    ProxyConfig {
        node: "real-proxy".into(),
        workers: 1,
        envoy: Default::default(),
        processing_delay: Duration::ZERO,
        accept_delay: Duration::ZERO,
        listeners: vec![ListenerConfig {
            idle_timeout: None,
            name: "ingress".into(),
            address: "127.0.0.1:0".parse().unwrap(),
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
                ..PoolSettings::istio_default()
            },
            lb_policy: LbPolicy::RoundRobin,
            outlier_detection: None,
            locality_weights: Default::default(),
            health_check: None,
        }],
    }
}

/// Start a proxy to `upstream` on a free loopback port; its address.
async fn start(
    upstream: SocketAddr,
    thresholds: Thresholds,
    limits: Option<DownstreamLimits>,
) -> (Rc<Proxy<RealPlatform>>, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut cfg = config(upstream, thresholds);
    cfg.listeners[0].address = listen;
    let proxy = Proxy::new(cfg, RealPlatform::new(), Rc::new(NullObserver), 1);
    if let Some(l) = limits {
        proxy.set_downstream_limits(l);
    }
    proxy.start().await.unwrap();
    (proxy, listen)
}

/// Read until the peer closes (or `within` passes); the text read.
async fn read_all(s: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(within, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Send `raw` on a fresh connection and read the answer until the proxy closes.
async fn exchange(listen: SocketAddr, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(listen).await.unwrap();
    s.write_all(raw).await.unwrap();
    read_all(&mut s, Duration::from_secs(5)).await
}

async fn get_ok(listen: SocketAddr) -> String {
    exchange(
        listen,
        b"GET /get HTTP/1.1\r\nhost: backend\r\nconnection: close\r\n\r\n",
    )
    .await
}

fn gauge(proxy: &Proxy<RealPlatform>, name: &str) -> u64 {
    proxy.stats().gauges[name]
}

/// How a client gives up on an upload.
#[derive(Debug, Clone, Copy)]
enum Abort {
    Close,
    Reset,
    HalfClose,
    ExpectContinueAndLeave,
}

/// Start an upload of 1,000 bytes, send 10 of them, and leave as `how` says.
async fn aborted_upload(listen: SocketAddr, how: Abort) {
    let mut s = TcpStream::connect(listen).await.unwrap();
    let expect = matches!(how, Abort::ExpectContinueAndLeave);
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: backend\r\ncontent-length: 1000\r\n{}\r\n",
        if expect {
            "expect: 100-continue\r\n"
        } else {
            ""
        }
    );
    s.write_all(head.as_bytes()).await.unwrap();
    if !expect {
        s.write_all(&[b'x'; 10]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    match how {
        Abort::Close | Abort::ExpectContinueAndLeave => drop(s),
        Abort::Reset => {
            s.set_zero_linger().unwrap();
            drop(s);
        }
        Abort::HalfClose => {
            s.shutdown().await.unwrap();
            // The client still reads: it only stopped sending.
            let _ = read_all(&mut s, Duration::from_millis(500)).await;
        }
    }
}

/// Wait up to `within` for `ok()`.
async fn eventually(within: Duration, ok: impl Fn() -> bool) -> bool {
    for _ in 0..within.as_millis() / 10 {
        if ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ok()
}

#[test]
fn an_aborted_upload_is_not_forwarded_and_frees_its_request_and_connection() {
    for how in [
        Abort::Close,
        Abort::Reset,
        Abort::HalfClose,
        Abort::ExpectContinueAndLeave,
    ] {
        run_local(async move {
            let (upstream, seen) = backend().await;
            let (proxy, listen) = start(upstream, Thresholds::ISTIO_DEFAULT, None).await;
            aborted_upload(listen, how).await;
            let freed = eventually(Duration::from_secs(2), || {
                gauge(&proxy, "http.ingress.downstream_rq_active") == 0
                    && gauge(&proxy, "http.ingress.downstream_cx_active") == 0
            })
            .await;
            assert!(freed, "{how:?}: {:?}", proxy.stats().gauges);
            assert_eq!(
                seen.heads.get(),
                0,
                "{how:?}: an incomplete body is never forwarded"
            );
            assert_eq!(
                gauge(
                    &proxy,
                    "cluster.backend.circuit_breakers.default.rq_pending_open"
                ),
                0
            );
        });
    }
}

#[test]
fn one_aborted_upload_does_not_wedge_a_circuit_broken_pool() {
    run_local(async {
        let (upstream, seen) = backend().await;
        let thresholds = Thresholds {
            max_connections: 1,
            max_pending_requests: 1,
            ..Thresholds::ISTIO_DEFAULT
        };
        let (_proxy, listen) = start(upstream, thresholds, None).await;
        aborted_upload(listen, Abort::Close).await;
        let next = tokio::time::timeout(Duration::from_secs(3), get_ok(listen))
            .await
            .expect("the next request is served");
        assert!(next.starts_with("HTTP/1.1 200"), "{next}");
        assert_eq!(seen.bodies.get(), 1);
    });
}

#[test]
fn a_large_body_streams_through_with_backpressure() {
    run_local(async {
        // An upstream that accepts and never reads: the client can push no more than the
        // buffer limit and the sockets' buffers.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = l.local_addr().unwrap();
        spawn(async move {
            let mut held = Vec::new();
            loop {
                let (s, _) = l.accept().await.unwrap();
                held.push(s);
            }
        });
        let (proxy, listen) = start(
            upstream,
            Thresholds::ISTIO_DEFAULT,
            Some(DownstreamLimits::envoy()),
        )
        .await;
        let total: usize = 256 << 20;
        let mut s = TcpStream::connect(listen).await.unwrap();
        let head = format!("POST /up HTTP/1.1\r\nhost: backend\r\ncontent-length: {total}\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0usize;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while sent < total {
                s.write_all(&chunk).await.unwrap();
                sent += chunk.len();
            }
        })
        .await;
        assert!(
            sent < 64 << 20,
            "the proxy took {} MiB from a client whose upstream reads nothing",
            sent >> 20
        );
        // The client gives up and resets (its unsent bytes could never reach a proxy that
        // does not read: a plain close would wait for the stream idle timeout): the upstream
        // stream is reset, the request freed.
        s.set_zero_linger().unwrap();
        drop(s);
        let freed = eventually(Duration::from_secs(2), || {
            gauge(&proxy, "http.ingress.downstream_rq_active") == 0
                && gauge(&proxy, "cluster.backend.upstream_rq_active") == 0
        })
        .await;
        assert!(freed, "{:?}", proxy.stats().gauges);
        assert_eq!(
            proxy.stats().counters["http.ingress.downstream_rq_rx_reset"],
            1
        );
    });
}

#[test]
fn a_streamed_upload_the_client_breaks_is_not_charged_to_the_host() {
    run_local(async {
        let (upstream, seen) = backend().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut cfg = config(upstream, Thresholds::ISTIO_DEFAULT);
        cfg.listeners[0].address = listen;
        // The circuit-breaking walkthrough's outlier detection: one error ejects.
        cfg.clusters[0].outlier_detection = Some(meshtwin_model::policy::OutlierDetection {
            consecutive_5xx: Some(1),
            consecutive_gateway_failure: None,
            consecutive_local_origin_failure: None,
            split_external_local_origin_errors: false,
            interval: Duration::from_secs(1),
            base_ejection_time: Duration::from_secs(180),
            max_ejection_time: None,
            max_ejection_percent: 100,
            enforcing_consecutive_5xx: 100,
            enforcing_consecutive_gateway_failure: 0,
            enforcing_success_rate: 0,
            healthy_panic_threshold: Some(0),
        });
        let proxy = Proxy::new(cfg, RealPlatform::new(), Rc::new(NullObserver), 1);
        proxy.set_downstream_limits(DownstreamLimits::envoy());
        proxy.start().await.unwrap();
        // 2 MiB of chunks (past the buffer limit, so streamed upstream), then a bad chunk:
        // the client's fault, answered 400, never the host's.
        let mut s = TcpStream::connect(listen).await.unwrap();
        s.write_all(b"POST /up HTTP/1.1\r\nhost: backend\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let mut chunk = b"10000\r\n".to_vec();
        chunk.extend_from_slice(&[b'x'; 0x10000]);
        chunk.extend_from_slice(b"\r\n");
        for _ in 0..32 {
            s.write_all(&chunk).await.unwrap();
        }
        s.write_all(b"zz\r\n").await.unwrap();
        let answer = read_all(&mut s, Duration::from_secs(3)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        let freed = eventually(Duration::from_secs(2), || {
            gauge(&proxy, "http.ingress.downstream_rq_active") == 0
        })
        .await;
        assert!(freed);
        assert_eq!(seen.heads.get(), 1, "the upload had reached the upstream");
        let next = get_ok(listen).await;
        assert!(next.starts_with("HTTP/1.1 200"), "{next}");
        assert_eq!(
            proxy.stats().counters["cluster.backend.outlier_detection.ejections_enforced_total"],
            0
        );
    });
}

#[test]
fn a_body_over_the_buffer_limit_reaches_the_upstream_whole() {
    run_local(async {
        let (upstream, seen) = backend().await;
        let (_proxy, listen) = start(
            upstream,
            Thresholds::ISTIO_DEFAULT,
            Some(DownstreamLimits::envoy()),
        )
        .await;
        let total = 5 << 20;
        let mut s = TcpStream::connect(listen).await.unwrap();
        let head = format!(
            "POST /up HTTP/1.1\r\nhost: backend\r\ncontent-length: {total}\r\nconnection: close\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&vec![b'y'; total]).await.unwrap();
        let resp = read_all(&mut s, Duration::from_secs(10)).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert_eq!(seen.body_bytes.get(), total as u64);
    });
}

#[test]
fn malformed_requests_get_envoys_local_replies() {
    run_local(async {
        let (upstream, seen) = backend().await;
        let (_proxy, listen) = start(
            upstream,
            Thresholds::ISTIO_DEFAULT,
            Some(DownstreamLimits::envoy()),
        )
        .await;
        let big = format!(
            "GET / HTTP/1.1\r\nhost: backend\r\nx-big: {}\r\n\r\n",
            "a".repeat(61 * 1024)
        );
        let cases: [(&str, &[u8], &str); 5] = [
            ("a 61 KiB header block", big.as_bytes(), "HTTP/1.1 431"),
            (
                "no Host",
                b"GET / HTTP/1.1\r\nconnection: close\r\n\r\n",
                "HTTP/1.1 400",
            ),
            (
                "HTTP/1.0",
                b"GET / HTTP/1.0\r\nhost: backend\r\n\r\n",
                "HTTP/1.0 426",
            ),
            (
                "Content-Length with Transfer-Encoding",
                b"POST / HTTP/1.1\r\nhost: backend\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                "HTTP/1.1 400",
            ),
            (
                "a bad chunk",
                b"POST / HTTP/1.1\r\nhost: backend\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                "HTTP/1.1 400",
            ),
        ];
        for (what, raw, want) in cases {
            let got = exchange(listen, raw).await;
            assert!(got.starts_with(want), "{what}: {got:?}");
        }
        assert_eq!(
            seen.heads.get(),
            0,
            "nothing malformed reaches the upstream"
        );
    });
}

#[test]
fn http2_with_prior_knowledge_is_accepted_on_an_http1_listener() {
    run_local(async {
        let (upstream, seen) = backend().await;
        let (_proxy, listen) = start(
            upstream,
            Thresholds::ISTIO_DEFAULT,
            Some(DownstreamLimits::envoy()),
        )
        .await;
        let s = TcpStream::connect(listen).await.unwrap();
        let (mut send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(s),
        )
        .await
        .unwrap();
        spawn(async move {
            let _ = conn.await;
        });
        let req = Request::get("http://backend/get")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = send.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(seen.heads.get(), 1);
    });
}

#[test]
fn slow_and_silent_clients_are_timed_out() {
    run_local(async {
        let (upstream, _) = backend().await;
        let limits = DownstreamLimits {
            request_headers_timeout: Some(Duration::from_millis(200)),
            idle_timeout: Some(Duration::from_millis(300)),
            stream_idle_timeout: Some(Duration::from_millis(300)),
            ..DownstreamLimits::envoy()
        };
        let (proxy, listen) = start(upstream, Thresholds::ISTIO_DEFAULT, Some(limits)).await;
        // Part of a request head, then nothing.
        let mut slow_head = TcpStream::connect(listen).await.unwrap();
        slow_head
            .write_all(b"GET / HTTP/1.1\r\nhost: ba")
            .await
            .unwrap();
        // Connected, never a byte.
        let mut silent = TcpStream::connect(listen).await.unwrap();
        // A request whose body stops half-way.
        let mut slow_body = TcpStream::connect(listen).await.unwrap();
        slow_body
            .write_all(b"POST / HTTP/1.1\r\nhost: backend\r\ncontent-length: 10\r\n\r\nabcde")
            .await
            .unwrap();
        for s in [&mut slow_head, &mut silent, &mut slow_body] {
            let closed = tokio::time::timeout(Duration::from_secs(3), async {
                let mut buf = [0u8; 256];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
            assert!(closed.is_ok(), "the proxy closes the connection");
        }
        let c = proxy.stats().counters;
        assert_eq!(c["listener_manager.downstream_rq_header_timeout"], 1);
        assert_eq!(c["listener_manager.downstream_cx_idle_timeout"], 1);
        assert_eq!(c["listener_manager.downstream_rq_idle_timeout"], 1);
        assert_eq!(gauge(&proxy, "http.ingress.downstream_rq_active"), 0);
    });
}

#[test]
fn real_request_ids_differ_across_restarts_with_the_same_seed() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        run_local(async {
            let (upstream, seen) = backend().await;
            let (_proxy, listen) = start(upstream, Thresholds::ISTIO_DEFAULT, None).await;
            let resp = get_ok(listen).await;
            assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
            ids.push(seen.request_id.borrow().clone());
        });
    }
    assert_eq!(ids[0].len(), 32);
    assert_ne!(ids[0], ids[1]);
}
