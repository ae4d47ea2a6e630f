//! The timer queue: due order, cancellation, and memory that follows the armed timers.

use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Duration;

use super::Timers;

/// A waker that records, in `order`, its name when woken.
struct Named {
    name: usize,
    order: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl Wake for Named {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.order.lock().unwrap().push(self.name);
    }
}

fn waker(name: usize, order: &Arc<std::sync::Mutex<Vec<usize>>>) -> Waker {
    Waker::from(Arc::new(Named {
        name,
        order: order.clone(),
    }))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Wake every timer due by `t`, in order.
fn fire(timers: &mut Timers, t: Duration) {
    while let Some(w) = timers.pop_due(t) {
        w.wake();
    }
}

#[test]
fn timers_fire_by_deadline_then_in_the_order_they_were_armed() {
    let order = Arc::default();
    let mut t = Timers::default();
    for (name, at) in [(0, 30), (1, 10), (2, 30), (3, 20), (4, 10)] {
        t.arm(ms(at), waker(name, &order));
    }
    assert_eq!(t.next_deadline(), Some(ms(10)));
    fire(&mut t, ms(20));
    assert_eq!(*order.lock().unwrap(), [1, 4, 3]);
    assert_eq!(t.next_deadline(), Some(ms(30)));
    fire(&mut t, ms(100));
    assert_eq!(*order.lock().unwrap(), [1, 4, 3, 0, 2]);
    assert!(t.is_empty() && t.next_deadline().is_none());
}

#[test]
fn a_cancelled_timer_never_fires_and_no_longer_sets_the_next_deadline() {
    let order = Arc::default();
    let mut t = Timers::default();
    let early = t.arm(ms(5), waker(0, &order));
    t.arm(ms(50), waker(1, &order));
    t.cancel(early);
    assert_eq!(t.next_deadline(), Some(ms(50)));
    assert_eq!(t.len(), 1);
    fire(&mut t, ms(60));
    assert_eq!(*order.lock().unwrap(), [1]);
}

#[test]
fn cancelling_a_fired_timer_does_not_touch_the_timer_that_reuses_its_slot() {
    let order = Arc::default();
    let mut t = Timers::default();
    let first = t.arm(ms(1), waker(0, &order));
    fire(&mut t, ms(1));
    let second = t.arm(ms(2), waker(1, &order));
    // The first timer's slot now holds the second: a late cancel of the first is a no-op,
    // and cancelling twice frees the slot once.
    t.cancel(first);
    t.cancel(first);
    assert_eq!(t.len(), 1);
    let third = t.arm(ms(3), waker(2, &order));
    t.cancel(second);
    t.cancel(second);
    assert_eq!(t.len(), 1);
    fire(&mut t, ms(10));
    assert_eq!(*order.lock().unwrap(), [0, 2]);
    t.cancel(third);
    assert!(t.is_empty());
}

#[test]
fn cancelled_timers_do_not_pile_up_while_they_are_far_from_due() {
    let order = Arc::default();
    let mut t = Timers::default();
    // A long timer armed and cancelled over and over (a route timeout per request) while one
    // stays armed: the heap is rebuilt instead of keeping every cancelled entry until its
    // deadline.
    t.arm(ms(1), waker(0, &order));
    for i in 0..100_000u64 {
        let k = t.arm(ms(3_600_000 + i), waker(1, &order));
        t.cancel(k);
    }
    assert!(
        t.heap.len() <= 2 * super::COMPACT_AFTER + 2,
        "{}",
        t.heap.len()
    );
    assert_eq!(t.len(), 1);
    fire(&mut t, ms(10_000_000));
    assert_eq!(*order.lock().unwrap(), [0]);
}

#[test]
fn deadlines_order_to_the_nanosecond_even_past_584_years() {
    let order = Arc::default();
    let mut t = Timers::default();
    let far = Duration::from_secs(u64::MAX / 2);
    for (name, at) in [
        (0, far + ms(1)),
        (1, Duration::from_nanos(1_000_001)),
        (2, far),
        (3, Duration::from_nanos(1_000_000)),
    ] {
        t.arm(at, waker(name, &order));
    }
    fire(&mut t, ms(1));
    assert_eq!(*order.lock().unwrap(), [3]);
    fire(&mut t, ms(2));
    assert_eq!(*order.lock().unwrap(), [3, 1]);
    assert_eq!(t.next_deadline(), Some(far), "past 2^64 ns, still exact");
    fire(&mut t, far);
    assert_eq!(*order.lock().unwrap(), [3, 1, 2]);
    fire(&mut t, far + ms(1));
    assert_eq!(*order.lock().unwrap(), [3, 1, 2, 0]);
}
