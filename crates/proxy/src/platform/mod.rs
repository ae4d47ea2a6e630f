//! The platform seam: everything the proxy core needs from the outside world.
//!
//! Two implementations exist: [`real`] (tokio sockets and tokio time; `meshtwin proxy` runs a
//! usable sidecar on it) and the simulator's turmoil-net hosts (in `meshtwin-sim`). The core
//! spawns, sleeps and reads the clock only through this trait, so inside the twin every task
//! runs on its pod's host and every timer is virtual. [`ticker`] holds the periodic timer that
//! may rest (the outlier sweep's).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

pub mod real;
pub mod ticker;

pub use ticker::{Rest, Ticker};

/// A boxed, single-threaded future.
pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The future of an accept: a stream and the peer's address.
pub type AcceptFuture<'a, S> = Pin<Box<dyn Future<Output = io::Result<(S, SocketAddr)>> + 'a>>;

/// Connect, bind/accept, spawn and time.
pub trait Platform: Clone + Unpin + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + 'static;
    type Listener: 'static;

    /// Bind a TCP listener.
    fn bind(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<Self::Listener>>;
    /// Accept one connection.
    fn accept<'a>(&self, listener: &'a Self::Listener) -> AcceptFuture<'a, Self::Stream>;
    /// Open a TCP connection.
    fn connect(&self, addr: SocketAddr) -> LocalBoxFuture<io::Result<Self::Stream>>;
    /// Run a task on this platform (in the twin: on this pod's host).
    fn spawn(&self, fut: LocalBoxFuture<()>);
    /// Time since the platform's epoch (virtual in the twin).
    fn now(&self) -> Duration;
    /// Sleep for `d` (virtual in the twin).
    fn sleep(&self, d: Duration) -> LocalBoxFuture<()>;
    /// A timer ticking every `period` from now on a fixed phase, silent while `rest` rests
    /// (see [`ticker`]). The default counts on [`Platform::sleep`] and arms nothing while
    /// resting; the twin keeps a resting ticker's place among same-instant wake-ups.
    fn ticker(&self, period: Duration, rest: std::rc::Rc<Rest>) -> Box<dyn Ticker> {
        Box::new(ticker::SleepTicker::new(self.clone(), period, rest))
    }
    /// Resolves when the peer of `stream` has closed (or reset) its side, even while nobody
    /// reads the stream: Envoy keeps watching a read-disabled connection for a remote close
    /// (`source/common/network/connection_impl.cc` `ConnectionImpl::readDisable`). Never in
    /// the twin, whose connections report closes when read.
    fn peer_closed(&self, _stream: &Self::Stream) -> LocalBoxFuture<()> {
        Box::pin(std::future::pending())
    }
    /// 128 bits from the operating system's random source, where the platform may use one
    /// (real sockets); `None` in the twin, whose draws come from seeded streams.
    fn entropy(&self) -> Option<u128> {
        None
    }
}

/// Run `fut` with a deadline: `None` when `d` passed first. Deterministic: `fut` is polled
/// before the deadline on every poll; the deadline starts at the first poll.
pub fn timeout<P: Platform, F: Future>(p: &P, d: Duration, fut: F) -> Timeout<'_, P, F> {
    timeout_opt(p, Some(d), fut)
}

/// [`timeout`] when there is a deadline `d`; `fut` alone (always `Some`) when there is none.
pub fn timeout_opt<P: Platform, F: Future>(
    p: &P,
    d: Option<Duration>,
    fut: F,
) -> Timeout<'_, P, F> {
    Timeout {
        platform: p,
        after: d,
        fut,
        deadline: None,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`]: a struct rather than an `async fn`, so that it holds `fut`
    /// once (an `async fn` holds its argument and the future it awaits side by side, doubling
    /// the size of every request's state at each level that adds a timeout, all of it copied
    /// when the request's future is made).
    pub struct Timeout<'a, P, F> {
        platform: &'a P,
        after: Option<Duration>,
        #[pin]
        fut: F,
        deadline: Option<LocalBoxFuture<()>>,
    }
}

impl<P: Platform, F: Future> Future for Timeout<'_, P, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let deadline = match *this.after {
            Some(d) => Some(this.deadline.get_or_insert_with(|| this.platform.sleep(d))),
            None => None,
        };
        if let Poll::Ready(v) = this.fut.poll(cx) {
            return Poll::Ready(Some(v));
        }
        match deadline.map(|s| s.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    }
}

/// A connection's task: drive `conn` (a hyper connection future) to its end, then run `then`.
///
/// A struct rather than `async move { let _ = conn.await; then() }`: an async block keeps its
/// captured future and the future it awaits in separate slots, so the task would be twice the
/// size of hyper's connection state, all of it copied when the task is boxed — per connection,
/// into memory nothing has touched lately.
pub fn detach<F, T>(conn: F, then: T) -> LocalBoxFuture<()>
where
    F: Future + 'static,
    T: FnOnce() + 'static,
{
    Box::pin(Detached {
        conn,
        then: Some(then),
    })
}

pin_project_lite::pin_project! {
    /// The future of [`detach`].
    struct Detached<F, T> {
        #[pin]
        conn: F,
        then: Option<T>,
    }
}

impl<F: Future, T: FnOnce()> Future for Detached<F, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.conn.poll(cx).is_pending() {
            return Poll::Pending;
        }
        if let Some(then) = this.then.take() {
            then();
        }
        Poll::Ready(())
    }
}

/// Adapts a [`Platform`] to hyper's executor trait (HTTP/2 connection tasks).
#[derive(Clone)]
pub struct HyperExecutor<P>(pub P);

impl<P, F> hyper::rt::Executor<F> for HyperExecutor<P>
where
    P: Platform,
    F: Future + 'static,
{
    fn execute(&self, fut: F) {
        self.0.spawn(Box::pin(async move {
            fut.await;
        }));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::task::Waker;

    use super::*;

    /// A future that is pending on its first poll and ready on its second.
    fn ready_on_second_poll() -> impl Future<Output = u8> {
        let mut polled = false;
        std::future::poll_fn(move |_| {
            if std::mem::replace(&mut polled, true) {
                Poll::Ready(7)
            } else {
                Poll::Pending
            }
        })
    }

    #[test]
    fn a_detached_connection_runs_its_callback_once_after_it_ends_and_not_before() {
        let ran = Rc::new(Cell::new(0));
        let seen = ran.clone();
        let mut task = detach(ready_on_second_poll(), move || seen.set(seen.get() + 1));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(task.as_mut().poll(&mut cx).is_pending());
        assert_eq!(ran.get(), 0, "the connection has not ended yet");
        assert!(task.as_mut().poll(&mut cx).is_ready());
        assert_eq!(ran.get(), 1);
    }
}
