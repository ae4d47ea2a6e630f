//! Reading files into located documents. This is the only module that reads an input file
//! ([`read_file`]: regular files only, size-checked before reading) or knows a YAML parser.
//!
//! A file is YAML (one or more documents separated by `---`) or JSON (which is YAML). Each
//! document becomes a [`Node`] tree in which every value carries the 1-based line it was written
//! on — for a mapping's value, the line of its key, so an error about a field points at the
//! field. A Kubernetes `kind: List` document is flattened into its `items`, and empty documents
//! are dropped. [`Document::lines`] maps every field path (`spec.subsets[0].name`) to its line.
//!
//! `events` turns the parser's events into trees (anchors and aliases expanded, with a cap on
//! the total size so that an "alias bomb" is an error rather than an out-of-memory); `scalar`
//! types plain scalars by the YAML 1.2 core schema (`true`, `10`, `1.5`, `null`; quoted
//! scalars and `!!str` are always strings).

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;

use crate::error::ConfigError;

mod events;
mod scalar;

/// Largest input file read, 16 MiB (a limit on everything: the largest bundled file is a few
/// kilobytes, and etcd's default limit on one request, which bounds a Kubernetes object, is
/// 1.5 MiB).
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

/// Longest string value quoted whole in a message; longer ones are cut (a limit on
/// everything: a megabyte-long value does not make a megabyte-long error).
const MAX_QUOTED_CHARS: usize = 40;

impl Value {
    /// The value as the user wrote it, for reports: scalars as their text (strings unquoted),
    /// mappings and lists in YAML flow style (`{unit: s, value: 10}`).
    pub fn text(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.clone(),
            Value::Seq(items) => {
                let items: Vec<String> = items.iter().map(|n| n.value.text()).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Map(m) => {
                let entries: Vec<String> = m
                    .iter()
                    .map(|(k, n)| format!("{k}: {}", n.value.text()))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
        }
    }

    /// How the value is named in "expected ..., found ..." messages: scalars as written
    /// (long strings cut, with their length), collections by kind.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Str(s) if s.chars().count() > MAX_QUOTED_CHARS => {
                let head: String = s.chars().take(MAX_QUOTED_CHARS).collect();
                format!("\"{}…\" ({} bytes)", head.escape_debug(), s.len())
            }
            Value::Str(s) => format!("{s:?}"),
            Value::Seq(_) | Value::Map(_) => self.kind_name().into(),
        }
    }

    /// The kind of value, without its content: `a string`, `an integer`, `a mapping`, ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
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
    let text = read_file(path)?;
    parse_documents(&file, &text)
}

/// Parse text that came from `file` (the name is used in errors only). A leading UTF-8 byte
/// order mark is skipped, as kubectl skips it; a NUL byte anywhere is an error (the YAML
/// parser would take it for the end of the text and silently drop the rest).
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<Document>, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        let line = 1 + before.matches('\n').count();
        let column = 1 + before.rsplit('\n').next().unwrap_or("").chars().count();
        return Err(ConfigError::at_column(
            file,
            line_u32(line),
            line_u32(column),
            "the file contains a NUL byte: not a YAML or JSON text file",
        ));
    }
    let roots = events::parse_nodes(file, text)?;
    let mut docs = Vec::new();
    for root in roots {
        flatten_list(file, root, &mut docs)?;
    }
    Ok(docs)
}

/// Read a user's file as UTF-8 text: the one place any meshtwin input file is read.
///
/// Only a regular file (or a link to one) is read, and only when its size, checked before it
/// is opened, is at most [`MAX_FILE_BYTES`]: a device such as `/dev/zero` would never end
/// and a FIFO would block forever, so neither is opened. The read itself stops one byte past
/// the limit, in case the file grows meanwhile. Errors are located at the file (line 1, or
/// the line of the first byte that is not UTF-8) and never quote its content.
pub fn read_file(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read as _;
    let file = path.display().to_string();
    let cannot = |why: String| ConfigError::file(&file, 1, format!("cannot read file: {why}"));
    let io = |e: std::io::Error| cannot(io_message(&e));
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(cannot("Is a directory".into()));
    }
    if !meta.is_file() {
        return Err(cannot("not a regular file".into()));
    }
    let too_big = || {
        cannot(format!(
            "larger than the {} MiB limit for an input file",
            MAX_FILE_BYTES >> 20
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        ConfigError::file(&file, line_u32(line), "file is not valid UTF-8")
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

pub(crate) fn line_u32(line: usize) -> u32 {
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
            column: None,
            object: Some("List".into()),
            path: Some("items".into()),
            message: format!("expected a list, found {}", other.describe()),
        }),
    }
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
    fn values_print_as_written() {
        let d = &docs("a: 3m\nb: 1\nc: {unit: s, value: 10}\nd: [1, x]\ne: 0.5\n")[0];
        let Value::Map(m) = &d.root.value else {
            panic!()
        };
        let texts: Vec<String> = m.values().map(|n| n.value.text()).collect();
        assert_eq!(texts, ["3m", "1", "{unit: s, value: 10}", "[1, x]", "0.5"]);
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
    fn merge_keys_bring_in_the_keys_the_map_does_not_write_itself() {
        let text = "\
defaults: &d {maxConnections: 1, http1MaxPendingRequests: 1}
more: &m {maxConnections: 9, maxRetries: 3}
pool:
  maxConnections: 5
  <<: [*d, *m]
after:
  <<: *d
  http1MaxPendingRequests: 7
";
        let d = &docs(text)[0];
        let Value::Map(m) = &d.root.value else {
            panic!()
        };
        let get = |section: &str, key: &str| match &m[section].value {
            Value::Map(s) => s.get(key).map(|n| n.value.clone()),
            _ => None,
        };
        assert_eq!(
            get("pool", "maxConnections"),
            Some(Value::Int(5)),
            "own key wins"
        );
        assert_eq!(get("pool", "http1MaxPendingRequests"), Some(Value::Int(1)));
        assert_eq!(
            get("pool", "maxRetries"),
            Some(Value::Int(3)),
            "later sources fill gaps"
        );
        assert_eq!(
            get("after", "http1MaxPendingRequests"),
            Some(Value::Int(7)),
            "a key after the merge replaces"
        );
        assert_eq!(get("pool", "<<"), None, "the merge key itself is gone");
        let bad = parse_documents("x.yaml", "a: {<<: 3}\n")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("a merge key (`<<`) takes a mapping"), "{bad}");
    }

    #[test]
    fn io_messages_drop_the_os_error_number() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&e), "No such file or directory");
    }
}
