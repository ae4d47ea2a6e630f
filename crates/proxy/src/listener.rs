//! Listeners: accept downstream connections, give each to a worker, and serve it with the
//! HTTP connection manager (HTTP/1.1 or HTTP/2) of that listener.

use std::rc::Rc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::config::{Codec, ListenerKind};
use crate::conn_watch::{watchdog, ConnActivity, Expired, WatchedIo};
use crate::downstream::{accept_backoff, DownstreamLimits, DownstreamStats};
use crate::http::{handle_request, DownstreamReset};
use crate::platform::{HyperExecutor, Platform};
use crate::proxy::Proxy;
use crate::tcp_proxy::serve_tcp;

/// Accept connections on `listener` until the platform stops. A failed accept (no file
/// descriptor left, …) backs off before the next ([`accept_backoff`]); over the global
/// connection limit a connection is closed as soon as it is accepted, as Envoy does
/// (`source/common/network/tcp_listener_impl.cc` `TcpListenerImpl::onSocketEvent`).
pub(crate) fn spawn_accept_loop<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    listener: P::Listener,
) {
    let platform = proxy.platform.clone();
    platform.spawn(Box::pin(async move {
        let mut failures = 0u32;
        loop {
            let stream = match proxy.platform.accept(&listener).await {
                Ok((stream, _peer)) => stream,
                Err(_) => {
                    DownstreamStats::inc(&proxy.downstream_stats.accept_errors);
                    proxy.platform.sleep(accept_backoff(failures)).await;
                    failures = failures.saturating_add(1);
                    continue;
                }
            };
            failures = 0;
            let open = &proxy.downstream_stats.open_connections;
            if proxy
                .downstream_limits()
                .max_connections
                .is_some_and(|m| open.get() >= m)
            {
                DownstreamStats::inc(&proxy.downstream_stats.global_cx_overflow);
                drop(stream);
                continue;
            }
            let worker = proxy.assign_worker();
            serve_connection(proxy.clone(), index, worker, stream);
        }
    }));
}

/// Counts an open downstream connection for the global limit while it lives.
struct OpenConnection<P: Platform>(Rc<Proxy<P>>);

impl<P: Platform> OpenConnection<P> {
    fn new(proxy: &Rc<Proxy<P>>) -> Self {
        DownstreamStats::inc(&proxy.downstream_stats.open_connections);
        Self(proxy.clone())
    }
}

impl<P: Platform> Drop for OpenConnection<P> {
    fn drop(&mut self) {
        let open = &self.0.downstream_stats.open_connections;
        open.set(open.get().saturating_sub(1));
    }
}

fn serve_connection<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    stream: P::Stream,
) {
    let open = OpenConnection::new(&proxy);
    let lcfg = proxy.listener(index);
    let codec = match &lcfg.kind {
        ListenerKind::Http { codec, .. } => codec,
        ListenerKind::Tcp { .. } => {
            drop(open);
            return serve_tcp(proxy, index, worker, stream);
        }
    };
    let codec = *codec;
    let stats = proxy.hcm_stats(&lcfg.stat_prefix);
    {
        let mut s = stats.borrow_mut();
        s.downstream_cx_total += 1;
        s.downstream_cx_active.inc();
        match codec {
            Codec::Http1 => s.downstream_cx_http1_total += 1,
            Codec::Http2 => s.downstream_cx_http2_total += 1,
        }
    }
    let p = proxy.clone();
    proxy.platform.spawn(Box::pin(async move {
        let _open = open;
        if !p.cfg.accept_delay.is_zero() {
            p.platform.sleep(p.cfg.accept_delay).await;
        }
        let limits = p.downstream_limits();
        let peer_closed = p.platform.peer_closed(&stream);
        let activity = ConnActivity::new(p.platform.now(), limits.envoy_request_checks);
        let io = TokioIo::new(WatchedIo {
            io: stream,
            platform: p.platform.clone(),
            activity: activity.clone(),
        });
        let svc_proxy = p.clone();
        let conn = activity.clone();
        // Each request's future is boxed: hyper keeps the service's future in its connection's
        // slot, so unboxed it would be written whole into memory this connection last touched
        // at its previous request; a fresh box is the block the last finished request freed.
        let svc = service_fn(move |req| {
            Box::pin(handle_request(
                svc_proxy.clone(),
                index,
                worker,
                req,
                conn.request_started(),
            ))
        });
        // Boxed: held inline, `select!` would keep each of them twice in the task (its own
        // slot and the local it was moved from), making every connection's task 4.7 KB where
        // it is 184 B now, all of it copied when the task is boxed.
        let serve = Box::pin(serve_http(&p, codec, &limits, io, svc));
        let watch = Box::pin(watchdog(p.platform.clone(), (*limits).clone(), activity));
        tokio::select! {
            biased;
            () = serve => {}
            // The client went away while nobody read its socket (a request waiting on a
            // stalled upstream): close, resetting its requests (`DC`).
            () = peer_closed => {}
            why = watch => {
                let s = &p.downstream_stats;
                DownstreamStats::inc(match why {
                    Expired::RequestHeaders => &s.rq_header_timeout,
                    Expired::Idle => &s.cx_idle_timeout,
                    Expired::StreamIdle => &s.rq_idle_timeout,
                });
            }
        }
        let mut s = stats.borrow_mut();
        s.downstream_cx_active.dec();
        s.downstream_cx_destroy += 1;
    }));
}

/// Serve one HTTP connection with `codec` (HTTP/1 listeners detect HTTP/2 with prior knowledge
/// where `limits` say so) until it closes. Each codec's connection is boxed, so that this
/// future is not as large as the largest of them whichever one runs.
async fn serve_http<P, I, S>(
    proxy: &Proxy<P>,
    codec: Codec,
    limits: &DownstreamLimits,
    io: I,
    svc: S,
) where
    P: Platform,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<http_body_util::Full<bytes::Bytes>>,
            Error = DownstreamReset,
        > + 'static,
    S::Future: 'static,
{
    let exec = HyperExecutor(proxy.platform.clone());
    match (codec, limits.detect_http2) {
        (Codec::Http1, true) => {
            let mut b = hyper_util::server::conn::auto::Builder::new(exec);
            b.http1()
                .keep_alive(true)
                .auto_date_header(false)
                .max_buf_size(limits.max_request_headers_bytes.unwrap_or(400 * 1024));
            let _ = Box::pin(b.serve_connection(io, svc)).await;
        }
        (Codec::Http1, false) => {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.keep_alive(true).auto_date_header(false);
            if let Some(max) = limits.max_request_headers_bytes {
                b.max_buf_size(max);
            }
            let _ = Box::pin(b.serve_connection(io, svc)).await;
        }
        (Codec::Http2, _) => {
            let mut b = hyper::server::conn::http2::Builder::new(exec);
            if let Some(max) = limits.max_request_headers_bytes {
                b.max_header_list_size(max as u32);
            }
            let _ = Box::pin(b.serve_connection(io, svc)).await;
        }
    }
}
