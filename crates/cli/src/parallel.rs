//! Independent runs on worker threads: each simulation is single-threaded and deterministic,
//! so runs are spread over `jobs` threads and their results returned in input order — the
//! output never depends on which thread finished first. A progress bar goes to a terminal's
//! stderr; in a log (CI), nothing, and the caller prints one line per finished item.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::args::Command;
use crate::{compare, merge, sweep, test_cmd};

/// The default worker count: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` applied to every item on up to `jobs` threads; results in `items`' order. `label`
/// names the work in the progress bar. `done` is called (on the worker thread, serialized)
/// with each item's index and result as soon as it finishes.
pub fn map<T, R, F>(
    items: &[T],
    jobs: usize,
    label: &str,
    f: F,
    done: &(dyn Fn(usize, &R) + Sync),
) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let next = AtomicUsize::new(0);
    let finished = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let bar = Progress::new(label, items.len());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                let mut n = finished
                    .lock()
                    .expect("no worker panicked holding the count");
                *n += 1;
                bar.show(*n);
                done(i, &r);
                results.lock().expect("no worker panicked holding results")[i] = Some(r);
            });
        }
    });
    bar.finish();
    results
        .into_inner()
        .expect("no worker panicked holding results")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Whether [`map`] shows a progress bar for `total` items (a terminal's stderr, more than one
/// item); when it does not, callers print a line per finished item instead.
pub fn progress_shown(total: usize) -> bool {
    std::io::stderr().is_terminal() && total > 1
}

/// A one-line progress bar on a terminal's stderr.
struct Progress {
    label: String,
    total: usize,
    on: bool,
}

impl Progress {
    fn new(label: &str, total: usize) -> Self {
        Progress {
            label: label.to_string(),
            total,
            on: progress_shown(total),
        }
    }

    fn show(&self, done: usize) {
        if !self.on {
            return;
        }
        const WIDTH: usize = 30;
        let filled = WIDTH * done / self.total.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {done}/{}",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            self.total
        );
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(self.label.len() + 50));
            let _ = err.flush();
        }
    }
}

/// The many-run commands — `sweep`, `compare`, `test`, and `merge` of their shards; any other
/// command is handed back.
pub fn dispatch(command: Box<Command>) -> Result<u8, Box<Command>> {
    Ok(match *command {
        Command::Sweep {
            scenario,
            from,
            seeds,
            jobs,
            min_hold,
            out,
            shard,
            trace,
        } => sweep::sweep_command(sweep::SweepArgs {
            scenario,
            first: from,
            count: seeds,
            jobs: jobs.unwrap_or_else(default_jobs),
            min_hold,
            out,
            shard,
            trace,
        }),
        Command::Compare {
            scenario,
            baseline,
            candidate,
            istio,
            candidate_istio,
            seeds,
            from,
            jobs,
            out,
            fail_if,
            report,
            shard,
            trace,
        } => compare::compare_command(compare::CompareArgs {
            scenario,
            baseline,
            candidate,
            istio,
            candidate_istio,
            first_seed: from,
            seeds,
            jobs: jobs.unwrap_or_else(default_jobs),
            out,
            fail_if,
            report,
            shard,
            trace,
        }),
        Command::Test {
            paths,
            jobs,
            update,
            junit,
            filter,
            shard,
            out,
            trace,
        } => test_cmd::test_command(test_cmd::TestArgs {
            paths,
            jobs: jobs.unwrap_or_else(default_jobs),
            update,
            junit,
            filter,
            shard,
            out,
            trace,
        }),
        Command::Merge { dirs, out } => merge::merge_command(merge::MergeArgs { dirs, out }),
        other => return Err(Box::new(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_whatever_the_thread_count() {
        let items: Vec<u64> = (0..50).collect();
        for jobs in [1, 2, 7, 64] {
            let got = map(&items, jobs, "t", |x| x * x, &|_, _| {});
            assert_eq!(got, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
    }

    #[test]
    fn done_is_called_once_per_item() {
        let items: Vec<u64> = (0..20).collect();
        let seen = Mutex::new(Vec::new());
        map(&items, 3, "t", |x| *x, &|i, r| {
            seen.lock().unwrap().push((i, *r));
        });
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..20).map(|i| (i as usize, i)).collect::<Vec<_>>());
    }
}
