//! Fixed-phase tickers that can rest without losing their place
//! ([`meshtwin_proxy::platform::ticker`]): the outlier detector's sweep timer.
//!
//! A task that sleeps one period after each wake-up arms its next timer during its poll, so
//! among the timers due at one instant its wake-up comes after every timer armed before that
//! poll and before every timer armed after it. A resting ticker must keep exactly that place,
//! or waking it again would reorder the instant it sweeps at (two clusters' sweeps, a request
//! whose timeout falls on the sweep...). So a tick is queued in the executor's run queue like
//! any timer's wake-up, and where the task would have been polled, a resting ticker arms its
//! next tick instead: the same timer, armed at the same point, with no task poll and nothing
//! of the task's (or its cluster's) memory touched. Awake, the tick polls the task right there.
//!
//! Ending the rest ([`Rest::end`]) only flips a flag, so a rest ended at a tick's very instant
//! resumes at that tick exactly when its turn had not come yet — when the sleeping task would
//! still have swept the result in.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use meshtwin_proxy::platform::{Rest, Ticker};

use crate::clock::Clock;
use crate::executor::{TaskRef, TaskWaker};
use crate::platform::Core;
use crate::timers::TimerKey;

/// The bit of a queued [`TaskRef`]'s id that makes it a ticker's tick (task ids count from 1
/// and never come near it).
pub(crate) const TICK: u64 = 1 << 63;

struct Entry {
    id: u64,
    period: Duration,
    /// The deadline of the next tick.
    next: Duration,
    /// The armed timer of the next tick.
    key: Option<TimerKey>,
    /// A tick came while awake: the task's next poll of the ticker is ready.
    fired: bool,
    /// The task awaiting the ticks.
    owner: Option<TaskRef>,
    rest: Rc<Rest>,
    /// Queues the tick in the run queue.
    waker: Arc<TaskWaker>,
}

/// The live tickers: a slab, like the executor's tasks.
#[derive(Default)]
pub(crate) struct Tickers {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    next_id: u64,
}

impl Tickers {
    fn get_mut(&mut self, r: TaskRef) -> Option<&mut Entry> {
        (self.slots.get_mut(r.slot)?.as_mut()).filter(|e| e.id == r.id)
    }

    /// A tick's turn in the run queue: the task to poll now, or `None` when the ticker rests
    /// (its next tick is armed instead) or is gone.
    pub(crate) fn on_tick(&mut self, r: TaskRef, clock: &Clock) -> Option<TaskRef> {
        let e = self.get_mut(r)?;
        e.waker.scheduled.store(false, Ordering::Relaxed);
        e.key = None;
        e.next += e.period;
        if e.rest.is_resting() || e.owner.is_none() {
            e.key = Some(clock.register(e.next, Waker::from(e.waker.clone())));
            return None;
        }
        e.fired = true;
        e.owner
    }
}

/// A ticker of the twin. Poll it only from a task of the executor it was made on.
pub struct SimTicker {
    core: Rc<Core>,
    me: TaskRef,
}

impl SimTicker {
    /// Ticks every `period` from now.
    pub fn new(core: Rc<Core>, period: Duration, rest: Rc<Rest>) -> Self {
        let exec = &core.exec;
        let me = {
            let mut t = exec.tickers.borrow_mut();
            let slot = t.free.pop().unwrap_or_else(|| {
                t.slots.push(None);
                t.slots.len() - 1
            });
            t.next_id += 1;
            let me = TaskRef {
                slot,
                id: TICK | t.next_id,
            };
            t.slots[slot] = Some(Entry {
                id: me.id,
                period,
                next: exec.clock.now() + period,
                key: None,
                fired: false,
                owner: None,
                rest,
                waker: Arc::new(TaskWaker {
                    task: me,
                    scheduled: AtomicBool::new(false),
                    queue: exec.queue().clone(),
                }),
            });
            me
        };
        Self { core, me }
    }
}

impl Ticker for SimTicker {
    /// As a sleep of one period after each tick would: the timer is armed at the first poll
    /// after a tick, by the task that polls.
    fn poll_tick(&mut self, _cx: &mut Context<'_>) -> Poll<()> {
        let exec = &self.core.exec;
        let mut t = exec.tickers.borrow_mut();
        let e = t
            .get_mut(self.me)
            .expect("a ticker lives as long as its handle");
        if std::mem::take(&mut e.fired) {
            return Poll::Ready(());
        }
        e.owner = exec.current();
        if e.key.is_none() {
            e.key = Some(exec.clock.register(e.next, Waker::from(e.waker.clone())));
        }
        Poll::Pending
    }
}

impl Drop for SimTicker {
    fn drop(&mut self) {
        let exec = &self.core.exec;
        let mut t = exec.tickers.borrow_mut();
        if let Some(key) = t.get_mut(self.me).and_then(|e| e.key.take()) {
            exec.clock.cancel(key);
        }
        t.slots[self.me.slot] = None;
        t.free.push(self.me.slot);
    }
}

#[cfg(test)]
#[path = "ticker_tests.rs"]
mod tests;
