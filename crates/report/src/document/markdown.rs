//! The report as Markdown for a pull-request comment (GitHub-flavoured tables); plots are
//! linked SVG files relative to where the report is written.

use std::fmt::Write as _;

use super::html::{num, seeds, verdict_line};
use super::{Document, RunSection, Section};
use crate::compare::{metric_order, Comparison};

/// A table cell: pipes escaped, newlines flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The whole document; `plot_prefix` is the path from the report to each run's directory
/// given its name (links are `<prefix(dir)>/<stem>.svg`).
pub fn render(doc: &Document, plot_prefix: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", doc.title());
    let word = if doc.passed() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "**{word}**: {}\n", verdict_line(doc));
    for s in &doc.sections {
        match s {
            Section::Run(r) => run(&mut out, r, &plot_prefix(&r.dir)),
            Section::Comparison(c) => comparison(&mut out, c),
        }
    }
    out
}

fn run(out: &mut String, r: &RunSection, prefix: &str) {
    let s = &r.summary;
    let _ = writeln!(out, "## {}\n", s.heading());
    if !s.description.is_empty() {
        let _ = writeln!(out, "{}\n", s.description);
    }
    out.push_str("| verdict | expectation | value | detail |\n|---|---|---:|---|\n");
    for v in &s.expectations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            if v.pass { "PASS" } else { "**FAIL**" },
            cell(&v.name),
            v.value.map(num).unwrap_or_else(|| "–".into()),
            cell(&v.detail)
        );
    }
    let _ = writeln!(
        out,
        "\nTopology `{}`: {} pods ({} simulated); virtual duration {} s; meshtwin {}.\n",
        s.topology.name,
        s.topology.pods,
        s.topology.simulated_pods,
        num(s.duration_ms / 1000.0),
        s.meshtwin
    );
    simulated(out, r);
    loads(out, r);
    why(out, r);
    if r.graph.is_some() {
        let _ = writeln!(
            out,
            "\n[Service graph — {} · seed {}]({prefix}graph.svg)",
            s.scenario, s.seed
        );
    }
    if !r.plots.is_empty() {
        out.push_str("\nPlots:\n\n");
        for p in &r.plots {
            let _ = writeln!(
                out,
                "- [{} — {} · seed {}]({prefix}{}.svg)",
                p.caption, s.scenario, s.seed, p.stem
            );
        }
    }
    out.push('\n');
}

/// What was simulated: the release, the policy files and their hashes, the timeline.
fn simulated(out: &mut String, r: &RunSection) {
    if let Some(sim) = &r.simulated {
        let _ = writeln!(
            out,
            "Mesh release {}; Envoy switches set over the release's: `{}`.\n",
            sim.mesh, sim.envoy
        );
        out.push_str("| policy file | SHA-256 |\n|---|---|\n");
        for p in &sim.policies {
            let _ = writeln!(
                out,
                "| `{}` | `{}` |",
                cell(&p.file),
                p.sha256.as_deref().unwrap_or("(unreadable)")
            );
        }
        if !sim.timeline.is_empty() {
            out.push_str("\n| at (s) | timeline | target | detail |\n|---:|---|---|---|\n");
            for t in &sim.timeline {
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` | {} |",
                    num(t.at_ms / 1000.0),
                    cell(t.action.as_str()),
                    cell(&t.target),
                    cell(&t.detail)
                );
            }
        }
        out.push('\n');
    }
}

/// Per-load results.
fn loads(out: &mut String, r: &RunSection) {
    out.push_str("| load | from → url | requests | status codes | flags | p50 ms | p99 ms | max ms |\n|---|---|---:|---|---|---:|---:|---:|\n");
    for l in &r.summary.loads {
        let codes: Vec<String> = l.codes.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        let flags: Vec<String> = l.flags.iter().map(|(f, n)| format!("{f}: {n}")).collect();
        let o = |v: Option<f64>| v.map(num).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            out,
            "| {} | `{} → {}` | {} | {} | {} | {} | {} | {} |",
            cell(&l.name),
            cell(&l.src_pod),
            cell(&l.url),
            l.requests,
            cell(&codes.join(", ")),
            cell(&flags.join(", ")),
            o(l.latency_ms.p50),
            o(l.latency_ms.p99),
            o(l.latency_ms.max)
        );
    }
}

/// Why requests failed: every failure class with its mechanism and cited settings.
fn why(out: &mut String, r: &RunSection) {
    out.push_str("\n### Why requests failed\n\n");
    if r.explanations.is_empty() {
        out.push_str("No request failed.\n");
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
            "- **{} {flags}** — {} request(s) (load {}): {}",
            e.code,
            e.count,
            loads.join(", "),
            e.mechanism
        );
        for o in &e.settings {
            let _ = writeln!(out, "  - `{o}`");
        }
    }
}

fn comparison(out: &mut String, c: &Comparison) {
    let _ = writeln!(
        out,
        "## {} · {} vs {} · seeds {}\n",
        c.scenario,
        c.candidate.name,
        c.baseline.name,
        seeds(&c.seeds)
    );
    for side in [&c.baseline, &c.candidate] {
        let what = if side.changes.is_empty() {
            "the scenario as written".to_string()
        } else {
            side.changes.join("; ")
        };
        let _ = writeln!(out, "- **{}**: {}", side.name, what);
    }
    out.push('\n');
    if c.config_changes.is_empty() {
        out.push_str("Proxy configuration: identical on both sides.\n\n");
    } else {
        out.push_str("| proxies | setting | baseline | candidate |\n|---|---|---|---|\n");
        for g in &c.config_changes {
            for ch in &g.changes {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | `{}` | `{}` |",
                    cell(&g.proxies.join(", ")),
                    cell(&ch.path),
                    cell(ch.baseline.as_deref().unwrap_or("(none)")),
                    cell(ch.candidate.as_deref().unwrap_or("(none)"))
                );
            }
        }
        out.push('\n');
    }
    for l in &c.loads {
        let _ = writeln!(out, "### Load {}\n", l.name);
        out.push_str("| metric | baseline | candidate | delta | 95 % CI of delta | verdict |\n|---|---:|---:|---:|---:|---|\n");
        let mut rows: Vec<_> = l.metrics.iter().collect();
        rows.sort_by_key(|(n, _)| metric_order(n));
        for (name, m) in rows {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | [{}, {}] | {} |",
                cell(name),
                num(m.baseline),
                num(m.candidate),
                num(m.delta),
                num(m.ci95[0]),
                num(m.ci95[1]),
                if m.changed {
                    "**changed**"
                } else {
                    "no significant change"
                }
            );
        }
        out.push('\n');
    }
    for g in &c.gates {
        let _ = writeln!(
            out,
            "- `--fail-if {}`: {}",
            g.expr,
            if g.held {
                format!("**held** for {}", g.loads.join(", "))
            } else {
                "did not hold".into()
            }
        );
    }
}
