//! A load's calls as online aggregates: what every summary, expectation, plot and fortio
//! output reads of a load's calls, updated as each call ends ([`CallStats::add`]), so a run
//! holds a few counters per load however many calls it makes. Every figure is exact: counts
//! by status, flags, upstream pod and notes; each latency kept once with its count (so
//! percentiles and histograms are those of the sorted list of every call); the float sums
//! fortio's averages and deviations come from, added in completion order as fortio adds them.
//! A call's own record (to follow one request, in order) is in the trace's `request` events
//! ([`traced_calls`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::event::{EventKind, ResponseFlags};
use crate::run::CallRecord;
use crate::trace::EventSource;

/// A duration in milliseconds as fortio records it: rounded to whole nanoseconds (a Go
/// `time.Duration`; negative and NaN become 0), then Go's `Duration.Seconds()`.
pub fn go_seconds(ms: f64) -> f64 {
    let ns = whole_ns(ms);
    (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9
}

/// Milliseconds to whole nanoseconds; the float→int cast saturates, NaN and negatives are 0.
pub fn whole_ns(ms: f64) -> u64 {
    let ns = (ms * 1e6).round();
    if ns > 0.0 {
        ns as u64
    } else {
        0
    }
}

/// Whether fortio counts a status as success (`fhttp/http_client.go` `codeIsOK`): 2xx or 418.
pub fn code_is_ok(status: u16) -> bool {
    (200..=299).contains(&status) || status == 418
}

/// A duration in milliseconds as every output shows a call's latency (whole microseconds).
pub fn latency_ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// Sum and sum of squares of samples, added in recording order (which fixes the float sums).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub sum: f64,
    pub sum_sq: f64,
}

impl Moments {
    fn add(&mut self, v: f64) {
        self.sum += v;
        self.sum_sq += v * v;
    }
}

/// A multiset of latencies in milliseconds: each distinct value once with its count, and
/// the moments of the samples in milliseconds and in fortio's seconds ([`go_seconds`]), in
/// the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latencies {
    /// Bit pattern of a non-negative `f64` (which sorts as the value) → samples.
    counts: BTreeMap<u64, u64>,
    count: u64,
    pub ms: Moments,
    pub seconds: Moments,
}

impl Latencies {
    /// The latencies of `samples_ms`, in that order.
    pub fn of_ms(samples_ms: &[f64]) -> Self {
        let mut l = Latencies::default();
        samples_ms.iter().for_each(|&v| l.add_ms(v));
        l
    }

    /// Add one sample (milliseconds; negative and NaN count as 0).
    pub fn add_ms(&mut self, ms: f64) {
        let ms = if ms > 0.0 { ms } else { 0.0 };
        *self.counts.entry(ms.to_bits()).or_default() += 1;
        self.count += 1;
        self.ms.add(ms);
        self.seconds.add(go_seconds(ms));
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each distinct value (milliseconds) with its count, smallest first.
    pub fn values_ms(&self) -> impl DoubleEndedIterator<Item = (f64, u64)> + '_ {
        self.counts.iter().map(|(b, n)| (f64::from_bits(*b), *n))
    }

    /// The smallest sample, in milliseconds.
    pub fn min_ms(&self) -> Option<f64> {
        self.values_ms().next().map(|(v, _)| v)
    }
}

/// The calls one connection (fortio's thread) made and the sockets it opened. A connection
/// makes its calls one after another, so the calls that ended are its first `calls`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionCalls {
    pub calls: u64,
    pub new_sockets: u64,
}

/// Add one to `key`'s count, making an owned key (`owned`) only the first time: a call's
/// key is almost always counted already.
fn count<K, Q>(map: &mut BTreeMap<K, u64>, key: &Q, owned: impl FnOnce() -> K)
where
    K: Ord + std::borrow::Borrow<Q>,
    Q: Ord + ?Sized,
{
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(owned(), 1);
        }
    }
}

/// Every figure of a load's calls, updated as each call ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallStats {
    /// Calls by HTTP status (0: socket error or client timeout).
    pub by_status: BTreeMap<u16, u64>,
    /// Calls by status and the first proxy's response flags.
    pub by_status_flags: BTreeMap<(u16, ResponseFlags), u64>,
    /// Calls by the pod whose app answered (`None`: no app did).
    pub by_upstream: BTreeMap<Option<String>, u64>,
    /// Calls by what the answering app's page reported (`x-app-notes`).
    pub by_notes: BTreeMap<Vec<String>, u64>,
    /// The proxies that logged any of its calls (Envoy's access log), by pod.
    pub proxies: BTreeSet<String>,
    /// By connection, from the calls' request ids (`<load>-<connection>-<n>`).
    pub by_connection: BTreeMap<u64, ConnectionCalls>,
    /// Every call's latency.
    pub latencies: Latencies,
    /// The latency of every call fortio counts as an error ([`code_is_ok`] false).
    pub error_latencies: Latencies,
}

