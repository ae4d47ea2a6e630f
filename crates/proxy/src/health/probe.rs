//! One health check on its own connection (Envoy's `createHealthCheckConnection`): never
//! through the cluster's pools or circuit breakers, and not counted in `upstream_cx_*` (those
//! are counted by pool clients only, `source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`). HTTP checks keep their connection between
//! checks when `reuse_connection` (Envoy's default) unless it failed, timed out or the peer
//! closed it.

use std::net::SocketAddr;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::TokioIo;

use super::config::{Config, Kind};
use super::session::CheckResult;
use crate::platform::{detach, timeout, HyperExecutor, Platform};

/// A kept health-check connection.
pub enum Conn {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

/// Envoy's health checker `user-agent`.
const USER_AGENT: &str = "Envoy/HC";

/// Run one check of `addr` within `cfg.timeout`. `authority`: the `host` header (Envoy uses
/// the cluster name when the endpoint sets no hostname).
pub async fn check<P: Platform>(
    p: &P,
    cfg: &Config,
    addr: SocketAddr,
    authority: &str,
    conn: &mut Option<Conn>,
) -> CheckResult {
    let attempt = async {
        match &cfg.kind {
            Kind::Tcp => match p.connect(addr).await {
                // Connect-only: the connection is closed at once.
                Ok(stream) => {
                    drop(stream);
                    CheckResult::Passed
                }
                Err(_) => CheckResult::Network("connection failure".into()),
            },
            Kind::Http { path, http2 } => {
                let req = request("GET", path, authority, false);
                http_check(p, cfg, addr, *http2, req, conn).await
            }
            Kind::Grpc => {
                let req = request("POST", "/grpc.health.v1.Health/Check", authority, true);
                http_check(p, cfg, addr, true, req, conn).await
            }
        }
    };
    match timeout(p, cfg.timeout, attempt).await {
        Some(r) => r,
        None => {
            // Envoy closes the connection on a timeout (`onTimeout`).
            *conn = None;
            CheckResult::Timeout
        }
    }
}

fn request(method: &str, path: &str, authority: &str, grpc: bool) -> Request<Full<Bytes>> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, authority)
        .header(http::header::USER_AGENT, USER_AGENT);
    if grpc {
        b = b
            .header(http::header::CONTENT_TYPE, "application/grpc")
            .header("te", "trailers");
    }
    b.body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())))
}

async fn http_check<P: Platform>(
    p: &P,
    cfg: &Config,
    addr: SocketAddr,
    h2: bool,
    req: Request<Full<Bytes>>,
    conn: &mut Option<Conn>,
) -> CheckResult {
    let reusable = match conn.as_mut() {
        Some(Conn::H1(s)) => s.ready().await.is_ok(),
        Some(Conn::H2(s)) => s.ready().await.is_ok(),
        None => false,
    };
    if !reusable {
        *conn = None;
        match open(p, addr, h2).await {
            Ok(c) => *conn = Some(c),
            Err(r) => return r,
        }
    }
    let sent = match conn.as_mut() {
        Some(Conn::H1(s)) => s.send_request(req).await,
        Some(Conn::H2(s)) => s.send_request(req).await,
        None => return CheckResult::Network("connection failure".into()),
    };
    let resp = match sent {
        Ok(r) => r,
        Err(_) => {
            *conn = None;
            return CheckResult::Network("reset".into());
        }
    };
    let status = resp.status().as_u16();
    let close = resp
        .headers()
        .get(http::header::CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
    // The result is decided at end of stream.
    let grpc_ok = match resp.into_body().collect().await {
        Ok(body) => body
            .trailers()
            .and_then(|t| t.get("grpc-status"))
            .is_none_or(|v| v.as_bytes() == b"0"),
        Err(_) => {
            *conn = None;
            return CheckResult::Network("reset".into());
        }
    };
    if close || !cfg.reuse_connection {
        *conn = None;
    }
    match (&cfg.kind, cfg.expected(status)) {
        (Kind::Grpc, true) if !grpc_ok => CheckResult::Status(status),
        (_, true) => CheckResult::Passed,
        (_, false) => CheckResult::Status(status),
    }
}

async fn open<P: Platform>(p: &P, addr: SocketAddr, h2: bool) -> Result<Conn, CheckResult> {
    let failure = || CheckResult::Network("connection failure".into());
    let stream = p.connect(addr).await.map_err(|_| failure())?;
    let io = TokioIo::new(stream);
    if h2 {
        let (sender, c) = http2::Builder::new(HyperExecutor(p.clone()))
            .handshake(io)
            .await
            .map_err(|_| failure())?;
        p.spawn(detach(c, || {}));
        Ok(Conn::H2(sender))
    } else {
        let (sender, c) = http1::handshake(io).await.map_err(|_| failure())?;
        p.spawn(detach(c, || {}));
        Ok(Conn::H1(sender))
    }
}

/// The address checked: the endpoint's, on the health-check port when one is set.
pub fn target(endpoint: SocketAddr, cfg: &Config) -> SocketAddr {
    SocketAddr::new(endpoint.ip(), cfg.port.unwrap_or(endpoint.port()))
}
