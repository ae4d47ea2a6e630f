//! Failure classes: the loads' requests grouped by (status, response flags), each explained
//! once per place and stretch of time it happened in.

use std::collections::BTreeMap;

use meshtwin_model::event::ResponseFlags;

use super::diagnose::{diagnose_request, origin_hop, push_unique};
use super::index::{Req, TraceIndex};
use super::{Context, Explanation, Site, MAX_TIMELINE};

/// Two failures of a class further apart than this (ms) fall in separate windows.
pub const WINDOW_GAP_MS: f64 = 2000.0;

/// Whether a load saw a failure: no response, a 4xx / 5xx, or any response flag.
pub fn is_failure(status: u16, flags: &ResponseFlags) -> bool {
    status == 0 || status >= 400 || !flags.is_empty()
}

/// One class's requests, in trace order.
#[derive(Debug, Clone)]
pub struct Class<'i> {
    pub code: u16,
    pub flags: ResponseFlags,
    pub requests: Vec<&'i Req>,
}

/// Every failure class, most requests first, then by code and flags.
pub fn failure_classes<'i>(idx: &'i TraceIndex) -> Vec<Class<'i>> {
    let mut by_key: BTreeMap<(u16, ResponseFlags), Vec<&Req>> = BTreeMap::new();
    for r in idx
        .requests
        .iter()
        .filter(|r| is_failure(r.status, &r.flags))
    {
        by_key
            .entry((r.status, r.flags.clone()))
            .or_default()
            .push(r);
    }
    let mut classes: Vec<Class<'_>> = by_key
        .into_iter()
        .map(|((code, flags), requests)| Class {
            code,
            flags,
            requests,
        })
        .collect();
    classes.sort_by_key(|c| std::cmp::Reverse(c.requests.len()));
    classes
}

/// `(first, last)` completion times of runs of `times` (sorted) with gaps ≤ [`WINDOW_GAP_MS`].
pub fn windows(times: &[f64]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for &t in times {
        match out.last_mut() {
            Some(w) if t - w.1 <= WINDOW_GAP_MS => w.1 = t,
            _ => out.push((t, t)),
        }
    }
    out
}

/// Explain a class: diagnose its first request at each site in each window; the mechanism is
/// that of the busiest site's first diagnosis, the settings and hosts those of all of them.
pub fn explain_class(idx: &TraceIndex, ctx: &Context<'_>, class: Class<'_>) -> Explanation {
    let times: Vec<f64> = class.requests.iter().map(|r| r.t_ms).collect();
    let windows = windows(&times);
    let mut loads: BTreeMap<String, usize> = BTreeMap::new();
    let mut sites: BTreeMap<Option<Site>, usize> = BTreeMap::new();
    // The first request per (window, site): the ones diagnosed.
    let mut firsts: BTreeMap<(usize, Option<Site>), &Req> = BTreeMap::new();
    for r in &class.requests {
        *loads.entry(r.load.clone()).or_default() += 1;
        let site = origin_hop(idx, r).map(|h| Site {
            proxy: h.proxy.clone(),
            cluster: h.cluster.clone(),
        });
        *sites.entry(site.clone()).or_default() += 1;
        let w = windows
            .iter()
            .position(|w| (w.0..=w.1).contains(&r.t_ms))
            .unwrap_or(0);
        firsts.entry((w, site)).or_insert(r);
    }
    let busiest = sites
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(s, _)| s.clone())
        .unwrap_or(None);
    let mut diagnoses: Vec<(bool, super::Diagnosis)> = firsts
        .iter()
        .map(|((_, site), r)| (*site == busiest, diagnose_request(idx, ctx, r)))
        .collect();
    // The busiest site's first window leads.
    diagnoses.sort_by_key(|(lead, _)| !*lead);
    let mut settings = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for (_, d) in &diagnoses {
        for o in &d.settings {
            push_unique(&mut settings, o.clone());
        }
        hosts.extend(d.hosts.iter().cloned());
    }
    hosts.sort();
    hosts.dedup();
    let mut sites: Vec<(Site, usize)> = sites
        .into_iter()
        .filter_map(|(s, n)| s.map(|s| (s, n)))
        .collect();
    sites.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let end = windows.last().map_or(0.0, |w| w.1);
    let earlier: Vec<_> = idx.timeline.iter().filter(|(_, e)| e.t_ms <= end).collect();
    let timeline = earlier[earlier.len().saturating_sub(MAX_TIMELINE)..]
        .iter()
        .map(|(_, e)| e.clone())
        .collect();
    Explanation {
        code: class.code,
        flags: class.flags,
        count: class.requests.len(),
        loads,
        mechanism: diagnoses
            .first()
            .map(|(_, d)| d.mechanism.clone())
            .unwrap_or_default(),
        settings,
        hosts,
        note: diagnoses.first().and_then(|(_, d)| d.note.clone()),
        sites,
        windows,
        timeline,
        example_request_id: class.requests[0].request_id.clone(),
    }
}
