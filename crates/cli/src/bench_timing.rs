//! How `meshtwin bench` times a simulation: wall time and the simulating thread's CPU time,
//! once or as the median of three runs.

use std::time::Duration;

/// A measurement: medians of the wall time and of the CPU time the measuring thread used
/// (`None` where the system does not say; for a single-threaded simulation it is the wall
/// time without the time other processes took the core away).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub wall: Duration,
    pub cpu: Option<Duration>,
}

/// The CPU time (user + system) this thread has used: `/proc/thread-self/stat` fields 14 and
/// 15, in USER_HZ (100 per second on Linux).
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Median of three measurements of `f` (wall and thread CPU time), with `f`'s last result.
#[allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a benchmark measures wall time"
)]
pub(crate) fn timed<T>(mut f: impl FnMut() -> T) -> (Timing, T) {
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..3 {
        let (t0, c0) = (std::time::Instant::now(), thread_cpu());
        let r = f();
        walls.push(t0.elapsed());
        cpus.extend(c0.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a)));
        // The previous run's result is dropped outside the measurement.
        last = Some(r);
    }
    walls.sort();
    cpus.sort();
    let timing = Timing {
        wall: walls[1],
        cpu: (cpus.len() == 3).then(|| cpus[1]),
    };
    (timing, last.expect("ran three times"))
}

/// One measurement of `f` (wall and thread CPU time).
#[allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a benchmark measures wall time"
)]
pub(crate) fn timed_once<T>(f: impl FnOnce() -> T) -> (Timing, T) {
    let (t0, c0) = (std::time::Instant::now(), thread_cpu());
    let r = f();
    let wall = t0.elapsed();
    let cpu = c0.zip(thread_cpu()).map(|(a, b)| b.saturating_sub(a));
    (Timing { wall, cpu }, r)
}
