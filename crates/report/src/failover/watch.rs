//! The failover time judged as a load's requests arrive ([`FailoverWatch`]): memory holds the
//! requests of one [`WINDOW_MS`] window (and, until the starting locality is known, those of
//! the load's first window), never the load's whole list.

use std::collections::VecDeque;

use super::{majority, Failover, Served, FAILOVER_SHARE, MIN_WINDOW_REQUESTS, WINDOW_MS};

/// One load's requests, in completion order, judged for [`Failover`] as they arrive. The
/// result is what judging the whole list at once gives: a window starting at a request is
/// judged once a request at least [`WINDOW_MS`] later arrives (so the window is whole and
/// inside the load); the windows still open at the end are not judged.
#[derive(Debug, Default)]
pub struct FailoverWatch {
    /// The locality the load started in, once its first window is whole.
    from: Option<String>,
    /// Until `from` is known: the first window's requests. After: the window being judged,
    /// from its first request to the last arrived.
    queue: VecDeque<Served>,
    /// How many of the queue's first requests are in the window of its front, and how many of
    /// those were answered away from `from`.
    in_window: usize,
    away: usize,
    /// Decided: a failover, or none (the start had no answered request).
    done: Option<Option<Failover>>,
}

impl FailoverWatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// The load's next request.
    pub fn push(&mut self, s: Served) {
        if self.done.is_some() {
            return;
        }
        if self.from.is_some() {
            return self.judge(s);
        }
        let first = self.queue.front().map_or(s.t_ms, |f| f.t_ms);
        if self.queue.len() < MIN_WINDOW_REQUESTS || s.t_ms < first + WINDOW_MS {
            return self.queue.push_back(s);
        }
        self.start();
        self.push(s);
    }

    /// The first window is whole: the locality that served most of it.
    fn start(&mut self) {
        let Some(from) = majority(self.queue.iter().filter_map(|s| s.place.as_deref())) else {
            self.done = Some(None);
            return;
        };
        self.from = Some(from);
        for s in std::mem::take(&mut self.queue) {
            self.judge(s);
        }
    }

    fn is_away(&self, s: &Served) -> bool {
        let from = self.from.as_deref();
        s.place
            .as_ref()
            .is_some_and(|p| Some(p.locality.as_str()) != from)
    }

    /// Judge every window `s` makes whole (those starting more than a window before it).
    fn judge(&mut self, s: Served) {
        self.queue.push_back(s);
        let newest = self.queue.back().map_or(0.0, |s| s.t_ms);
        while self.done.is_none() {
            let Some(start) = self.queue.front().map(|f| f.t_ms) else {
                break;
            };
            if newest < start + WINDOW_MS {
                break;
            }
            while self.queue[self.in_window].t_ms < start + WINDOW_MS {
                self.away += usize::from(self.is_away(&self.queue[self.in_window]));
                self.in_window += 1;
            }
            let n = self.in_window;
            if n >= MIN_WINDOW_REQUESTS && self.away as f64 >= FAILOVER_SHARE * n as f64 {
                self.done = Some(self.failover(start));
                break;
            }
            let front = self.queue.pop_front().expect("a window's first request");
            self.in_window -= 1;
            self.away -= usize::from(self.is_away(&front));
        }
    }

    /// The failover at `start`: to the locality that served most of the window's requests
    /// answered away.
    fn failover(&self, start: f64) -> Option<Failover> {
        let window = self.queue.iter().take(self.in_window);
        let to = majority(
            window
                .filter(|s| self.is_away(s))
                .filter_map(|s| s.place.as_deref()),
        )?;
        Some(Failover {
            from_locality: self.from.clone()?,
            to_locality: to,
            at_ms: start,
        })
    }

    /// The load ended: its failover, if its traffic moved away.
    pub fn finish(mut self) -> Option<Failover> {
        if self.from.is_none() && self.done.is_none() && !self.queue.is_empty() {
            self.start();
        }
        self.done.flatten()
    }
}

/// The load's [`Failover`] among `served` (in completion order), if its traffic ever moved away
/// (see the fields' contracts).
pub fn failover_time<'a>(served: impl IntoIterator<Item = &'a Served>) -> Option<Failover> {
    let mut watch = FailoverWatch::new();
    for s in served {
        watch.push(s.clone());
    }
    watch.finish()
}
