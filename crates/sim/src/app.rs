//! The application inside a pod: an HTTP/1.1 server (hyper) whose service time, errors,
//! worker concurrency and calls to other services follow the topology's [`AppBehaviour`] —
//! for each request, the behaviour of the first of its `routes` that matches the request's
//! path and method ([`AppBehaviour::for_request`]).
//! It names itself in `x-served-by`, and reports what its page shows in `x-app-notes` (and in
//! its body): the notes of the services it called, or its own error text for a call that
//! failed — as Bookinfo's productpage prints "Error fetching product reviews".

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_model::topology::{AppBehaviour, LatencyDist};
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::platform::{HyperExecutor, Platform};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::Semaphore;

use crate::app_call::{call_with_retries, Resolver};

/// Longest service time an exponential draw may produce, as a multiple of its mean.
const EXP_CAP: f64 = 100.0;
/// Header carrying what a page reports (`; `-separated).
pub const NOTES_HEADER: &str = "x-app-notes";

/// The notes a response reports (`x-app-notes`, `; `-separated).
pub fn notes_of(headers: &HeaderMap) -> Vec<String> {
    headers
        .get(NOTES_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split("; ").map(str::to_string).collect())
        .unwrap_or_default()
}

/// Draw a service time.
pub fn sample_latency(dist: &LatencyDist, rng: &mut ChaCha8Rng) -> Duration {
    match dist {
        LatencyDist::Fixed { value } => *value,
        LatencyDist::Uniform { min, max } => {
            if max <= min {
                *min
            } else {
                let us = rng.random_range(min.as_micros() as u64..=max.as_micros() as u64);
                Duration::from_micros(us)
            }
        }
        LatencyDist::Exponential { mean } => {
            let u: f64 = rng.random_range(f64::EPSILON..1.0);
            let x = (-u.ln()).min(EXP_CAP);
            Duration::from_micros((x * mean.as_micros() as f64) as u64)
        }
    }
}

/// An app's behaviour, shared with the world, whose timeline replaces it (copy on write:
/// [`Rc::make_mut`]). A request takes the behaviour current when a worker takes it up, and
/// keeps it to its end: a pointer, not a copy of every route and call.
pub type SharedBehaviour = Rc<RefCell<Rc<AppBehaviour>>>;

/// One pod's app, on any platform: the twin's hosts ([`crate::platform::SimPlatform`]) or
/// real loopback sockets ([`meshtwin_proxy::platform::real::RealPlatform`]).
pub struct App<P: Platform> {
    pub platform: P,
    pub pod: String,
    /// Shared with the world, which changes it when the timeline says so.
    pub behaviour: SharedBehaviour,
    pub rng: RefCell<ChaCha8Rng>,
    pub workers: Semaphore,
    pub resolver: Resolver,
    pub observer: Rc<dyn Observer>,
    /// Serve HTTP/2 (prior knowledge, h2c) instead of HTTP/1.1.
    pub http2: bool,
}

impl<P: Platform> App<P> {
    /// Serve one `method` request for `path`: wait for a worker, spend the service time,
    /// make the calls, answer — as the route the request matches says.
    async fn serve(
        self: Rc<Self>,
        method: &Method,
        path: &str,
        headers: HeaderMap,
    ) -> Response<Full<Bytes>> {
        let _permit = self
            .workers
            .acquire()
            .await
            .expect("semaphore never closed");
        let whole = Rc::clone(&self.behaviour.borrow());
        let b = whole.for_request(method.as_str(), path);
        let (delay, fail) = {
            let mut r = self.rng.borrow_mut();
            let d = sample_latency(b.latency, &mut r);
            (d, b.error_rate > 0.0 && r.random::<f64>() < b.error_rate)
        };
        self.platform.sleep(delay).await;
        let mut notes: Vec<String> = Vec::new();
        for call in b.calls {
            // Boxed: only an app with calls waits on one, and every request's future would
            // otherwise be as large as the calls' (704 bytes of 1,080), copied into hyper's
            // slot on each request.
            match Box::pin(call_with_retries(&self, call, &headers)).await {
                Ok(callee_notes) => notes.extend(callee_notes),
                Err(()) => {
                    if !call.on_error.is_empty() {
                        notes.push(call.on_error.clone());
                    }
                }
            }
        }
        let status = if fail { b.error_status } else { 200 };
        let mut body = notes.join("\n").into_bytes();
        if !fail {
            body.resize(body.len().max(b.response_bytes as usize), b' ');
        }
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Ok(v) = http::HeaderValue::from_str(&self.pod) {
            resp.headers_mut().insert("x-served-by", v);
        }
        if !notes.is_empty() {
            if let Ok(v) = http::HeaderValue::from_str(&notes.join("; ")) {
                resp.headers_mut().insert(NOTES_HEADER, v);
            }
        }
        resp
    }
}

/// Start `app` listening on `addr`.
pub fn spawn_app<P: Platform>(app: App<P>, addr: SocketAddr) {
    let app = Rc::new(app);
    let p = app.platform.clone();
    p.clone().spawn(Box::pin(async move {
        let Ok(listener) = p.bind(addr).await else {
            return;
        };
        loop {
            let Ok((stream, _)) = p.accept(&listener).await else {
                continue;
            };
            let app = app.clone();
            p.spawn(Box::pin(async move {
                let http2 = app.http2;
                let exec = HyperExecutor(app.platform.clone());
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    // Taken apart here, so that the future holds the parts `serve` reads and
                    // not the request besides them.
                    let (parts, body) = req.into_parts();
                    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
                    // Boxed, as the proxy's requests are (`meshtwin_proxy::listener`): hyper
                    // keeps it in the connection's slot, cold since its previous request.
                    Box::pin(async move {
                        let _ = body.collect().await;
                        let path = uri.path_and_query().map_or("/", |p| p.as_str());
                        Ok::<_, std::convert::Infallible>(app.serve(&method, path, headers).await)
                    })
                });
                // Each codec's connection boxed: the task is not as large as both.
                if http2 {
                    let _ = Box::pin(
                        hyper::server::conn::http2::Builder::new(exec)
                            .serve_connection(TokioIo::new(stream), svc),
                    )
                    .await;
                } else {
                    let _ = Box::pin(
                        hyper::server::conn::http1::Builder::new()
                            .auto_date_header(false)
                            .serve_connection(TokioIo::new(stream), svc),
                    )
                    .await;
                }
            }));
        }
    }));
}
