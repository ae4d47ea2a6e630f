//! The starter scenario: one load per entry point (see [`crate::entry`]) and, per load, the
//! expectation that every call is answered 200.

use std::fmt::Write;

use crate::entry::Entries;
use crate::yaml::{quoted, scalar};

/// Starter load shape (fortio's flags): what every load gets, marked EDIT.
pub const CONNECTIONS: u32 = 2;
pub const QPS: u32 = 10;
pub const START_S: u32 = 1;
pub const LOAD_S: u32 = 10;
/// The run: the loads plus a second to finish.
pub const RUN_S: u32 = START_S + LOAD_S + 1;

/// The scenario file's text; paths are relative to the output directory.
pub fn scenario_text(name: &str, policy_files: &[String], e: &Entries) -> String {
    let mut out = String::new();
    out.push_str(
        "# Starter scenario written by `meshtwin import kubernetes`: one load per entry point of\n\
         # the mesh and the expectation that nothing fails. Loads' connections, rate and length\n\
         # are defaults (EDIT them to your traffic); the apps' behaviour is in topology.yaml.\n\
         # Run it: meshtwin run <this file>. The format: docs/reference/scenario.md.\n",
    );
    let _ = writeln!(out, "name: {}", scalar(name));
    let _ = writeln!(
        out,
        "description: {}",
        quoted("imported with meshtwin import kubernetes: every entry point under a light load")
    );
    out.push_str("topology: topology.yaml\n");
    if policy_files.is_empty() {
        out.push_str("policies: []\n");
    } else {
        out.push_str("policies:\n");
        for p in policy_files {
            let _ = writeln!(out, "  - {}", scalar(p));
        }
    }
    let _ = writeln!(out, "seed: 1\nduration: {RUN_S}s");
    for n in &e.notes {
        let _ = writeln!(out, "# not loaded: {n}");
    }
    if e.loads.is_empty() {
        out.push_str("# No entry point was found (no HTTP port selects a running app).\nloads: []\nexpect: []\n");
        return out;
    }
    out.push_str("loads:\n");
    for l in &e.loads {
        let _ = write!(
            out,
            "  # {}\n  - name: {}\n    from: {}\n    start: {START_S}s\n    connections: {CONNECTIONS}   # EDIT: fortio -c\n    qps: {QPS}   # EDIT: fortio -qps\n    duration: {LOAD_S}s   # EDIT: fortio -t\n    url: {}\n",
            l.why,
            scalar(&l.name),
            scalar(&l.from),
            quoted(&l.url)
        );
    }
    out.push_str("expect:\n");
    for l in &e.loads {
        let _ = write!(
            out,
            "  - name: {}\n    codeFraction: {{load: {}, code: 200}}\n    min: 1.0\n",
            quoted(&format!("{}: every call answered 200", l.name)),
            scalar(&l.name)
        );
    }
    out
}
