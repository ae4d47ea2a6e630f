//! The report as one self-contained HTML file: inline CSS and SVG, no script, no font and no
//! image fetched from anywhere, readable offline and printable.

use std::fmt::Write as _;

use super::html_comparison::comparison;
use super::{Document, RunSection, Section};

/// `text` with HTML's special characters escaped — and `://` written `:&#47;&#47;`, so a URL
/// in the text (a load's target) reads the same but is no link a tool could mistake for a
/// reference to fetch.
pub fn escape(text: &str) -> String {
    crate::markup::escape(text).replace("://", ":&#47;&#47;")
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;max-width:75rem;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}td.n,td.nw{white-space:nowrap}
.verdict{font-size:1.2rem;font-weight:600;padding:.6rem 1rem;border-radius:6px;margin:1rem 0}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}
td.pass,td.fail{font-weight:600}
figure{margin:1rem 0;page-break-inside:avoid}.why{border-left:3px solid #d0d7de;padding-left:.8rem;margin:.8rem 0}.why h4{margin:.2rem 0}figcaption{font-size:.9rem;color:#57606a;margin-bottom:.3rem}
figure svg{max-width:100%;height:auto;border:1px solid #d0d7de}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
";

/// The whole document.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    let title = escape(&doc.title());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let (class, word) = if doc.passed() {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {class}\" id=\"verdict\">{word}: {}</p>",
        escape(&verdict_line(doc))
    );
    for s in &doc.sections {
        match s {
            Section::Run(r) => run(&mut out, r),
            Section::Comparison(c) => comparison(&mut out, c),
        }
    }
    out.push_str(
        "<p><small>Written by meshtwin from the run's outputs; the same inputs and seed give \
         the same report.</small></p>\n</body>\n</html>\n",
    );
    out
}

/// One sentence for the verdict banner.
pub fn verdict_line(doc: &Document) -> String {
    let mut parts = Vec::new();
    for s in &doc.sections {
        match s {
            Section::Run(r) => {
                let e = &r.summary.expectations;
                let held = e.iter().filter(|v| v.pass).count();
                parts.push(format!(
                    "{} (seed {}): {held} of {} expectations held",
                    r.summary.scenario,
                    r.summary.seed,
                    e.len()
                ));
            }
            Section::Comparison(c) => {
                let changed: usize = c
                    .loads
                    .iter()
                    .map(|l| l.metrics.values().filter(|m| m.changed).count())
                    .sum();
                let tripped = c.gates.iter().filter(|g| g.held).count();
                parts.push(format!(
                    "{} vs {}: {changed} metric(s) changed significantly, {tripped} of {} gate(s) tripped",
                    c.candidate.name,
                    c.baseline.name,
                    c.gates.len()
                ));
            }
        }
    }
    parts.join("; ")
}

pub(super) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "∞".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "–".into())
}

fn run(out: &mut String, r: &RunSection) {
    let s = &r.summary;
    let head = s.heading();
    let _ = writeln!(out, "<h2>{}</h2>", escape(&head));
    if !s.description.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(&s.description));
    }
    out.push_str("<h3>Expectations</h3>\n<table><tr><th>verdict</th><th>expectation</th><th>value</th><th>expected</th></tr>\n");
    for v in &s.expectations {
        let (class, word) = if v.pass {
            ("pass", "PASS")
        } else {
            ("fail", "FAIL")
        };
        let band = match (v.min, v.max) {
            (Some(a), Some(b)) if a == b => format!("= {}", num(a)),
            (Some(a), Some(b)) => format!("in [{}, {}]", num(a), num(b)),
            (Some(a), None) => format!("≥ {}", num(a)),
            (None, Some(b)) => format!("≤ {}", num(b)),
            (None, None) => "any".into(),
        };
        let value = v.value.map(num).unwrap_or_else(|| escape(&v.detail));
        let _ = writeln!(
            out,
            "<tr><td class=\"{class}\">{word}</td><td>{}</td><td class=\"n\">{value}</td><td class=\"nw\">{}</td></tr>",
            escape(&v.name),
            escape(&band)
        );
    }
    out.push_str("</table>\n");
    simulated(out, r);
    loads(out, r);
    why(out, r);
    if let Some(svg) = &r.graph {
        let caption = format!(
            "Service graph: workloads by region, zone and cluster; edges with requests, error \
             share and p99 — {} · seed {}",
            s.scenario, s.seed
        );
        let _ = writeln!(
            out,
            "<h3>Service graph</h3>\n<figure id=\"graph\"><figcaption>{}</figcaption>\n{}\n</figure>",
            escape(&caption),
            inline_svg(svg)
        );
    }
    if !r.plots.is_empty() {
        out.push_str("<h3>Plots</h3>\n");
    }
    for p in &r.plots {
        let caption = format!("{} — {} · seed {}", p.caption, s.scenario, s.seed);
        let _ = writeln!(
            out,
            "<figure id=\"plot-{}\"><figcaption>{}</figcaption>\n{}\n</figure>",
            escape(&p.stem),
            escape(&caption),
            inline_svg(&p.svg)
        );
    }
}

