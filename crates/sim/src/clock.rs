//! The virtual clock and its timers. Time only moves when the scheduler moves it, straight to
//! the next timer or packet; timers resolve to the microsecond.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::timers::{TimerKey, Timers};

/// Virtual time and the pending timers.
#[derive(Default)]
pub struct Clock {
    now: Cell<Duration>,
    timers: RefCell<Timers>,
}

impl Clock {
    pub fn now(&self) -> Duration {
        self.now.get()
    }

    /// The earliest pending timer.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.timers.borrow_mut().next_deadline()
    }

    /// Move time to `t` (never backwards) and wake every timer due by then.
    pub fn advance_to(&self, t: Duration) {
        assert!(t >= self.now.get(), "virtual time never goes backwards");
        self.now.set(t);
        // The borrow ends before each wake-up: waking may reach code that arms or cancels timers.
        loop {
            let due = self.timers.borrow_mut().pop_due(t);
            match due {
                Some(w) => w.wake(),
                None => break,
            }
        }
    }

    pub(crate) fn register(&self, deadline: Duration, waker: Waker) -> TimerKey {
        self.timers.borrow_mut().arm(deadline, waker)
    }

    pub(crate) fn cancel(&self, key: TimerKey) {
        self.timers.borrow_mut().cancel(key);
    }
}

/// A virtual sleep.
pub struct Sleep {
    clock: Rc<Clock>,
    deadline: Duration,
    key: Option<TimerKey>,
}

impl Sleep {
    pub fn new(clock: Rc<Clock>, d: Duration) -> Self {
        let deadline = clock.now() + d;
        Self {
            clock,
            deadline,
            key: None,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.clock.now() >= self.deadline {
            self.key = None;
            return Poll::Ready(());
        }
        if let Some(k) = self.key.take() {
            self.clock.cancel(k);
        }
        let key = self.clock.register(self.deadline, cx.waker().clone());
        self.key = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.clock.cancel(k);
        }
    }
}
