//! The plain text `meshtwin explain` prints: one block per failure class, or one request's
//! hops and diagnosis. Times are virtual seconds.

use std::fmt::Write;

use super::{Explanation, RequestExplanation};

/// Virtual milliseconds as seconds with three decimals (`12.002 s`).
fn secs(ms: f64) -> String {
    format!("{:.3} s", ms / 1000.0)
}

/// Every class, in the given order, separated by blank lines; a line saying so when none.
pub fn render_explanations(explanations: &[Explanation]) -> String {
    if explanations.is_empty() {
        return "no failed requests: every load's request succeeded without response flags\n"
            .into();
    }
    let blocks: Vec<String> = explanations.iter().map(render_one).collect();
    blocks.join("\n")
}

fn render_one(e: &Explanation) -> String {
    let mut s = String::new();
    let loads: Vec<String> = e.loads.iter().map(|(l, n)| format!("{l} {n}")).collect();
    let flags = if e.flags.is_empty() {
        "(no response flags)".to_string()
    } else {
        e.flags.to_string()
    };
    let _ = writeln!(
        s,
        "{} {flags} — {} request{} (load {})",
        e.code,
        e.count,
        if e.count == 1 { "" } else { "s" },
        loads.join(", ")
    );
    let _ = writeln!(s, "  {}", e.mechanism);
    if !e.settings.is_empty() {
        let _ = writeln!(s, "  settings:");
        for o in &e.settings {
            let _ = writeln!(s, "    {o}");
        }
    }
    if let Some(n) = &e.note {
        let _ = writeln!(s, "  note: {n}");
    }
    if !e.sites.is_empty() {
        let sites: Vec<String> = e
            .sites
            .iter()
            .map(|(site, n)| format!("{} → {} ({n})", site.proxy, site.cluster))
            .collect();
        let _ = writeln!(s, "  where: {}", sites.join("; "));
    }
    let windows: Vec<String> = e
        .windows
        .iter()
        .map(|(a, b)| {
            if a == b {
                secs(*a)
            } else {
                format!("{} – {}", secs(*a), secs(*b))
            }
        })
        .collect();
    let _ = writeln!(s, "  when: {}", windows.join(", "));
    for t in &e.timeline {
        let detail = if t.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.detail)
        };
        let _ = writeln!(
            s,
            "  timeline: {} {} {}{detail}",
            secs(t.t_ms),
            t.action,
            t.target
        );
    }
    let _ = writeln!(s, "  example: request {}", e.example_request_id);
    s
}

/// One request: its result, each proxy's record of it, and why it failed.
pub fn render_request(r: &RequestExplanation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "request {} (load {}) completed at {}: {} {} after {:.3} ms, answered by {}",
        r.request_id,
        r.load,
        secs(r.t_ms),
        r.status,
        r.flags,
        r.latency_ms,
        r.upstream_pod.as_deref().unwrap_or("no app")
    );
    if !r.hops.is_empty() {
        let _ = writeln!(s, "  proxies (innermost first):");
        for h in &r.hops {
            let _ = writeln!(
                s,
                "    {} {} → {} ({}): {} {} in {:.3} ms",
                secs(h.t_ms),
                h.proxy,
                h.cluster,
                h.upstream_host.as_deref().unwrap_or("no host"),
                h.status,
                h.flags,
                h.duration_ms
            );
        }
    }
    match &r.diagnosis {
        None => {
            let _ = writeln!(s, "  succeeded");
        }
        Some(d) => {
            let _ = writeln!(s, "  {}", d.mechanism);
            if !d.settings.is_empty() {
                let _ = writeln!(s, "  settings:");
                for o in &d.settings {
                    let _ = writeln!(s, "    {o}");
                }
            }
            if let Some(n) = &d.note {
                let _ = writeln!(s, "  note: {n}");
            }
        }
    }
    s
}