/// An SVG file's text made fit to sit inside HTML: no XML declaration, no namespace
/// attribute (HTML's parser puts `<svg>` in the SVG namespace by itself).
pub fn inline_svg(svg: &str) -> String {
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "", 1)
}

/// "Why requests failed": every failure class with its mechanism and the settings behind it.
fn why(out: &mut String, r: &RunSection) {
    out.push_str("<h3>Why requests failed</h3>\n");
    if r.explanations.is_empty() {
        out.push_str(
            "<p>No request failed: every load's request succeeded without response flags.</p>\n",
        );
        return;
    }
    for e in &r.explanations {
        let loads: Vec<String> = e.loads.iter().map(|(l, n)| format!("{l} {n}")).collect();
        let flags = if e.flags.is_empty() {
            "(no flags)".to_string()
        } else {
            e.flags.to_string()
        };
        let _ = writeln!(
            out,
            "<div class=\"why\"><h4>{} {} — {} request(s) (load {})</h4>\n<p>{}</p>",
            e.code,
            escape(&flags),
            e.count,
            escape(&loads.join(", ")),
            escape(&e.mechanism)
        );
        if !e.settings.is_empty() {
            out.push_str("<ul>\n");
            for o in &e.settings {
                let _ = writeln!(out, "<li><code>{}</code></li>", escape(&o.to_string()));
            }
            out.push_str("</ul>\n");
        }
        if let Some(n) = &e.note {
            let _ = writeln!(out, "<p>Note: {}</p>", escape(n));
        }
        let windows: Vec<String> = e
            .windows
            .iter()
            .map(|(a, b)| format!("{} s – {} s", num(a / 1000.0), num(b / 1000.0)))
            .collect();
        let _ = writeln!(
            out,
            "<p>When: {}. Example: request <code>{}</code>.</p></div>",
            escape(&windows.join(", ")),
            escape(&e.example_request_id)
        );
    }
}

fn simulated(out: &mut String, r: &RunSection) {
    let s = &r.summary;
    out.push_str("<h3>What was simulated</h3>\n<ul>\n");
    let _ = writeln!(
        out,
        "<li>topology <code>{}</code>: {} pods ({} simulated), virtual duration {} s, seed {}, meshtwin {}</li>",
        escape(&s.topology.name),
        s.topology.pods,
        s.topology.simulated_pods,
        num(s.duration_ms / 1000.0),
        s.seed,
        escape(&s.meshtwin)
    );
    let Some(sim) = &r.simulated else {
        out.push_str("</ul>\n");
        return;
    };
    let _ = writeln!(
        out,
        "<li>mesh release {}; Envoy switches set over the release's: <code>{}</code></li>",
        escape(&sim.mesh),
        escape(&sim.envoy)
    );
    out.push_str("</ul>\n<table><tr><th>policy file</th><th>SHA-256</th></tr>\n");
    for p in &sim.policies {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
            escape(&p.file),
            escape(p.sha256.as_deref().unwrap_or("(unreadable)"))
        );
    }
    out.push_str("</table>\n");
    if !sim.timeline.is_empty() {
        out.push_str(
            "<table><tr><th>at (s)</th><th>timeline</th><th>target</th><th>detail</th></tr>\n",
        );
        for t in &sim.timeline {
            let _ = writeln!(
                out,
                "<tr><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                num(t.at_ms / 1000.0),
                escape(t.action.as_str()),
                escape(&t.target),
                escape(&t.detail)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("<table><tr><th>workload</th><th>namespace</th><th>cluster</th><th>locality</th><th>replicas</th><th>proxy</th></tr>\n");
    for w in &sim.topology.workloads {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&w.name),
            escape(&w.namespace),
            escape(&w.cluster),
            escape(&w.locality),
            w.replicas,
            escape(&w.proxy)
        );
    }
    out.push_str("</table>\n");
}

fn loads(out: &mut String, r: &RunSection) {
    out.push_str("<h3>Results per load</h3>\n<table><tr><th>load</th><th>from → url</th><th>conn.</th><th>requests</th><th>status codes</th><th>response flags</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>qps</th></tr>\n");
    for l in &r.summary.loads {
        // `503: 18` never split over two lines (a no-break space after the colon).
        let codes: Vec<String> = l
            .codes
            .iter()
            .map(|(c, n)| format!("{c}:\u{a0}{n}"))
            .collect();
        let flags: Vec<String> = l
            .flags
            .iter()
            .map(|(f, n)| format!("{f}:\u{a0}{n}"))
            .collect();
        let lat = &l.latency_ms;
        let _ = writeln!(
            out,
            "<tr><td class=\"nw\">{}</td><td><code>{} → {}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&l.name),
            escape(&l.src_pod),
            escape(&l.url),
            l.connections,
            l.requests,
            escape(&codes.join(", ")),
            escape(&flags.join(", ")),
            opt(lat.p50),
            opt(lat.p90),
            opt(lat.p99),
            opt(lat.max),
            num(l.qps)
        );
    }
    out.push_str("</table>\n");
}

/// `1..=20` for a contiguous list, else the list.
pub fn seeds(s: &[u64]) -> String {
    match (s.first(), s.last()) {
        (Some(a), Some(b)) if s.len() as u64 == b - a + 1 => format!("{a}..={b}"),
        _ => s.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    }
}
