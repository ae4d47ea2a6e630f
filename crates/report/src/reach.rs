//! Which workloads each request reached ([`Reach`]): a run holds one entry per request, so an
//! entry is small — the request id and the number of its set of workloads, each distinct set
//! of workloads (and each workload's name) stored once for the whole run.
//!
//! Why per request and not per load: a request's hops can be logged after the load's call
//! ended (a hop still running when the caller gave up logs when it ends), and every consumer
//! counts each call once with every workload any of its hops reached. So the set stays open
//! for the whole trace.

use std::collections::BTreeMap;

use meshtwin_model::event::{EventKind, TraceEvent};

/// Request id → the workloads whose pods served any hop of it, each once.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Workload names by number.
    names: Vec<String>,
    numbers: BTreeMap<String, u32>,
    /// Distinct sets of workload numbers (each sorted) by number; set 0 is the empty set.
    sets: Vec<Vec<u32>>,
    set_numbers: BTreeMap<Vec<u32>, u32>,
    /// (set, workload) → the set with the workload added.
    grown: BTreeMap<(u32, u32), u32>,
    by_request: BTreeMap<Box<str>, u32>,
}

impl Reach {
    pub fn new() -> Self {
        Self {
            sets: vec![Vec::new()],
            set_numbers: BTreeMap::from([(Vec::new(), 0)]),
            ..Self::default()
        }
    }

    /// The trace's next event: an access log's upstream host, or the pod whose app answered a
    /// call (the only trace of a TCP call's path: `tcp_proxy` logs carry no request id).
    /// `workloads` maps pod names to workloads (a host that is no pod counts as itself).
    pub fn visit(&mut self, e: &TraceEvent, workloads: &BTreeMap<String, String>) {
        let (request_id, host) = match &e.kind {
            EventKind::AccessLog {
                request_id,
                upstream_host: Some(host),
                ..
            } => (request_id, host.as_str()),
            EventKind::Request {
                request_id,
                upstream_pod: Some(pod),
                ..
            } => (request_id, pod.as_str()),
            _ => return,
        };
        self.add(request_id, workloads.get(host).map_or(host, String::as_str));
    }

    /// `request_id` reached `workload` (again, or for the first time).
    pub fn add(&mut self, request_id: &str, workload: &str) {
        let w = self.number(workload);
        let from = self.by_request.get(request_id).copied().unwrap_or(0);
        let to = match self.grown.get(&(from, w)) {
            Some(to) => *to,
            None => self.grow(from, w),
        };
        match self.by_request.get_mut(request_id) {
            Some(set) => *set = to,
            None => {
                self.by_request.insert(request_id.into(), to);
            }
        }
    }

    /// The number of set `from` with workload `w` added, remembered.
    fn grow(&mut self, from: u32, w: u32) -> u32 {
        let mut with = self.sets[from as usize].clone();
        if let Err(at) = with.binary_search(&w) {
            with.insert(at, w);
        }
        let next = self.sets.len() as u32;
        let to = *self.set_numbers.entry(with.clone()).or_insert(next);
        if to == next {
            self.sets.push(with);
        }
        self.grown.insert((from, w), to);
        to
    }

    fn number(&mut self, workload: &str) -> u32 {
        if let Some(n) = self.numbers.get(workload) {
            return *n;
        }
        let n = self.names.len() as u32;
        self.names.push(workload.to_string());
        self.numbers.insert(workload.to_string(), n);
        n
    }

    /// The workloads `request_id` reached (none for a request the trace never placed).
    pub fn get(&self, request_id: &str) -> impl Iterator<Item = &str> + '_ {
        self.workloads(self.by_request.get(request_id).copied().unwrap_or(0))
    }

    fn workloads(&self, set: u32) -> impl Iterator<Item = &str> + '_ {
        self.sets[set as usize]
            .iter()
            .map(|w| self.names[*w as usize].as_str())
    }

    /// Every request placed, in request-id order, with the workloads it reached.
    pub fn requests(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &str> + '_)> {
        self.by_request
            .iter()
            .map(|(id, set)| (&**id, self.workloads(*set)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reaches_each_workload_once_and_equal_sets_are_stored_once() {
        let mut reach = Reach::new();
        for (id, w) in [
            ("a-0-0", "ratings"),
            ("a-0-0", "reviews"),
            ("a-0-0", "ratings"),
            ("a-0-1", "reviews"),
            ("a-0-1", "ratings"),
            ("a-0-2", "reviews"),
        ] {
            reach.add(id, w);
        }
        let got: Vec<(&str, Vec<&str>)> = reach
            .requests()
            .map(|(id, ws)| (id, ws.collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("a-0-0", vec!["ratings", "reviews"]),
                ("a-0-1", vec!["ratings", "reviews"]),
                ("a-0-2", vec!["reviews"]),
            ]
        );
        // {}, {ratings}, {reviews}, {ratings, reviews}
        assert_eq!(reach.sets.len(), 4);
        assert_eq!(reach.get("a-0-9").count(), 0);
        assert_eq!(reach.get("a-0-2").collect::<Vec<_>>(), ["reviews"]);
    }
}
