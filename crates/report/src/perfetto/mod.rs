//! `trace.perfetto.json`: the trace as Chrome trace-event JSON (the "Trace Event Format"
//! that ui.perfetto.dev and chrome://tracing open), on the run's virtual clock in
//! microseconds.
//!
//! - One process per pod with a proxy or an event (`process_name` = the pod), and one for the
//!   run's timeline.
//! - In a pod, the sidecar's requests (Envoy's access log: cluster, status, response flags
//!   such as `URX` for retried or `UT` for timed-out upstream requests), the app's calls to
//!   other services (one slice per try, `try 2` being a retry, `timeout` when the app gave up)
//!   and each load connection's calls are complete (`"ph":"X"`) slices on threads named
//!   `sidecar`, `app` and `load <name> connection <n>`. Slices on one thread must nest, and a
//!   proxy serves requests concurrently, so concurrent slices spread over lanes:
//!   `sidecar`, `sidecar #2`, … (each slice goes to the first lane free at its start).
//! - Outlier ejections and returns, health-check changes, configuration pushes and
//!   circuit-breaker overflows are instant events (`"ph":"i"`) on the pod's `sidecar` thread;
//!   the scenario's faults and the loads' starts and stops are global instant events on the
//!   `timeline` process.
//!
//! Events come in a fixed order (metadata, then by time), so the file is byte-identical for
//! the same run.

use std::collections::BTreeMap;
use std::io::{self, Write};

mod events;

use events::{instant_of, slice_of, Role, Slice};
use meshtwin_model::trace::EventSource;
use serde_json::{json, Value};
use std::borrow::Cow;

/// Spreads `slices` (of one pod and role) over lanes: in start order, each to the first lane
/// whose last slice has ended. Returns each slice's lane, by index into `slices`.
fn lanes(slices: &[&Slice<'_>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..slices.len()).collect();
    order.sort_by_key(|&i| (slices[i].start_us, slices[i].start_us + slices[i].dur_us, i));
    let mut ends: Vec<i64> = Vec::new();
    let mut lane = vec![0; slices.len()];
    for i in order {
        let (start, end) = (slices[i].start_us, slices[i].start_us + slices[i].dur_us);
        let free = ends.iter().position(|&e| e <= start);
        let l = free.unwrap_or_else(|| {
            ends.push(0);
            ends.len() - 1
        });
        ends[l] = end;
        lane[i] = l;
    }
    lane
}

/// Where every slice goes: each pod's threads (role and lane → tid) and each slice's lane.
struct Layout<'a> {
    threads: BTreeMap<&'a str, BTreeMap<(Role, usize), u64>>,
    pids: BTreeMap<&'a str, u64>,
    lane_of: Vec<usize>,
}

impl<'a> Layout<'a> {
    /// Lanes for `slices`; a `sidecar` thread for every pod with an instant or a proxy.
    fn new(slices: &'a [Slice<'_>], instant_pods: Vec<&'a str>, proxies: &[&'a str]) -> Self {
        let mut threads: BTreeMap<&str, BTreeMap<(Role, usize), u64>> = BTreeMap::new();
        let mut by_track: BTreeMap<(&str, &Role), Vec<usize>> = BTreeMap::new();
        for (i, s) in slices.iter().enumerate() {
            by_track.entry((&s.pod, &s.role)).or_default().push(i);
        }
        let mut lane_of = vec![0usize; slices.len()];
        for ((pod, role), idx) in &by_track {
            let refs: Vec<&Slice<'_>> = idx.iter().map(|&i| &slices[i]).collect();
            for (k, l) in lanes(&refs).into_iter().enumerate() {
                lane_of[idx[k]] = l;
                threads
                    .entry(pod)
                    .or_default()
                    .insert(((*role).clone(), l), 0);
            }
        }
        for p in instant_pods.into_iter().chain(proxies.iter().copied()) {
            threads.entry(p).or_default().insert((Role::Sidecar, 0), 0);
        }
        // Thread ids in each pod's thread order, from 1.
        for t in threads.values_mut() {
            for (k, tid) in t.values_mut().enumerate() {
                *tid = k as u64 + 1;
            }
        }
        // The timeline is process 1; pods follow in name order.
        let pids = threads.keys().zip(2..).map(|(p, pid)| (*p, pid)).collect();
        Layout {
            threads,
            pids,
            lane_of,
        }
    }

    fn pid(&self, pod: &str) -> u64 {
        self.pids[pod]
    }

    fn tid(&self, pod: &str, role: &Role, lane: usize) -> u64 {
        self.threads[pod][&(role.clone(), lane)]
    }

    /// The metadata events naming (and ordering) every process and thread.
    fn metadata(&self) -> Vec<Value> {
        let mut meta = vec![
            json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0,
                   "args": {"name": "timeline"}}),
            json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": 1,
                   "args": {"name": "faults and loads"}}),
        ];
        for (pod, threads) in &self.threads {
            let pid = self.pid(pod);
            meta.push(
                json!({"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                             "args": {"name": pod}}),
            );
            meta.push(
                json!({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
                             "args": {"sort_index": pid}}),
            );
            for ((role, lane), tid) in threads {
                meta.push(
                    json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                                 "args": {"name": role.label(*lane)}}),
                );
                meta.push(
                    json!({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                                 "args": {"sort_index": tid}}),
                );
            }
        }
        meta
    }
}

