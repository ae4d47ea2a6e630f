//! A single-threaded, deterministic executor whose tasks each belong to a host.
//!
//! On the turmoil-net substrate, turmoil-net keeps "the current host" in a thread-local, so
//! every poll (and every drop) of a task first pins its host; a task can never run on the
//! wrong pod (the fabric's sockets carry their host themselves). Runnable tasks run in FIFO
//! wake order, so "idle" is simply an empty run queue — the scheduler then moves the clock.
//!
//! The run queue also carries the ticks of [`crate::ticker`]s: a tick takes its place in the
//! queue as a timer's wake-up does, and there either polls the ticker's task or, while the
//! ticker rests, only arms the next tick.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use std::rc::Rc;

use crate::clock::Clock;
use crate::network::{HostId, NetHandle};
use crate::ticker::{Tickers, TICK};

type BoxFut = Pin<Box<dyn Future<Output = ()>>>;

/// Where a task lives: its slot in the task table and its id (ids are never reused; a slot
/// is, so a stale wake-up of a finished task finds another id there and is ignored).
/// A ticker's tick is queued as a `TaskRef` too: its id has the [`TICK`] bit, its slot is the
/// ticker's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskRef {
    pub(crate) slot: usize,
    pub(crate) id: u64,
}

pub(crate) struct TaskWaker {
    pub(crate) task: TaskRef,
    pub(crate) scheduled: AtomicBool,
    pub(crate) queue: Arc<Mutex<VecDeque<TaskRef>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::Relaxed) {
            self.queue
                .lock()
                .expect("run queue lock")
                .push_back(self.task);
        }
    }
}

struct Task {
    id: u64,
    host: HostId,
    /// The future and the waker handed to its polls, taken out while it is polled (the
    /// waker is made once, at spawn: a poll moves it instead of counting a reference).
    fut: Option<(BoxFut, Waker)>,
    waker: Arc<TaskWaker>,
}

/// The live tasks: a slab (O(1) from a wake-up to its task) with a free list. Whatever walks
/// every task walks them in id (spawn) order, as an ordered map would.
#[derive(Default)]
struct Tasks {
    slots: Vec<Option<Task>>,
    free: Vec<usize>,
    live: usize,
}

impl Tasks {
    fn vacant_slot(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }

    fn insert(&mut self, slot: usize, task: Task) {
        debug_assert!(self.slots[slot].is_none());
        self.slots[slot] = Some(task);
        self.live += 1;
    }

    fn get_mut(&mut self, r: TaskRef) -> Option<&mut Task> {
        self.slots
            .get_mut(r.slot)?
            .as_mut()
            .filter(|t| t.id == r.id)
    }

    fn remove(&mut self, r: TaskRef) -> Option<Task> {
        self.get_mut(r)?;
        self.free.push(r.slot);
        self.live -= 1;
        self.slots[r.slot].take()
    }

    /// The tasks `keep` selects, in id order.
    fn refs(&self, keep: impl Fn(&Task) -> bool) -> Vec<TaskRef> {
        let mut refs: Vec<TaskRef> = (self.slots.iter().enumerate())
            .filter_map(|(slot, t)| {
                let t = t.as_ref().filter(|t| keep(t))?;
                Some(TaskRef { slot, id: t.id })
            })
            .collect();
        refs.sort_by_key(|r| r.id);
        refs
    }
}

/// The executor.
pub struct Executor {
    tasks: RefCell<Tasks>,
    queue: Arc<Mutex<VecDeque<TaskRef>>>,
    next_id: Cell<u64>,
    polls: Cell<u64>,
    /// The task being polled.
    current: Cell<Option<TaskRef>>,
    pub(crate) tickers: RefCell<Tickers>,
    pub(crate) clock: Rc<Clock>,
    /// turmoil-net's id of each host, when the hosts run on turmoil-net.
    turmoil: Option<Rc<Vec<turmoil_net::HostId>>>,
}

impl Executor {
    /// An executor for tasks on `net`'s hosts, whose tickers run on `clock`.
    pub fn new(net: &NetHandle, clock: Rc<Clock>) -> Self {
        Self {
            tasks: RefCell::new(Tasks::default()),
            queue: Arc::new(Mutex::new(VecDeque::new())),
            next_id: Cell::new(1),
            polls: Cell::new(0),
            current: Cell::new(None),
            tickers: RefCell::default(),
            clock,
            turmoil: match net {
                NetHandle::Fabric(_) => None,
                NetHandle::TurmoilNet(ids) => Some(ids.clone()),
            },
        }
    }

