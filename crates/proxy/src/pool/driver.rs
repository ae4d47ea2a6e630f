//! Runs a [`PoolEngine`] on real HTTP/1.1 or HTTP/2 client connections (hyper), through the
//! platform seam. The engine decides; this module connects, attaches, sends and closes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::TokioIo;
use meshtwin_model::event::{EventKind, Name};
use tokio::sync::oneshot;

use super::engine::{Action, ClusterShared, CxId, NewStream, PendingId, PoolEngine, PoolFailure};
use crate::body::UpstreamBody;
use crate::config::Endpoint;
use crate::observer::Observer;
use crate::platform::{detach, timeout, HyperExecutor, Platform};

/// Why an attached stream produced no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamError {
    /// The connection closed or reset before the response was complete.
    ConnectionTermination,
}

enum Sender {
    H1(http1::SendRequest<UpstreamBody>),
    H2(http2::SendRequest<UpstreamBody>),
}

/// Identity and settings of one pool, for its tasks and its trace events.
pub struct PoolContext<P> {
    pub platform: P,
    pub observer: Rc<dyn Observer>,
    pub proxy: Name,
    pub cluster: Name,
    pub worker: u32,
    pub endpoint: Endpoint,
    pub http2: bool,
    pub connect_timeout: Duration,
}

/// One pool: (worker, host, protocol) of a cluster.
pub struct PoolDriver<P: Platform> {
    ctx: PoolContext<P>,
    engine: RefCell<PoolEngine>,
    shared: Rc<RefCell<ClusterShared>>,
    senders: RefCell<BTreeMap<CxId, Sender>>,
    waiters: RefCell<BTreeMap<PendingId, oneshot::Sender<Result<CxId, PoolFailure>>>>,
}

impl<P: Platform> PoolDriver<P> {
    pub fn new(
        ctx: PoolContext<P>,
        engine: PoolEngine,
        shared: Rc<RefCell<ClusterShared>>,
    ) -> Rc<Self> {
        Rc::new(Self {
            ctx,
            engine: RefCell::new(engine),
            shared,
            senders: RefCell::new(BTreeMap::new()),
            waiters: RefCell::new(BTreeMap::new()),
        })
    }

    /// Streams this pool has attached now.
    pub fn active_streams(&self) -> u64 {
        self.engine.borrow().active_streams()
    }

    /// Get a stream: at once from a ready connection, after waiting in the pending queue, or
    /// an error (overflow, or the connection it waited for failed).
    pub async fn acquire(self: &Rc<Self>) -> Result<StreamHandle<P>, PoolFailure> {
        let (result, actions) = {
            let mut sh = self.shared.borrow_mut();
            self.engine.borrow_mut().new_stream(&mut sh)
        };
        let rx = match result {
            NewStream::Pending(id) => {
                let (tx, rx) = oneshot::channel();
                self.waiters.borrow_mut().insert(id, tx);
                Some((id, rx))
            }
            _ => None,
        };
        self.run(actions);
        match (result, rx) {
            (NewStream::Attached(cx), _) => Ok(self.handle(cx)),
            (NewStream::Overflow, _) => Err(PoolFailure::Overflow),
            (NewStream::Pending(_), Some((id, rx))) => {
                let mut guard = PendingGuard {
                    pool: self.clone(),
                    id,
                    rx: Some(rx),
                };
                let rx = guard.rx.as_mut().expect("receiver present until resolved");
                let r = rx.await.unwrap_or(Err(PoolFailure::LocalConnectionFailure));
                guard.rx = None;
                r.map(|cx| self.handle(cx))
            }
            (NewStream::Pending(_), None) => unreachable!("pending streams get a receiver"),
        }
    }

    fn handle(self: &Rc<Self>, cx: CxId) -> StreamHandle<P> {
        StreamHandle {
            pool: self.clone(),
            cx,
            done: false,
        }
    }

    fn emit(&self, kind: EventKind) {
        self.ctx.observer.event(self.ctx.platform.now(), kind);
    }

