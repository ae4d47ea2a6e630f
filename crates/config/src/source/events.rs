//! The YAML parser's events → [`Node`] trees. The only place `yaml-rust2` is used.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{line_u32, scalar, Node, Value, MAX_NODES};
use crate::error::ConfigError;

/// Parse every document of `text` into its root node (`file` names it in errors).
pub(super) fn parse_nodes(file: &str, text: &str) -> Result<Vec<Node>, ConfigError> {
    let mut builder = Builder {
        lines: text.lines().count(),
        ..Builder::default()
    };
    // The parser is third-party code: should it ever panic on odd input, report an error
    // rather than take the process down.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut parser = Parser::new_from_str(text);
        parser.load(&mut builder, true)
    }));
    match parsed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let m = e.marker();
            // At the end of a text without a final newline the parser's marker is on the
            // line after the last: point at the last line the file has.
            let lines = text.lines().count().max(1);
            return Err(if m.line() > lines {
                ConfigError::file(
                    file,
                    line_u32(lines),
                    format!("invalid YAML: {} (at the end of the file)", e.info()),
                )
            } else {
                ConfigError::at_column(
                    file,
                    line_u32(m.line().max(1)),
                    line_u32(m.col() + 1),
                    format!("invalid YAML: {}", e.info()),
                )
            });
        }
        Err(_) => {
            return Err(ConfigError::file(
                file,
                1,
                "invalid YAML: the parser failed",
            ))
        }
    }
    if let Some((line, message)) = builder.error {
        return Err(ConfigError::file(file, line, message));
    }
    Ok(builder.docs)
}

/// A container being filled while its events arrive.
enum Open {
    Seq(Node, usize),
    /// The map, its anchor, the key (with its line) waiting for a value, and the keys a YAML
    /// merge key (`<<: *defaults`) brought in — an explicit key replaces those.
    Map(Node, usize, Option<(String, u32)>, BTreeSet<String>),
}

/// YAML's merge key (`<<: *defaults`, `<<: [*a, *b]`), which kubectl accepts.
const MERGE_KEY: &str = "<<";

/// Turns parser events into [`Node`] trees with an explicit stack (no recursion).
#[derive(Default)]
struct Builder {
    /// The number of lines of the text (no node is on a line after the last).
    lines: usize,
    docs: Vec<Node>,
    stack: Vec<Open>,
    anchors: BTreeMap<usize, Node>,
    nodes: usize,
    error: Option<(u32, String)>,
}

impl Builder {
    fn fail(&mut self, line: u32, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some((line, message.into()));
        }
    }

    fn count(&mut self, n: usize, line: u32) {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            self.fail(
                line,
                format!("document too large: more than {MAX_NODES} values after expanding aliases"),
            );
        }
    }

    /// Attach a finished node to its parent (or finish a document).
    fn push_value(&mut self, mut node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Open::Seq(seq, _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Open::Map(map, _, pending, merged)) => match pending.take() {
                None => {
                    let key = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Null => String::new(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Seq(_) | Value::Map(_) => {
                            let line = node.line;
                            self.fail(line, "invalid YAML: mapping keys must be scalars");
                            return;
                        }
                    };
                    *pending = Some((key, node.line));
                }
                Some((key, key_line)) if key == MERGE_KEY => {
                    if let Err(message) = merge(&mut map.value, merged, node.value) {
                        self.fail(key_line, message);
                    }
                }
                Some((key, key_line)) => {
                    node.line = key_line;
                    let Value::Map(entries) = &mut map.value else {
                        return;
                    };
                    if merged.remove(&key) {
                        entries.insert(key, node);
                        return;
                    }
                    if entries.contains_key(&key) {
                        let key = crate::names::shorten(&key);
                        self.fail(key_line, format!("duplicate key `{key}`"));
                        return;
                    }
                    entries.insert(key, node);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        // An empty value at the end of a text without a final newline is marked on the line
        // after the last: it belongs to the last line.
        let line = line_u32(mark.line().clamp(1, self.lines.max(1)));
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, line);
                let is_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == TScalarStyle::Plain && !is_str {
                    scalar::resolve_plain(text)
                } else {
                    Value::Str(text)
                };
                self.push_value(Node { line, value }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.count(1, line);
                let node = Node {
                    line,
                    value: Value::Seq(Vec::new()),
                };
                self.stack.push(Open::Seq(node, anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.count(1, line);
                let node = Node {
                    line,
                    value: Value::Map(IndexMap::new()),
                };
                self.stack
                    .push(Open::Map(node, anchor, None, BTreeSet::new()));
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::Seq(node, anchor)) | Some(Open::Map(node, anchor, _, _)) => {
                    self.push_value(node, anchor)
                }
                None => self.fail(line, "invalid YAML: unbalanced collection"),
            },
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(size_of_tree) else {
                    return self.fail(line, "invalid YAML: unknown anchor");
                };
                // Count before copying, so an alias bomb stops before it allocates.
                self.count(size, line);
                if let (None, Some(mut node)) = (&self.error, self.anchors.get(&id).cloned()) {
                    node.line = line;
                    self.push_value(node, 0);
                }
            }
            Event::DocumentStart => self.anchors.clear(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// YAML's merge key: the entries of `source` (a mapping, or a list of mappings — the first
/// named wins over later ones) that `map` does not write itself; their keys go into `merged`
/// so an explicit key later replaces them.
fn merge(map: &mut Value, merged: &mut BTreeSet<String>, source: Value) -> Result<(), String> {
    let Value::Map(entries) = map else {
        return Ok(());
    };
    let wrong =
        || "invalid YAML: a merge key (`<<`) takes a mapping or a list of mappings".to_string();
    let sources = match source {
        Value::Map(m) => vec![m],
        Value::Seq(items) => items
            .into_iter()
            .map(|item| match item.value {
                Value::Map(m) => Ok(m),
                _ => Err(wrong()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(wrong()),
    };
    for source in sources {
        for (k, v) in source {
            if !entries.contains_key(&k) {
                merged.insert(k.clone());
                entries.insert(k, v);
            }
        }
    }
    Ok(())
}

fn size_of_tree(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(size_of_tree).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(size_of_tree).sum::<usize>(),
        _ => 1,
    }
}
