//! The format reference in docs/reference/ cannot drift from the parsers: every field list
//! the topology and scenario parsers accept (`meshtwin_topology::REFERENCE`,
//! `meshtwin_config::scenario::REFERENCE`) has a section of the same name whose table lists
//! exactly those fields, and every section of the reference is one the parsers have.

mod common;

use std::collections::BTreeSet;

/// `### \`section\`` → the first column of the table under it (the backquoted field names).
fn sections(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("### `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            out.push((name.to_string(), BTreeSet::new()));
        } else if line.starts_with('#') {
            out.push((String::new(), BTreeSet::new()));
        } else if let (Some(field), Some(last)) = (
            line.strip_prefix("| `")
                .and_then(|rest| rest.split('`').next()),
            out.last_mut(),
        ) {
            last.1.insert(field.to_string());
        }
    }
    out.retain(|(name, _)| !name.is_empty());
    out
}

fn check(doc: &str, parser: &[(&str, &[&str])]) {
    let text = std::fs::read_to_string(common::workspace_root().join(doc))
        .unwrap_or_else(|e| panic!("{doc}: {e}"));
    let documented = sections(&text);
    for (section, fields) in parser {
        let want: BTreeSet<String> = fields.iter().map(|f| f.to_string()).collect();
        let Some((_, got)) = documented.iter().find(|(name, _)| name == section) else {
            panic!("{doc} has no section `{section}` (fields {want:?})");
        };
        assert_eq!(
            got, &want,
            "{doc}, section `{section}`: documented vs parsed fields"
        );
    }
    for (name, _) in &documented {
        assert!(
            parser.iter().any(|(section, _)| section == name),
            "{doc} documents `{name}`, which the parser does not have"
        );
    }
}

#[test]
fn the_topology_reference_lists_every_field_the_parser_accepts() {
    check("docs/reference/topology.md", meshtwin_topology::REFERENCE);
}

#[test]
fn the_scenario_reference_lists_every_field_the_parser_accepts() {
    check(
        "docs/reference/scenario.md",
        meshtwin_config::scenario::REFERENCE,
    );
}

#[test]
fn a_missing_or_extra_field_is_caught() {
    let text = "### `a`\n\n| field | type |\n|---|---|\n| `x` | s |\n| `y` | s |\n\n## other\n| `z` | not a field |\n";
    let got = sections(text);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "a");
    assert_eq!(got[0].1, ["x", "y"].iter().map(|s| s.to_string()).collect());
}
