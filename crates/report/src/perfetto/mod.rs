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
use meshtwin_model::event::TraceEvent;
use meshtwin_model::trace::EventSource;
use serde_json::{json, Value};

/// Where and when one slice goes, without its contents: its track (pod and role), its span
/// and its lane (its name and `args` are made from its event again when it is written). A
/// run holds one per slice, so it is small.
struct Placed {
    start_us: i64,
    dur_us: i64,
    track: u32,
    lane: u32,
}

/// An instant's time and pod.
struct Moment {
    ts_us: i64,
    pod: Option<String>,
}

/// Spreads a track's slices (`idx`, into `slices`) over lanes: in start order, each to the
/// first lane whose last slice has ended. Sets each slice's lane.
fn lanes(idx: &[u32], slices: &mut [Placed]) {
    let span = |s: &Placed| (s.start_us, s.start_us + s.dur_us);
    let mut order = idx.to_vec();
    order.sort_by_key(|&i| {
        let (start, end) = span(&slices[i as usize]);
        (start, end, i)
    });
    let mut ends: Vec<i64> = Vec::new();
    for i in order {
        let (start, end) = span(&slices[i as usize]);
        let free = ends.iter().position(|&e| e <= start);
        let l = free.unwrap_or_else(|| {
            ends.push(0);
            ends.len() - 1
        });
        ends[l] = end;
        slices[i as usize].lane = l as u32;
    }
}

/// Where every slice goes: each pod's threads (role and lane → tid).
struct Layout {
    threads: BTreeMap<String, BTreeMap<(Role, usize), u64>>,
    pids: BTreeMap<String, u64>,
}

impl Layout {
    /// Lanes for `slices` on `tracks` (set in each slice); a `sidecar` thread for every pod
    /// with an instant or a proxy.
    fn new(
        tracks: &[(String, Role)],
        slices: &mut [Placed],
        moments: &[Moment],
        proxies: &[&str],
    ) -> Self {
        let mut threads: BTreeMap<String, BTreeMap<(Role, usize), u64>> = BTreeMap::new();
        let mut by_track: Vec<Vec<u32>> = vec![Vec::new(); tracks.len()];
        for (i, s) in slices.iter().enumerate() {
            by_track[s.track as usize].push(i as u32);
        }
        for ((pod, role), idx) in tracks.iter().zip(by_track) {
            lanes(&idx, slices);
            let pod_threads = threads.entry(pod.clone()).or_default();
            for i in idx {
                pod_threads.insert((role.clone(), slices[i as usize].lane as usize), 0);
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
        Layout { threads, pids }
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

/// The tracks (pod and role), the slices and the instants of a trace, placed.
type Places = (Vec<(String, Role)>, Vec<Placed>, Vec<Moment>);

/// Every slice's and instant's place and time, in one pass over the trace (what the layout
/// and the time order need; their contents are not kept), shared with other consumers:
/// [`Placement::visit`] each event in order, then [`write_placed`]. More than `u32::MAX`
/// slices or tracks (a trace of hundreds of gigabytes) is an error.
#[derive(Default)]
pub struct Placement {
    track_ids: BTreeMap<(String, Role), u32>,
    tracks: Vec<(String, Role)>,
    slices: Vec<Placed>,
    moments: Vec<Moment>,
}

impl Placement {
    pub fn new() -> Self {
        Self::default()
    }

    /// The trace's next event.
    pub fn visit(&mut self, e: &TraceEvent) {
        if let Some(s) = slice_of(e) {
            let key = (s.pod, s.role);
            let track = match self.track_ids.get(&key) {
                Some(t) => *t,
                None => {
                    // Past u32::MAX tracks the count saturates and `finish` refuses it.
                    let t = u32::try_from(self.tracks.len()).unwrap_or(u32::MAX);
                    self.tracks.push(key.clone());
                    self.track_ids.insert(key, t);
                    t
                }
            };
            self.slices.push(Placed {
                start_us: s.start_us,
                dur_us: s.dur_us,
                track,
                lane: 0,
            });
        } else if let Some(i) = instant_of(e) {
            self.moments.push(Moment {
                ts_us: i.ts_us,
                pod: i.pod,
            });
        }
    }

    fn finish(self) -> io::Result<Places> {
        if self.slices.len() + self.moments.len() > u32::MAX as usize
            || self.tracks.len() > u32::MAX as usize
        {
            return Err(io::Error::other(
                "more than 2^32 slices and instants: too many for trace.perfetto.json",
            ));
        }
        Ok((self.tracks, self.slices, self.moments))
    }
}

/// [`perfetto_json`] written to `w` as it is produced: one event's JSON at a time, never the
/// whole document in memory. Two passes over `events`: the first places every slice and
/// instant (lanes need every slice of a thread, and the file is in start-time order while the
/// trace is in end-time order), keeping a few numbers per slice; the second writes them in
/// time order, holding only the events read ahead of the one being written (those that start
/// later than it).
pub fn write_perfetto_json(
    w: &mut impl Write,
    events: &(impl EventSource + ?Sized),
    proxies: &[&str],
) -> io::Result<()> {
    let mut placement = Placement::new();
    for e in events.events() {
        placement.visit(&e);
    }
    write_placed(w, events, proxies, placement)
}

/// [`write_perfetto_json`]'s second pass, `placement` made by the first.
pub fn write_placed(
    w: &mut impl Write,
    events: &(impl EventSource + ?Sized),
    proxies: &[&str],
    placement: Placement,
) -> io::Result<()> {
    let (tracks, mut slices, moments) = placement.finish()?;
    let layout = Layout::new(&tracks, &mut slices, &moments, proxies);
    // By order of making (slices, then instants), written in time order; slices come first
    // in making order.
    let time = |seq: u32| match slices.get(seq as usize) {
        Some(s) => s.start_us,
        None => moments[seq as usize - slices.len()].ts_us,
    };
    let mut timed: Vec<u32> = (0..(slices.len() + moments.len()) as u32).collect();
    timed.sort_unstable_by_key(|&seq| (time(seq), seq));
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
    for seq in timed {
        let seq = seq as usize;
        while !ahead.contains_key(&seq) {
            let Some(e) = read.next() else {
                return Err(io::Error::other(
                    "the trace ended before every slice and instant was read again",
                ));
            };
            if let Some(s) = slice_of(&e) {
                let pid = layout.pid(&s.pod);
                let lane = slices[next_slice].lane as usize;
                let tid = layout.tid(&s.pod, &s.role, lane);
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
