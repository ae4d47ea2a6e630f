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

use events::{instant_of, slice_of, Role};
use meshtwin_model::trace::EventSource;
use serde_json::{json, Value};

/// Where and when one slice goes, without its contents: its track (pod and role), its span,
/// and which event of the trace it is (its name and `args` are made from that event again
/// when it is written).
struct Placed {
    track: usize,
    start_us: i64,
    dur_us: i64,
    event: u64,
}

/// An instant's time, pod and event.
struct Moment {
    ts_us: i64,
    pod: Option<String>,
    event: u64,
}

/// Spreads a track's slices over lanes: in start order, each to the first lane whose last
/// slice has ended. Returns each slice's lane, by index into `spans` (start, duration).
fn lanes(spans: &[(i64, i64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, spans[i].0 + spans[i].1, i));
    let mut ends: Vec<i64> = Vec::new();
    let mut lane = vec![0; spans.len()];
    for i in order {
        let (start, end) = (spans[i].0, spans[i].0 + spans[i].1);
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
struct Layout {
    threads: BTreeMap<String, BTreeMap<(Role, usize), u64>>,
    pids: BTreeMap<String, u64>,
    lane_of: Vec<usize>,
}

impl Layout {
    /// Lanes for `slices` on `tracks`; a `sidecar` thread for every pod with an instant or
    /// a proxy.
    fn new(
        tracks: &[(String, Role)],
        slices: &[Placed],
        moments: &[Moment],
        proxies: &[&str],
    ) -> Self {
        let mut threads: BTreeMap<String, BTreeMap<(Role, usize), u64>> = BTreeMap::new();
        let mut by_track: Vec<Vec<usize>> = vec![Vec::new(); tracks.len()];
        for (i, s) in slices.iter().enumerate() {
            by_track[s.track].push(i);
        }
        let mut lane_of = vec![0usize; slices.len()];
        for ((pod, role), idx) in tracks.iter().zip(&by_track) {
            let spans: Vec<(i64, i64)> = (idx.iter())
                .map(|&i| (slices[i].start_us, slices[i].dur_us))
                .collect();
            let pod_threads = threads.entry(pod.clone()).or_default();
            for (k, l) in lanes(&spans).into_iter().enumerate() {
                lane_of[idx[k]] = l;
                pod_threads.insert((role.clone(), l), 0);
            }
        }
        let instant_pods = moments.iter().filter_map(|m| m.pod.as_deref());
        for p in instant_pods.chain(proxies.iter().copied()) {
            (threads.entry(p.to_string()).or_default()).insert((Role::Sidecar, 0), 0);
        }
        // Thread ids in each pod's thread order, from 1.
        for t in threads.values_mut() {
            for (k, tid) in t.values_mut().enumerate() {
                *tid = k as u64 + 1;
            }
        }
        // The timeline is process 1; pods follow in name order.
        let pids = threads
            .keys()
            .zip(2..)
            .map(|(p, pid)| (p.clone(), pid))
            .collect();
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

/// Every slice's and instant's place and time, in one pass over `events` (what the layout
/// and the time order need; their contents are not kept).
fn place(events: &(impl EventSource + ?Sized)) -> (Vec<(String, Role)>, Vec<Placed>, Vec<Moment>) {
    let mut track_ids: BTreeMap<(String, Role), usize> = BTreeMap::new();
    let mut tracks = Vec::new();
    let (mut slices, mut moments) = (Vec::new(), Vec::new());
    for (n, e) in events.events().enumerate() {
        let event = n as u64;
        if let Some(s) = slice_of(&e) {
            let key = (s.pod, s.role);
            let track = match track_ids.get(&key) {
                Some(t) => *t,
                None => {
                    tracks.push(key.clone());
                    track_ids.insert(key, tracks.len() - 1);
                    tracks.len() - 1
                }
            };
            let (start_us, dur_us) = (s.start_us, s.dur_us);
            slices.push(Placed {
                track,
                start_us,
                dur_us,
                event,
            });
        } else if let Some(i) = instant_of(&e) {
            moments.push(Moment {
                ts_us: i.ts_us,
                pod: i.pod,
                event,
            });
        }
    }
    (tracks, slices, moments)
}

/// [`perfetto_json`] written to `w` as it is produced: one event's JSON at a time, never the
/// whole document in memory. Two passes over `events`: the first places every slice and
/// instant (lanes need every slice of a thread, and the file is in start-time order while the
/// trace is in end-time order); the second writes them in time order, holding only the
/// events read ahead of the one being written (those that start later than it).
pub fn write_perfetto_json(
    w: &mut impl Write,
    events: &(impl EventSource + ?Sized),
    proxies: &[&str],
) -> io::Result<()> {
    let (tracks, slices, moments) = place(events);
    let layout = Layout::new(&tracks, &slices, &moments, proxies);
    // (time, order of making): written in time order; slices come first in making order.
    let mut timed: Vec<(i64, usize)> = (slices.iter().enumerate())
        .map(|(i, s)| (s.start_us, i))
        .chain(
            moments
                .iter()
                .enumerate()
                .map(|(i, m)| (m.ts_us, slices.len() + i)),
        )
        .collect();
    timed.sort_unstable();
    let event_of = |seq: usize| match slices.get(seq) {
        Some(s) => s.event,
        None => moments[seq - slices.len()].event,
    };
    w.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
    let mut first = true;
    let mut put = |w: &mut dyn Write, v: &Value| -> io::Result<()> {
        if !std::mem::take(&mut first) {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *w, v).map_err(io::Error::other)
    };
    for v in layout.metadata() {
        put(w, &v)?;
    }
    // Values read ahead of their turn, by order of making.
    let mut ahead: BTreeMap<usize, Value> = BTreeMap::new();
    let (mut next_slice, mut next_moment) = (0usize, 0usize);
    let mut read = events.events();
    for (_, seq) in timed {
        let wanted = event_of(seq);
        while !ahead.contains_key(&seq) {
            let Some(e) = read.next() else {
                return Err(io::Error::other(format!(
                    "the trace ended before its event {wanted} was read again"
                )));
            };
            if let Some(s) = slice_of(&e) {
                let pid = layout.pid(&s.pod);
                let tid = layout.tid(&s.pod, &s.role, layout.lane_of[next_slice]);
                ahead.insert(
                    next_slice,
                    json!({"name": s.name, "cat": s.cat, "ph": "X",
                    "ts": s.start_us, "dur": s.dur_us, "pid": pid, "tid": tid, "args": s.args}),
                );
                next_slice += 1;
            } else if let Some(i) = instant_of(&e) {
                let (pid, tid, scope) = match &i.pod {
                    Some(p) => (layout.pid(p), layout.tid(p, &Role::Sidecar, 0), "t"),
                    None => (1, 1, "g"),
                };
                ahead.insert(
                    slices.len() + next_moment,
                    json!({"name": i.name, "cat": i.cat,
                    "ph": "i", "s": scope, "ts": i.ts_us, "pid": pid, "tid": tid,
                    "args": i.args}),
                );
                next_moment += 1;
            }
        }
        let v = ahead.remove(&seq).expect("read ahead");
        put(w, &v)?;
    }
    w.write_all(b"\n]}\n")
}

#[cfg(test)]
mod tests;
