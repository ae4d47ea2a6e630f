//! A debugging probe for the memory measurement (README, "Benchmark"): with
//! `MESHTWIN_RSS_LOG=<file>` set, the process's resident set size (`VmRSS` of
//! `/proc/self/status`) is appended to `<file>` each time the virtual clock passes a whole
//! minute, one `<virtual seconds> <VmRSS kB>` line each, and once more at the run's end. It
//! only reads: the run, its outputs
//! and its determinism are the same with or without it.

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Virtual time between two samples.
const EVERY: Duration = Duration::from_secs(60);

/// Where samples go and the next virtual instant to sample at.
pub struct RssLog {
    path: PathBuf,
    next: Cell<Duration>,
}

impl RssLog {
    /// The probe `MESHTWIN_RSS_LOG` asks for, if any.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("MESHTWIN_RSS_LOG")?;
        Some(RssLog {
            path: path.into(),
            next: Cell::new(EVERY),
        })
    }

    /// Called with the virtual time whenever the scheduler is idle at an instant: samples once
    /// per whole minute passed.
    pub fn at(&self, now: Duration) {
        if now < self.next.get() {
            return;
        }
        while self.next.get() <= now {
            self.next.set(self.next.get() + EVERY);
        }
        self.sample(now);
    }

    /// Append one sample, labelled `now`.
    pub fn sample(&self, now: Duration) {
        let Some(kb) = vm_rss_kb() else { return };
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = writeln!(f, "{} {kb}", now.as_secs());
        }
    }
}

/// This process's resident set size in kB, where `/proc` has it.
fn vm_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