    /// Carry out the engine's actions (re-entrant: actions may produce more actions).
    fn run(self: &Rc<Self>, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Connect(cx) => self.spawn_connect(cx),
                Action::Attach { pending, cx } => {
                    let tx = self.waiters.borrow_mut().remove(&pending);
                    if let Some(tx) = tx {
                        if tx.send(Ok(cx)).is_err() {
                            self.stream_finished(cx, false);
                        }
                    }
                }
                Action::Fail { pending, reason } => {
                    if let Some(tx) = self.waiters.borrow_mut().remove(&pending) {
                        let _ = tx.send(Err(reason));
                    }
                }
                Action::Close(cx) => self.close(cx),
                Action::Event(event, cx) => {
                    let (connections, pending) = {
                        let sh = self.shared.borrow();
                        (sh.rm.connections.count(), sh.rm.pending_requests.count())
                    };
                    self.emit(EventKind::Pool {
                        proxy: self.ctx.proxy.clone(),
                        cluster: self.ctx.cluster.clone(),
                        worker: self.ctx.worker,
                        event,
                        cx,
                        connections,
                        pending,
                    });
                }
            }
        }
    }

    /// Close a connection from our side: drop its sender (hyper then closes the socket) and
    /// release its resources now, as Envoy does on a local close.
    fn close(self: &Rc<Self>, cx: CxId) {
        drop(self.senders.borrow_mut().remove(&cx));
        let actions = {
            let mut sh = self.shared.borrow_mut();
            self.engine.borrow_mut().on_closed(cx, true, &mut sh)
        };
        self.run(actions);
    }

    fn spawn_connect(self: &Rc<Self>, cx: CxId) {
        let pool = self.clone();
        self.ctx.platform.spawn(Box::pin(async move {
            let p = &pool.ctx.platform;
            let connected = timeout(
                p,
                pool.ctx.connect_timeout,
                p.connect(pool.ctx.endpoint.address),
            )
            .await;
            let failure = match connected {
                None => Some(PoolFailure::Timeout),
                Some(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    Some(PoolFailure::RemoteConnectionFailure)
                }
                Some(Err(_)) => Some(PoolFailure::LocalConnectionFailure),
                Some(Ok(stream)) => match pool.handshake(cx, stream).await {
                    Ok(()) => None,
                    Err(()) => Some(PoolFailure::LocalConnectionFailure),
                },
            };
            let actions = {
                let mut sh = pool.shared.borrow_mut();
                let mut engine = pool.engine.borrow_mut();
                match failure {
                    Some(reason) => engine.on_connect_failed(cx, reason, &mut sh),
                    None => engine.on_connected(cx, &mut sh),
                }
            };
            pool.run(actions);
        }));
    }

    async fn handshake(self: &Rc<Self>, cx: CxId, stream: P::Stream) -> Result<(), ()> {
        let io = TokioIo::new(stream);
        let pool = self.clone();
        if self.ctx.http2 {
            let (sender, conn) = http2::Builder::new(HyperExecutor(self.ctx.platform.clone()))
                .handshake(io)
                .await
                .map_err(|_| ())?;
            self.senders.borrow_mut().insert(cx, Sender::H2(sender));
            self.ctx
                .platform
                .spawn(detach(conn, move || pool.connection_ended(cx)));
        } else {
            let (sender, conn) = http1::handshake(io).await.map_err(|_| ())?;
            self.senders.borrow_mut().insert(cx, Sender::H1(sender));
            self.ctx
                .platform
                .spawn(detach(conn, move || pool.connection_ended(cx)));
        }
        Ok(())
    }

    /// The connection's hyper task ended: if we did not close it ourselves, the peer did.
    fn connection_ended(self: &Rc<Self>, cx: CxId) {
        drop(self.senders.borrow_mut().remove(&cx));
        let actions = {
            let mut sh = self.shared.borrow_mut();
            self.engine.borrow_mut().on_closed(cx, false, &mut sh)
        };
        self.run(actions);
    }

    /// A stream ended. `ok`: the response completed normally (HTTP/1 defers the next attach);
    /// otherwise an HTTP/1 connection is closed, as Envoy does after a stream reset.
    fn stream_finished(self: &Rc<Self>, cx: CxId, ok: bool) {
        let delay = ok && !self.ctx.http2;
        let actions = {
            let mut sh = self.shared.borrow_mut();
            self.engine.borrow_mut().on_stream_done(cx, delay, &mut sh)
        };
        self.run(actions);
        if !ok && !self.ctx.http2 && self.engine.borrow().state_of(cx).is_some() {
            self.close(cx);
        }
        if delay {
            let pool = self.clone();
            self.ctx.platform.spawn(Box::pin(async move {
                let actions = {
                    let mut sh = pool.shared.borrow_mut();
                    pool.engine.borrow_mut().on_upstream_ready_deferred(&mut sh)
                };
                pool.run(actions);
            }));
        }
    }

    /// Send `req` on connection `cx` and read the whole response. An `async` block rather
    /// than an `async fn`, whose argument the future would hold twice (as the argument and
    /// as the body's local): every attempt boxes this future.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn would hold its request argument twice"
    )]
    fn send_on(
        &self,
        cx: CxId,
        req: Request<UpstreamBody>,
    ) -> impl Future<Output = Result<Response<Bytes>, StreamError>> + '_ {
        async move {
            let taken = self.senders.borrow_mut().remove(&cx);
            let resp = match taken {
                // `send_request` hands the request to the connection as it is called, so each
                // arm awaits only the sender's readiness and then the response: no block holding
                // the request beside this future's own argument (a copy of 240 bytes, in the
                // future every attempt boxes).
                Some(Sender::H1(mut s)) => {
                    let r = match s.ready().await {
                        Ok(()) => s.send_request(req).await.ok(),
                        Err(_) => None,
                    };
                    // Give the sender back before anything else can attach to this connection.
                    if self.engine.borrow().state_of(cx).is_some() {
                        self.senders.borrow_mut().insert(cx, Sender::H1(s));
                    }
                    r
                }
                Some(Sender::H2(s)) => {
                    let mut s2 = s.clone();
                    self.senders.borrow_mut().insert(cx, Sender::H2(s));
                    match s2.ready().await {
                        Ok(()) => s2.send_request(req).await.ok(),
                        Err(_) => None,
                    }
                }
                None => None,
            };
            let resp = resp.ok_or(StreamError::ConnectionTermination)?;
            let (parts, body) = resp.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|_| StreamError::ConnectionTermination)?
                .to_bytes();
            Ok(Response::from_parts(parts, bytes))
        }
    }
}