impl CallStats {
    /// Count a call that ended.
    pub fn add(&mut self, c: &CallRecord) {
        *self.by_status.entry(c.status).or_default() += 1;
        *self
            .by_status_flags
            .entry((c.status, c.flags.clone()))
            .or_default() += 1;
        count(&mut self.by_upstream, &c.upstream_pod, || {
            c.upstream_pod.clone()
        });
        count(&mut self.by_notes, c.notes.as_slice(), || c.notes.clone());
        if let Some((connection, _)) = split_request_id(&c.request_id) {
            let per = self.by_connection.entry(connection).or_default();
            per.calls += 1;
            per.new_sockets += u64::from(c.new_socket);
        }
        let ms = latency_ms(c.latency);
        self.latencies.add_ms(ms);
        if !code_is_ok(c.status) {
            self.error_latencies.add_ms(ms);
        }
    }

    /// Calls that ended.
    pub fn len(&self) -> u64 {
        self.latencies.count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls answered `status`.
    pub fn with_status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Whether `request_id` names a call of load `load` that ended (and so is counted here).
    pub fn ended(&self, load: &str, request_id: &str) -> bool {
        let Some(rest) = request_id
            .strip_prefix(load)
            .and_then(|r| r.strip_prefix('-'))
        else {
            return false;
        };
        match split_request_id(rest) {
            Some((connection, n)) if format!("{connection}-{n}") == rest => self
                .by_connection
                .get(&connection)
                .is_some_and(|c| n < c.calls),
            _ => false,
        }
    }
}

/// The connection and call number of a request id `…-<connection>-<n>`.
fn split_request_id(id: &str) -> Option<(u64, u64)> {
    let mut parts = id.rsplit('-');
    let n = parts.next()?.parse().ok()?;
    let connection = parts.next()?.parse().ok()?;
    Some((connection, n))
}

/// The calls of load `load` as the trace's `request` events record them, in completion order
/// (every call with a full trace; with `--trace failures` only the failed ones).
pub fn traced_calls(events: &dyn EventSource, load: &str) -> Vec<CallRecord> {
    events
        .events()
        .filter_map(|e| match &e.kind {
            EventKind::Request {
                load: l,
                request_id,
                upstream_pod,
                status,
                flags,
                latency_ms,
                new_socket,
                notes,
                ..
            } if l == load => Some(CallRecord {
                request_id: request_id.clone(),
                end: Duration::from_micros((e.t_ms * 1000.0).round() as u64),
                status: *status,
                latency: Duration::from_micros((latency_ms * 1000.0).round() as u64),
                new_socket: *new_socket,
                upstream_pod: upstream_pod.clone(),
                flags: flags.clone(),
                notes: notes.clone(),
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, status: u16, ms: u64) -> CallRecord {
        CallRecord {
            request_id: id.into(),
            end: Duration::from_millis(ms),
            status,
            latency: Duration::from_millis(ms),
            new_socket: id.ends_with("-0"),
            upstream_pod: None,
            flags: ResponseFlags::none(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_call_counts_as_ended_only_for_its_own_load_and_a_number_its_connection_reached() {
        let mut s = CallStats::default();
        for id in ["a-b-0-0", "a-b-0-1", "a-b-1-0"] {
            s.add(&call(id, 200, 1));
        }
        assert!(s.ended("a-b", "a-b-0-1"));
        assert!(s.ended("a-b", "a-b-1-0"));
        assert!(!s.ended("a-b", "a-b-0-2"), "not yet ended");
        assert!(!s.ended("a-b", "a-b-2-0"), "no such connection");
        assert!(!s.ended("a", "a-b-0-0"), "another load's call");
        assert!(
            !s.ended("a-b", "a-b-0-01"),
            "not a request id the load writes"
        );
        assert_eq!(s.by_connection[&0].new_sockets, 1);
    }

    #[test]
    fn latencies_keep_each_value_once_and_the_sums_in_recording_order() {
        let l = Latencies::of_ms(&[2.0, 0.5, 2.0]);
        assert_eq!(l.values_ms().collect::<Vec<_>>(), vec![(0.5, 1), (2.0, 2)]);
        assert_eq!(l.count(), 3);
        assert_eq!(l.ms.sum, 4.5);
        assert_eq!(l.ms.sum_sq, 8.25);
        assert_eq!(
            l.seconds.sum,
            0.002 + 0.0005 + 0.002,
            "added in recording order"
        );
    }

    #[test]
    fn fortio_counts_errors_as_it_does() {
        let mut s = CallStats::default();
        s.add(&call("l-0-0", 200, 1));
        s.add(&call("l-0-1", 418, 2));
        s.add(&call("l-0-2", 503, 3));
        s.add(&call("l-0-3", 0, 4));
        assert_eq!(s.len(), 4);
        assert_eq!(s.error_latencies.values_ms().count(), 2);
        assert_eq!(s.with_status(503), 1);
    }
}
