//! `meshtwin trace <trace.jsonl> <request-id>`: the call tree of one request — every proxy
//! hop (access log), every attempt an app made (with its timeouts), nested by time the way a
//! tracing UI shows spans.

use std::path::Path;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::trace::EventSource;

use crate::exit;

/// One span: when it started and ended (virtual ms) and what it was.
struct Span {
    start: f64,
    end: f64,
    /// Tie-break for equal intervals: the caller before its hops.
    rank: u8,
    text: String,
}

fn span(e: &TraceEvent, id: &str) -> Option<Span> {
    let (dur, rank, text) = match &e.kind {
        EventKind::Request {
            request_id,
            load,
            src_pod,
            status,
            flags,
            latency_ms,
            notes,
            ..
        } if request_id == id => {
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" · page: {}", notes.join("; "))
            };
            (
                *latency_ms,
                0,
                format!("{load} from {src_pod}: {status} {flags}{notes}"),
            )
        }
        EventKind::AccessLog {
            request_id,
            proxy,
            listener,
            cluster,
            upstream_host,
            status,
            flags,
            duration_ms,
        } if request_id == id => {
            let to = upstream_host.as_deref().unwrap_or("-");
            (
                *duration_ms,
                2,
                format!("{proxy} [{listener}] → {cluster} → {to}: {status} {flags}"),
            )
        }
        EventKind::AppCall {
            request_id,
            pod,
            host,
            path,
            attempt,
            status,
            result,
            duration_ms,
        } if request_id == id => (
            *duration_ms,
            1,
            format!("{pod} app calls {host}{path} (try {attempt}): {result} {status}"),
        ),
        _ => return None,
    };
    Some(Span {
        start: e.t_ms - dur,
        end: e.t_ms,
        rank,
        text,
    })
}

/// The tree as text lines (`start  duration  indented description`).
pub fn render(events: &(impl EventSource + ?Sized), id: &str) -> Vec<String> {
    let mut spans: Vec<Span> = events.events().filter_map(|e| span(&e, id)).collect();
    spans.sort_by(|a, b| {
        a.start
            .total_cmp(&b.start)
            .then(b.end.total_cmp(&a.end))
            .then(a.rank.cmp(&b.rank))
    });
    let mut stack: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for s in spans {
        while stack
            .last()
            .is_some_and(|end| *end < s.end || *end <= s.start)
        {
            stack.pop();
        }
        out.push(format!(
            "{:>12.3} ms {:>10.3} ms  {}{}",
            s.start,
            s.end - s.start,
            "  ".repeat(stack.len()),
            s.text
        ));
        stack.push(s.end);
    }
    out
}

pub fn trace_command(path: &Path, id: &str) -> u8 {
    let read = crate::tracefile::read_trace(path)
        .and_then(|trace| Ok((trace.complete(render(&trace.events, id))?, trace)));
    let (lines, trace) = match read {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    if lines.is_empty() {
        eprintln!(
            "error: {}: no event for request id '{id}'{}",
            trace.path.display(),
            trace.level_note()
        );
        return exit::INVALID_INPUT;
    }
    println!("{:>15} {:>13}  request {id}", "start", "duration");
    for l in lines {
        println!("{l}");
    }
    exit::OK
}