/// Cancels a queued request if the waiter goes away; releases a stream that was attached
/// just as the waiter went away.
struct PendingGuard<P: Platform> {
    pool: Rc<PoolDriver<P>>,
    id: PendingId,
    rx: Option<oneshot::Receiver<Result<CxId, PoolFailure>>>,
}

impl<P: Platform> Drop for PendingGuard<P> {
    fn drop(&mut self) {
        let Some(mut rx) = self.rx.take() else {
            return;
        };
        self.pool.waiters.borrow_mut().remove(&self.id);
        let cancelled = {
            let mut sh = self.pool.shared.borrow_mut();
            self.pool
                .engine
                .borrow_mut()
                .cancel_pending(self.id, &mut sh)
        };
        if !cancelled {
            if let Ok(Ok(cx)) = rx.try_recv() {
                self.pool.stream_finished(cx, false);
            }
        }
    }
}

/// A stream attached to a connection. Dropping it before the response completes resets the
/// stream (and closes an HTTP/1 connection).
pub struct StreamHandle<P: Platform> {
    pool: Rc<PoolDriver<P>>,
    cx: CxId,
    done: bool,
}

impl<P: Platform> StreamHandle<P> {
    /// Send the request and read the whole response.
    /// (An `async` block for the reason [`PoolDriver::send_on`] is one.)
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn would hold its request argument twice"
    )]
    pub fn send(
        mut self,
        req: Request<UpstreamBody>,
    ) -> impl Future<Output = Result<Response<Bytes>, StreamError>> {
        async move {
            let r = self.pool.send_on(self.cx, req).await;
            self.done = true;
            self.pool.stream_finished(self.cx, r.is_ok());
            r
        }
    }
}

impl<P: Platform> Drop for StreamHandle<P> {
    fn drop(&mut self) {
        if !self.done {
            self.pool.stream_finished(self.cx, false);
        }
    }
}