/// `trace.perfetto.json` of the run's trace `events` (see the module doc); every pod in
/// `proxies` gets its process and `sidecar` thread, even with nothing on it.
pub fn perfetto_json(events: &(impl EventSource + ?Sized), proxies: &[&str]) -> String {
    let mut out = Vec::new();
    write_perfetto_json(&mut out, events, proxies).expect("writing into memory cannot fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// [`perfetto_json`] written to `w` as it is produced: one event's JSON at a time, never the
/// whole document in memory.
pub fn write_perfetto_json(
    w: &mut impl Write,
    events: &(impl EventSource + ?Sized),
    proxies: &[&str],
) -> io::Result<()> {
    // Random access: every slice and instant is laid out and sorted before the first is
    // written, so these (not the events) are held.
    let slices: Vec<Slice> = (events.events())
        .filter_map(|e| match e {
            Cow::Borrowed(e) => slice_of(e),
            Cow::Owned(e) => slice_of(&e).map(Slice::owned),
        })
        .collect();
    let instants: Vec<_> = (events.events())
        .filter_map(|e| match e {
            Cow::Borrowed(e) => instant_of(e),
            Cow::Owned(e) => instant_of(&e).map(events::Instant::owned),
        })
        .collect();
    let instant_pods = instants.iter().filter_map(|i| i.pod.as_deref()).collect();
    let layout = Layout::new(&slices, instant_pods, proxies);
    // (time, order of making, slice or instant index): written in time order.
    let mut timed: Vec<(i64, usize, Item)> = Vec::new();
    for (i, s) in slices.iter().enumerate() {
        timed.push((s.start_us, timed.len(), Item::Slice(i)));
    }
    for (i, inst) in instants.iter().enumerate() {
        timed.push((inst.ts_us, timed.len(), Item::Instant(i)));
    }
    timed.sort_by_key(|(ts, seq, _)| (*ts, *seq));
    let value = |item: &Item| match *item {
        Item::Slice(i) => {
            let s = &slices[i];
            let (pid, tid) = (
                layout.pid(&s.pod),
                layout.tid(&s.pod, &s.role, layout.lane_of[i]),
            );
            json!({"name": s.name, "cat": s.cat, "ph": "X", "ts": s.start_us,
                   "dur": s.dur_us, "pid": pid, "tid": tid, "args": s.args})
        }
        Item::Instant(i) => {
            let i = &instants[i];
            let (pid, tid, scope) = match &i.pod {
                Some(p) => (layout.pid(p), layout.tid(p, &Role::Sidecar, 0), "t"),
                None => (1, 1, "g"),
            };
            json!({"name": i.name, "cat": i.cat, "ph": "i", "s": scope, "ts": i.ts_us,
                   "pid": pid, "tid": tid, "args": i.args})
        }
    };
    w.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
    let values = layout
        .metadata()
        .into_iter()
        .chain(timed.iter().map(|(_, _, item)| value(item)));
    for (n, v) in values.enumerate() {
        if n > 0 {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *w, &v).map_err(io::Error::other)?;
    }
    w.write_all(b"\n]}\n")
}

/// A slice or an instant, by index.
enum Item {
    Slice(usize),
    Instant(usize),
}

#[cfg(test)]
mod tests;