    /// Make `host` the current one for turmoil-net's socket calls.
    fn enter(&self, host: HostId) {
        if let Some(ids) = &self.turmoil {
            turmoil_net::set_current(ids[host.0 as usize]);
        }
    }

    /// Spawn a task on `host`; it runs at the next scheduling pass.
    pub fn spawn(&self, host: HostId, fut: BoxFut) {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let mut tasks = self.tasks.borrow_mut();
        let task = TaskRef {
            slot: tasks.vacant_slot(),
            id,
        };
        let waker = Arc::new(TaskWaker {
            task,
            scheduled: AtomicBool::new(false),
            queue: self.queue.clone(),
        });
        tasks.insert(
            task.slot,
            Task {
                id,
                host,
                fut: Some((fut, Waker::from(waker.clone()))),
                waker: waker.clone(),
            },
        );
        drop(tasks);
        waker.wake_by_ref();
    }

    pub(crate) fn queue(&self) -> &Arc<Mutex<VecDeque<TaskRef>>> {
        &self.queue
    }

    /// The task being polled, if any.
    pub(crate) fn current(&self) -> Option<TaskRef> {
        self.current.get()
    }

    fn pop(&self) -> Option<TaskRef> {
        self.queue.lock().expect("run queue lock").pop_front()
    }

    pub fn has_runnable(&self) -> bool {
        !self.queue.lock().expect("run queue lock").is_empty()
    }

    /// Number of task polls so far (for the benchmark).
    pub fn polls(&self) -> u64 {
        self.polls.get()
    }

    /// Live tasks.
    pub fn task_count(&self) -> usize {
        self.tasks.borrow().live
    }

    /// Poll runnable tasks until none is left. Returns how many polls ran.
    pub fn run_until_idle(&self) -> u64 {
        let mut n = 0;
        while let Some(mut id) = self.pop() {
            if id.id & TICK != 0 {
                // A ticker's turn: its task's poll, or (resting) only the next tick armed.
                match self.tickers.borrow_mut().on_tick(id, &self.clock) {
                    Some(owner) => id = owner,
                    None => continue,
                }
            }
            let taken = {
                let mut tasks = self.tasks.borrow_mut();
                tasks.get_mut(id).and_then(|t| {
                    t.waker.scheduled.store(false, Ordering::Relaxed);
                    t.fut.take().map(|f| (t.host, f))
                })
            };
            let Some((host, (mut fut, w))) = taken else {
                continue;
            };
            self.enter(host);
            let mut cx = Context::from_waker(&w);
            n += 1;
            self.current.set(Some(id));
            let polled = fut.as_mut().poll(&mut cx);
            self.current.set(None);
            match polled {
                Poll::Ready(()) => {
                    self.tasks.borrow_mut().remove(id);
                }
                Poll::Pending => {
                    if let Some(t) = self.tasks.borrow_mut().get_mut(id) {
                        t.fut = Some((fut, w));
                    }
                }
            }
        }
        self.polls.set(self.polls.get() + n);
        n
    }

    /// Drop every task of `host` (a crashed pod: its sockets close, peers see resets, and
    /// nothing listens any more). Tasks the drops spawn on that host are dropped too.
    pub fn kill_host(&self, host: HostId) {
        for _ in 0..64 {
            let doomed = self.tasks.borrow().refs(|t| t.host == host);
            if doomed.is_empty() {
                break;
            }
            for id in doomed {
                let task = self.tasks.borrow_mut().remove(id);
                if let Some(t) = task {
                    self.enter(t.host);
                    drop(t.fut);
                }
            }
        }
    }

    /// Drop every task, each on its own host (sockets close on the right kernel). Tasks
    /// spawned while dropping are dropped too; bounded so a bug cannot loop forever.
    pub fn shutdown(&self) {
        for _ in 0..64 {
            let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            if tasks.live == 0 {
                break;
            }
            for r in tasks.refs(|_| true) {
                let t = tasks.remove(r).expect("listed above");
                self.enter(t.host);
                drop(t.fut);
            }
        }
        self.queue.lock().expect("run queue lock").clear();
    }
}
