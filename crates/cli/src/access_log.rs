//! The real sidecar's access log: trace events as JSON lines on stdout, written by a thread
//! of their own so that a reader who stops draining stdout never blocks the proxy or its
//! admin endpoint. Like Envoy's file access logs (`source/common/access_log/
//! access_log_manager_impl.cc`, `AccessLogFileImpl`: a buffer flushed by its own thread),
//! lines are queued and written in batches; unlike Envoy, whose buffer grows without bound,
//! the queue holds at most [`QUEUE_LINES`] lines and a line that finds it full is dropped and
//! counted (`access_log.dropped` on the admin endpoint).

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_proxy::observer::Observer;

/// Lines the queue holds before it drops.
pub const QUEUE_LINES: usize = 16 * 1024;

/// Access log lines queued for the writer thread.
pub struct StdoutLog {
    tx: SyncSender<String>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    /// Lines taken into the queue.
    queued: AtomicU64,
    /// Lines the writer has handled (written or failed).
    handled: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
}

impl StdoutLog {
    /// Start the writer thread.
    pub fn start() -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE_LINES);
        let counts = Arc::new(Counts::default());
        let c = counts.clone();
        std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || write_lines(rx, &c))?;
        Ok(Self { tx, counts })
    }

    /// Lines written to stdout so far.
    pub fn written(&self) -> u64 {
        self.counts.written.load(Ordering::Relaxed)
    }

    /// Lines dropped so far (queue full, or stdout closed).
    pub fn dropped(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }

    /// Give the writer up to `within` to write what is queued (at exit).
    pub fn drain(&self, within: Duration) {
        let step = Duration::from_millis(5);
        for _ in 0..within.as_millis() / step.as_millis() {
            let c = &self.counts;
            if c.handled.load(Ordering::Relaxed) >= c.queued.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(step);
        }
    }
}

/// Write queued lines until every sender is gone, flushing whenever the queue is empty.
fn write_lines(rx: Receiver<String>, counts: &Counts) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Ok(line) = rx.recv() {
        let mut batch = vec![line];
        batch.extend(rx.try_iter());
        for line in &batch {
            if writeln!(out, "{line}").is_err() {
                counts.dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                counts.written.fetch_add(1, Ordering::Relaxed);
            }
        }
        counts
            .handled
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        let _ = out.flush();
    }
}

impl Observer for StdoutLog {
    fn event(&self, now: Duration, kind: EventKind) {
        let e = TraceEvent {
            t_ms: now.as_micros() as f64 / 1000.0,
            kind,
        };
        let Ok(line) = serde_json::to_string(&e) else {
            return;
        };
        match self.tx.try_send(line) {
            Ok(()) => {
                self.counts.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
