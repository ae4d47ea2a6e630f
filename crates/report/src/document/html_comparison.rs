//! A comparison's part of the HTML report: both sides, what differs in the proxies'
//! configuration, each load's metrics side by side with the delta's confidence interval, and
//! the gates.

use std::fmt::Write as _;

use super::html::{escape, num, seeds};
use crate::compare::{metric_order, Comparison};

/// Append comparison `c`'s section to `out`.
pub fn comparison(out: &mut String, c: &Comparison) {
    let head = format!(
        "{} · {} vs {} · seeds {}",
        c.scenario,
        c.candidate.name,
        c.baseline.name,
        seeds(&c.seeds)
    );
    let _ = writeln!(out, "<h2>{}</h2>", escape(&head));
    out.push_str("<ul>\n");
    for side in [&c.baseline, &c.candidate] {
        let what = if side.changes.is_empty() {
            "the scenario as written".to_string()
        } else {
            side.changes.join("; ")
        };
        let _ = writeln!(
            out,
            "<li><b>{}</b>: {}</li>",
            escape(&side.name),
            escape(&what)
        );
    }
    out.push_str("</ul>\n");
    config_changes(out, c);
    load_tables(out, c);
    gates(out, c);
}

/// What differs in the proxies' configuration, one row per setting and group of proxies.
fn config_changes(out: &mut String, c: &Comparison) {
    out.push_str("<h3>What differs in the proxies' configuration</h3>\n");
    if c.config_changes.is_empty() {
        out.push_str("<p>Nothing: both sides configure every proxy the same way.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>proxies</th><th>setting</th><th>baseline</th><th>candidate</th></tr>\n",
        );
        for g in &c.config_changes {
            for ch in &g.changes {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    escape(&g.proxies.join(", ")),
                    escape(&ch.path),
                    escape(ch.baseline.as_deref().unwrap_or("(none)")),
                    escape(ch.candidate.as_deref().unwrap_or("(none)"))
                );
            }
        }
        out.push_str("</table>\n");
    }
}

/// Each load's metrics side by side with the delta's confidence interval.
fn load_tables(out: &mut String, c: &Comparison) {
    for l in &c.loads {
        let _ = writeln!(out, "<h3>Load {}</h3>", escape(&l.name));
        out.push_str("<table><tr><th>metric</th><th>baseline</th><th>candidate</th><th>delta</th><th>95 % CI of delta</th><th>verdict</th></tr>\n");
        let mut rows: Vec<_> = l.metrics.iter().collect();
        rows.sort_by_key(|(n, _)| metric_order(n));
        for (name, m) in rows {
            let (class, word) = if m.changed {
                ("fail", "changed")
            } else {
                ("", "no significant change")
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">[{}, {}]</td><td class=\"{class}\">{word}</td></tr>",
                escape(name),
                num(m.baseline),
                num(m.candidate),
                num(m.delta),
                num(m.ci95[0]),
                num(m.ci95[1])
            );
        }
        out.push_str("</table>\n");
    }
}

/// The `--fail-if` gates and whether each held.
fn gates(out: &mut String, c: &Comparison) {
    if !c.gates.is_empty() {
        out.push_str("<h3>Gates</h3>\n<ul>\n");
        for g in &c.gates {
            let _ = writeln!(
                out,
                "<li class=\"{}\"><code>--fail-if {}</code>: {}</li>",
                if g.held { "fail" } else { "pass" },
                escape(&g.expr),
                if g.held {
                    format!("held for {}", escape(&g.loads.join(", ")))
                } else {
                    "did not hold".into()
                }
            );
        }
        out.push_str("</ul>\n");
    }
}
