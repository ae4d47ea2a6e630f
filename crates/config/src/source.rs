//! Reading files into located documents. This is the only module that knows a YAML parser.
//!
//! A file is YAML (one or more documents separated by `---`) or JSON (which is YAML). Each
//! document becomes a [`Node`] tree in which every value carries the 1-based line it was written
//! on — for a mapping's value, the line of its key, so an error about a field points at the
//! field. A Kubernetes `kind: List` document is flattened into its `items`, and empty documents
//! are dropped. [`Document::lines`] maps every field path (`spec.subsets[0].name`) to its line.
//!
//! Scalars are typed by the YAML 1.2 core schema (`true`, `10`, `1.5`, `null`); quoted scalars
//! and `!!str` are always strings. Anchors and aliases are expanded, with a cap on the total
//! size so that an "alias bomb" is an error rather than an out-of-memory.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::error::ConfigError;

/// Largest file read (a limit on everything).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most nodes one file may expand to, aliases included.
pub const MAX_NODES: usize = 1_000_000;

/// A parsed value with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line: of the key for a mapping's value, else of the value's first token.
    pub line: u32,
    pub value: Value,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order; keys are the scalars' text.
    Map(IndexMap<String, Node>),
}

impl Value {
    /// How the value is named in "expected ..., found ..." messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => format!("{s:?}"),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }
}

/// One document of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file, as the user named it.
    pub file: String,
    pub root: Node,
    /// Field path → 1-based line, for every field and list item in the document.
    pub lines: BTreeMap<String, u32>,
}

impl Document {
    fn new(file: &str, root: Node) -> Self {
        let mut lines = BTreeMap::new();
        index_lines(&root, String::new(), &mut lines);
        Self {
            file: file.to_string(),
            root,
            lines,
        }
    }

    /// Line of a field path (`spec.host`), or of the document when the path is unknown.
    pub fn line_of(&self, path: &str) -> u32 {
        self.lines.get(path).copied().unwrap_or(self.root.line)
    }
}

