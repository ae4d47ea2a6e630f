//! The virtual clock and its timers. Time only moves when the scheduler moves it, straight to
//! the next timer or packet; timers resolve to the microsecond.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Virtual time and the pending timers.
#[derive(Default)]
pub struct Clock {
    now: Cell<Duration>,
    next_seq: Cell<u64>,
    timers: RefCell<BTreeMap<(Duration, u64), Waker>>,
}

impl Clock {
    pub fn now(&self) -> Duration {
        self.now.get()
    }

    /// The earliest pending timer.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.timers.borrow().keys().next().map(|(d, _)| *d)
    }

    /// Move time to `t` (never backwards) and wake every timer due by then.
    pub fn advance_to(&self, t: Duration) {
        assert!(t >= self.now.get(), "virtual time never goes backwards");
        self.now.set(t);
        loop {
            let due = {
                let mut timers = self.timers.borrow_mut();
                match timers.keys().next() {
                    Some(k) if k.0 <= t => {
                        let k = *k;
                        timers.remove(&k)
                    }
                    _ => None,
                }
            };
            match due {
                Some(w) => w.wake(),
                None => break,
            }
        }
    }

    fn register(&self, deadline: Duration, waker: Waker) -> (Duration, u64) {
        let seq = self.next_seq.get();
        self.next_seq.set(seq + 1);
        self.timers.borrow_mut().insert((deadline, seq), waker);
        (deadline, seq)
    }

    fn cancel(&self, key: (Duration, u64)) {
        self.timers.borrow_mut().remove(&key);
    }
}

/// A virtual sleep.
pub struct Sleep {
    clock: Rc<Clock>,
    deadline: Duration,
    key: Option<(Duration, u64)>,
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
