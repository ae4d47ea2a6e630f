//! Listeners: accept downstream connections, give each to a worker, and serve it with the
//! HTTP connection manager (HTTP/1.1 or HTTP/2) of that listener.

use std::rc::Rc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::config::{Codec, ListenerKind};
use crate::http::handle_request;
use crate::platform::{HyperExecutor, Platform};
use crate::proxy::Proxy;
use crate::tcp_proxy::serve_tcp;

/// Accept connections on `listener` forever (until the platform stops).
pub(crate) fn spawn_accept_loop<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    listener: P::Listener,
) {
    let platform = proxy.platform.clone();
    platform.spawn(Box::pin(async move {
        loop {
            let Ok((stream, _peer)) = proxy.platform.accept(&listener).await else {
                continue;
            };
            let worker = proxy.assign_worker();
            serve_connection(proxy.clone(), index, worker, stream);
        }
    }));
}

fn serve_connection<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    stream: P::Stream,
) {
    let lcfg = proxy.listener(index);
    let codec = match &lcfg.kind {
        ListenerKind::Http { codec, .. } => codec,
        ListenerKind::Tcp { .. } => return serve_tcp(proxy, index, worker, stream),
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
        if !p.cfg.accept_delay.is_zero() {
            p.platform.sleep(p.cfg.accept_delay).await;
        }
        let io = TokioIo::new(stream);
        let svc_proxy = p.clone();
        let svc = service_fn(move |req| handle_request(svc_proxy.clone(), index, worker, req));
        match codec {
            Codec::Http1 => {
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .auto_date_header(false)
                    .serve_connection(io, svc)
                    .await;
            }
            Codec::Http2 => {
                let _ = hyper::server::conn::http2::Builder::new(HyperExecutor(p.platform.clone()))
                    .serve_connection(io, svc)
                    .await;
            }
        }
        let mut s = stats.borrow_mut();
        s.downstream_cx_active.dec();
        s.downstream_cx_destroy += 1;
    }));
}