fn index_lines(node: &Node, path: String, out: &mut BTreeMap<String, u32>) {
    match &node.value {
        Value::Map(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                index_lines(v, p, out);
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                index_lines(v, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
    if !path.is_empty() {
        out.insert(path, node.line);
    }
}

/// Read and parse a file; `kind: List` documents are flattened and empty documents dropped.
pub fn load_documents(path: &Path) -> Result<Vec<Document>, ConfigError> {
    let file = path.display().to_string();
    let text = read_text(path, &file)?;
    parse_documents(&file, &text)
}

/// Parse text that came from `file` (the name is used in errors only).
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<Document>, ConfigError> {
    let roots = parse_nodes(file, text)?;
    let mut docs = Vec::new();
    for root in roots {
        flatten_list(file, root, &mut docs)?;
    }
    Ok(docs)
}

fn read_text(path: &Path, file: &str) -> Result<String, ConfigError> {
    let cannot = |e: std::io::Error| {
        ConfigError::file(file, 1, format!("cannot read file: {}", io_message(&e)))
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(ConfigError::file(
            file,
            1,
            "cannot read file: Is a directory",
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ConfigError::file(
            file,
            1,
            format!("file is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        ConfigError::file(file, line_u32(line), "file is not valid UTF-8")
    })
}

/// `No such file or directory (os error 2)` → `No such file or directory`.
fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn line_u32(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

fn flatten_list(file: &str, root: Node, out: &mut Vec<Document>) -> Result<(), ConfigError> {
    let Value::Map(map) = &root.value else {
        if root.value != Value::Null {
            out.push(Document::new(file, root));
        }
        return Ok(());
    };
    let is_list = matches!(map.get("kind").map(|n| &n.value), Some(Value::Str(k)) if k == "List");
    if !is_list {
        out.push(Document::new(file, root));
        return Ok(());
    }
    match map.get("items").map(|n| &n.value) {
        Some(Value::Seq(items)) => {
            for item in items {
                flatten_list(file, item.clone(), out)?;
            }
            Ok(())
        }
        Some(Value::Null) | None => Ok(()),
        Some(other) => Err(ConfigError {
            file: file.to_string(),
            line: map["items"].line,
            object: Some("List".into()),
            path: Some("items".into()),
            message: format!("expected a list, found {}", other.describe()),
        }),
    }
}

/// Parse every document's root node.
fn parse_nodes(file: &str, text: &str) -> Result<Vec<Node>, ConfigError> {
    let mut builder = Builder::default();
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
            return Err(ConfigError::file(
                file,
                line_u32(m.line().max(1)),
                format!("invalid YAML: {} (column {})", e.info(), m.col() + 1),
            ));
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
    /// The map, its anchor, and the key (with its line) waiting for a value.
    Map(Node, usize, Option<(String, u32)>),
}

/// Turns parser events into [`Node`] trees with an explicit stack (no recursion).
#[derive(Default)]
struct Builder {
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
            Some(Open::Map(map, _, pending)) => match pending.take() {
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
                Some((key, key_line)) => {
                    node.line = key_line;
                    let Value::Map(entries) = &mut map.value else {
                        return;
                    };
                    if entries.contains_key(&key) {
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
        let line = line_u32(mark.line().max(1));
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, line);
                let is_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if style == TScalarStyle::Plain && !is_str {
                    resolve_plain(text)
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
                self.stack.push(Open::Map(node, anchor, None));
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::Seq(node, anchor)) | Some(Open::Map(node, anchor, _)) => {
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

fn size_of_tree(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(size_of_tree).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(size_of_tree).sum::<usize>(),
        _ => 1,
    }
}

/// YAML 1.2 core schema for plain scalars.
fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(&text) {
        return Value::Int(i);
    }
    if looks_like_float(&text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text)
}

fn parse_int(s: &str) -> Option<i64> {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn looks_like_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Document> {
        parse_documents("f.yaml", text).unwrap()
    }

    #[test]
    fn field_paths_map_to_the_lines_of_their_keys() {
        let d = &docs("# comment\nspec:\n  host: h\n  subsets:\n    - name: v1\n      labels:\n        version: v1\n")[0];
        assert_eq!(d.root.line, 2);
        assert_eq!(d.line_of("spec"), 2);
        assert_eq!(d.line_of("spec.host"), 3);
        assert_eq!(d.line_of("spec.subsets[0]"), 5);
        assert_eq!(d.line_of("spec.subsets[0].labels.version"), 7);
        assert_eq!(d.line_of("no.such.path"), 2);
    }

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let d = &docs("a: 10\nb: -3\nc: 1.5\nd: true\ne: ~\nf: '10'\ng: 1s\nh: yes\ni: 0x1F\nj: !!str 7\nk: 1e3\n")[0];
        let Value::Map(m) = &d.root.value else {
            panic!()
        };
        let v = |k: &str| m[k].value.clone();
        assert_eq!(v("a"), Value::Int(10));
        assert_eq!(v("b"), Value::Int(-3));
        assert_eq!(v("c"), Value::Float(1.5));
        assert_eq!(v("d"), Value::Bool(true));
        assert_eq!(v("e"), Value::Null);
        assert_eq!(v("f"), Value::Str("10".into()));
        assert_eq!(v("g"), Value::Str("1s".into()));
        assert_eq!(v("h"), Value::Str("yes".into()));
        assert_eq!(v("i"), Value::Int(31));
        assert_eq!(v("j"), Value::Str("7".into()));
        assert_eq!(v("k"), Value::Float(1000.0));
    }

    #[test]
    fn json_is_read_with_lines() {
        let d = &docs("{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}\n")[0];
        assert_eq!(d.line_of("a"), 2);
        assert_eq!(d.line_of("a.b"), 3);
        assert_eq!(d.line_of("a.b[1]"), 3);
    }

    #[test]
    fn multi_documents_and_lists_become_documents_and_empty_ones_vanish() {
        let text =
            "---\nkind: A\n---\n# nothing\n---\nkind: List\nitems:\n  - kind: B\n  - kind: C\n";
        let d = docs(text);
        assert_eq!(d.iter().map(|d| d.root.line).collect::<Vec<_>>(), [2, 8, 9]);
    }

    #[test]
    fn aliases_expand_at_the_alias_line() {
        let d = &docs("base: &b {x: 1}\ncopy: *b\n")[0];
        let Value::Map(m) = &d.root.value else {
            panic!()
        };
        assert_eq!(m["copy"].line, 2);
        assert_eq!(m["copy"].value, m["base"].value);
    }

    #[test]
    fn io_messages_drop_the_os_error_number() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&e), "No such file or directory");
    }
}
