//! Writing YAML text deterministically: scalars quoted exactly when a reader could take them
//! for something else, and [`Node`] trees in block style (keys in their original order).
//!
//! A string is written plain only when it is made of letters, digits and `. _ / - *`, starts
//! with a letter, and reads back
//! as a string under both YAML 1.2 (meshtwin's reader) and YAML 1.1 (`yes`, `on`, `1e3`, …
//! are quoted); anything else is a double-quoted JSON string, which is also YAML.

use meshtwin_config::source::{Node, Value};

/// Words YAML 1.1 or 1.2 reads as null or booleans.
const RESERVED: &[&str] = &[
    "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
];

/// `s` as a YAML scalar that reads back as the string `s`.
pub fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// `s` double-quoted (JSON escapes, valid YAML).
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._/-*".contains(c);
    first.is_ascii_alphabetic()
        && s.chars().all(allowed)
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

/// A mapping of strings in flow style: `{app: reviews, version: v1}`.
pub fn flow_map<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let items: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}: {}", scalar(k), scalar(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// A list of strings in flow style: `[a, b]`.
pub fn flow_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| scalar(s)).collect();
    format!("[{}]", items.join(", "))
}

fn leaf(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.into(),
        // `{:?}` keeps a decimal point (`1.0`), so the value reads back as a float.
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => scalar(s),
        Value::Seq(items) if items.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        _ => return None,
    })
}

/// Write `node` as a block-style document body at indentation `indent` (spaces).
pub fn write_node(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, v) in m {
                out.push_str(&pad);
                out.push_str(&scalar(k));
                out.push(':');
                write_child(v, indent, out);
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                match leaf(&item.value) {
                    Some(text) => {
                        out.push(' ');
                        out.push_str(&text);
                        out.push('\n');
                    }
                    None => {
                        // The item's first line goes after `- `, the rest indented under it.
                        let mut inner = String::new();
                        write_node(item, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&leaf(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

fn write_child(v: &Node, indent: usize, out: &mut String) {
    match leaf(&v.value) {
        Some(text) => {
            out.push(' ');
            out.push_str(&text);
            out.push('\n');
        }
        None => {
            out.push('\n');
            write_node(v, indent + 2, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshtwin_config::source::parse_documents;

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes", "No", "1.0", "10", "1s", "", " x", "a: b", "a:b", "#x", "-x", "*", "null", "@a",
        ] {
            assert!(scalar(s).starts_with('"'), "{s:?} must be quoted");
        }
        for s in [
            "reviews",
            "app.kubernetes.io/name",
            "v1",
            "http-web",
            "bookinfo/productpage",
        ] {
            assert_eq!(scalar(s), s);
        }
        assert_eq!(scalar("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
    }

    #[test]
    fn a_tree_reads_back_as_the_same_tree() {
        let text = "a: 1\nb:\n  c: [1, 2.5, x, '10', true, null]\n  d:\n    - {e: f, g: [h]}\n    - []\n    - k: v\n      l: {}\nm: \"multi\\nline\"\nn: -.inf\n";
        let before = &parse_documents("f.yaml", text).unwrap()[0].root;
        let mut out = String::new();
        write_node(before, 0, &mut out);
        let after = &parse_documents("g.yaml", &out).unwrap()[0].root;
        assert_eq!(strip_lines(before), strip_lines(after), "{out}");
    }

    /// The tree without line numbers.
    fn strip_lines(n: &Node) -> Value {
        match &n.value {
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|i| Node {
                        line: 0,
                        value: strip_lines(i),
                    })
                    .collect(),
            ),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            Node {
                                line: 0,
                                value: strip_lines(v),
                            },
                        )
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}
