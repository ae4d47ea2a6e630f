//! A single-threaded, deterministic executor whose tasks each belong to a host.
//!
//! On the turmoil-net substrate, turmoil-net keeps "the current host" in a thread-local, so
//! every poll (and every drop) of a task first pins its host; a task can never run on the
//! wrong pod (the fabric's sockets carry their host themselves). Runnable tasks run in FIFO
//! wake order, so "idle" is simply an empty run queue — the scheduler then moves the clock.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use std::rc::Rc;

use crate::network::{HostId, NetHandle};

type BoxFut = Pin<Box<dyn Future<Output = ()>>>;

struct TaskWaker {
    id: u64,
    scheduled: AtomicBool,
    queue: Arc<Mutex<VecDeque<u64>>>,
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
                .push_back(self.id);
        }
    }
}

struct Task {
    host: HostId,
    fut: Option<BoxFut>,
    waker: Arc<TaskWaker>,
}

/// The executor.
pub struct Executor {
    tasks: RefCell<BTreeMap<u64, Task>>,
    queue: Arc<Mutex<VecDeque<u64>>>,
    next_id: Cell<u64>,
    polls: Cell<u64>,
    /// turmoil-net's id of each host, when the hosts run on turmoil-net.
    turmoil: Option<Rc<Vec<turmoil_net::HostId>>>,
}

impl Executor {
    /// An executor for tasks on `net`'s hosts.
    pub fn new(net: &NetHandle) -> Self {
        Self {
            tasks: RefCell::new(BTreeMap::new()),
            queue: Arc::new(Mutex::new(VecDeque::new())),
            next_id: Cell::new(1),
            polls: Cell::new(0),
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
        let waker = Arc::new(TaskWaker {
            id,
            scheduled: AtomicBool::new(false),
            queue: self.queue.clone(),
        });
        self.tasks.borrow_mut().insert(
            id,
            Task {
                host,
                fut: Some(fut),
                waker: waker.clone(),
            },
        );
        waker.wake_by_ref();
    }

    fn pop(&self) -> Option<u64> {
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
        self.tasks.borrow().len()
    }

    /// Poll runnable tasks until none is left. Returns how many polls ran.
    pub fn run_until_idle(&self) -> u64 {
        let mut n = 0;
        while let Some(id) = self.pop() {
            let taken = {
                let mut tasks = self.tasks.borrow_mut();
                tasks.get_mut(&id).and_then(|t| {
                    t.waker.scheduled.store(false, Ordering::Relaxed);
                    t.fut.take().map(|f| (t.host, f, t.waker.clone()))
                })
            };
            let Some((host, mut fut, waker)) = taken else {
                continue;
            };
            self.enter(host);
            let w = Waker::from(waker);
            let mut cx = Context::from_waker(&w);
            n += 1;
            match fut.as_mut().poll(&mut cx) {
                Poll::Ready(()) => {
                    self.tasks.borrow_mut().remove(&id);
                }
                Poll::Pending => {
                    if let Some(t) = self.tasks.borrow_mut().get_mut(&id) {
                        t.fut = Some(fut);
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
            let doomed: Vec<u64> = self
                .tasks
                .borrow()
                .iter()
                .filter(|(_, t)| t.host == host)
                .map(|(id, _)| *id)
                .collect();
            if doomed.is_empty() {
                break;
            }
            for id in doomed {
                let task = self.tasks.borrow_mut().remove(&id);
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
            let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            if tasks.is_empty() {
                break;
            }
            for (_, t) in tasks {
                self.enter(t.host);
                drop(t.fut);
            }
        }
        self.queue.lock().expect("run queue lock").clear();
    }
}
