//! A fixed-phase periodic timer that can rest: Envoy's outlier detector arms its interval
//! timer again at every sweep (`source/common/upstream/outlier_detection_impl.cc`
//! `DetectorImpl::armIntervalTimer`), so sweeps fall on `creation + k·interval`. A sweep of a
//! detector with nothing to look at changes nothing, so while a detector is quiet its task
//! may skip ticks — provided that, once it has work again, it sweeps at the very tick (and,
//! in the twin, at the very place among that instant's wake-ups) it would have swept at had
//! it never stopped.
//!
//! - [`Ticker`]: ready at every tick while awake; [`Platform::ticker`] makes one.
//! - [`Rest`]: shared by the ticker and whoever may end its rest (the cluster, when a result
//!   lists a host).
//! - [`SleepTicker`]: the implementation over [`Platform::sleep`] and [`Platform::now`], for
//!   platforms (real sockets) where the order of wake-ups within one instant means nothing.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use std::rc::Rc;

use super::{LocalBoxFuture, Platform};

/// A periodic timer on a fixed phase: ticks at `start + k·period` (k ≥ 1, `start` the
/// instant it was made).
pub trait Ticker {
    /// Ready at the next tick not yet taken. While its [`Rest`] rests, ticks pass without
    /// waking the task; after the rest ends, the next tick is the first one whose turn comes
    /// after that (ticks that passed during the rest are skipped, never delivered late).
    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

/// The next tick of `ticker`.
pub fn tick(ticker: &mut dyn Ticker) -> impl Future<Output = ()> + '_ {
    std::future::poll_fn(move |cx| ticker.poll_tick(cx))
}

/// Whether a [`Ticker`] rests, shared with whoever may wake it.
#[derive(Default)]
pub struct Rest {
    resting: Cell<bool>,
    /// A ticker waiting out the rest (only [`SleepTicker`] waits this way).
    waiting: RefCell<Option<Waker>>,
}

impl Rest {
    /// Let ticks pass without waking the ticker's task, until [`Rest::end`].
    pub fn start(&self) {
        self.resting.set(true);
    }

    /// Tick again from the next tick whose turn has not come yet (a no-op when awake).
    pub fn end(&self) {
        if self.resting.replace(false) {
            if let Some(w) = self.waiting.borrow_mut().take() {
                w.wake();
            }
        }
    }

    /// Whether ticks pass unseen.
    pub fn is_resting(&self) -> bool {
        self.resting.get()
    }

    /// Wake `waker` when the rest ends.
    pub fn wait(&self, waker: &Waker) {
        *self.waiting.borrow_mut() = Some(waker.clone());
    }
}

/// A [`Ticker`] from [`Platform::sleep`]: no timer at all while resting; after the rest, the
/// first tick at or after the moment it ended.
pub struct SleepTicker<P: Platform> {
    platform: P,
    period: Duration,
    /// The next tick.
    next: Duration,
    rest: Rc<Rest>,
    sleep: Option<LocalBoxFuture<()>>,
}

impl<P: Platform> SleepTicker<P> {
    /// Ticks every `period` from now.
    pub fn new(platform: P, period: Duration, rest: Rc<Rest>) -> Self {
        let next = platform.now() + period;
        Self {
            platform,
            period,
            next,
            rest,
            sleep: None,
        }
    }
}

impl<P: Platform> Ticker for SleepTicker<P> {
    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.rest.is_resting() {
            self.sleep = None;
            self.rest.wait(cx.waker());
            return Poll::Pending;
        }
        let sleep = match &mut self.sleep {
            Some(s) => s,
            None => {
                let now = self.platform.now();
                self.next = first_tick_from(self.next, self.period, now);
                self.sleep.insert(self.platform.sleep(self.next - now))
            }
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleep = None;
        self.next += self.period;
        Poll::Ready(())
    }
}

/// The first tick `next + k·period` (k ≥ 0) at or after `now`.
fn first_tick_from(next: Duration, period: Duration, now: Duration) -> Duration {
    if next >= now || period.is_zero() {
        return next.max(now);
    }
    let behind = (now - next).as_nanos();
    let periods = behind.div_ceil(period.as_nanos());
    let ahead = period.as_nanos() * periods;
    let secs = u64::try_from(ahead / 1_000_000_000).unwrap_or(u64::MAX);
    next.saturating_add(Duration::new(secs, (ahead % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn after_a_rest_the_next_tick_keeps_the_phase() {
        assert_eq!(first_tick_from(ms(10), ms(10), ms(3)), ms(10));
        assert_eq!(first_tick_from(ms(10), ms(10), ms(10)), ms(10));
        assert_eq!(first_tick_from(ms(10), ms(10), ms(11)), ms(20));
        assert_eq!(first_tick_from(ms(10), ms(10), ms(40)), ms(40));
        assert_eq!(first_tick_from(ms(17), ms(10), ms(41)), ms(47));
        assert_eq!(first_tick_from(ms(10), Duration::ZERO, ms(41)), ms(41));
    }

    #[test]
    fn ending_a_rest_wakes_the_waiting_ticker_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let rest = Rest::default();
        rest.start();
        rest.wait(&Waker::from(count.clone()));
        assert!(rest.is_resting());
        rest.end();
        rest.end();
        assert!(!rest.is_resting());
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
    }
}
