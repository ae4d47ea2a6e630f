//! Typed, located reading of a [`Node`] tree: every getter knows the field path and line, so
//! every mistake becomes a [`ConfigError`] pointing at the field.
//!
//! [`Val`] is a value at a path; [`Val::map`] opens a mapping and rejects keys that are not in
//! the given list (unknown fields are errors); [`Obj::get`] / [`Obj::req`] fetch fields
//! (a `null` value counts as absent). Nothing here panics on any input.
//! [`Ctx`] carries the file and object every error names, and the [`Warnings`] every
//! warning goes to ([`Val::warn`], [`Obj::ignored`]).

use crate::error::ConfigError;
use crate::source::Node;
use crate::warning::{ConfigWarning, Warnings};

mod obj;
mod val;

pub use obj::Obj;
pub use val::Val;

/// Result of decoding.
pub type Result<T> = std::result::Result<T, ConfigError>;

/// Where errors and warnings go: the file and, once known, the object
/// (`DestinationRule httpbin`).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub file: String,
    pub object: Option<String>,
    /// Shared with every context derived by [`Ctx::with_object`].
    pub warnings: Warnings,
}

impl Ctx {
    /// A context for `file` with no object yet and no warnings.
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            object: None,
            warnings: Warnings::default(),
        }
    }

    /// The same file (and warnings), errors attributed to `object`.
    pub fn with_object(&self, object: impl Into<String>) -> Self {
        Self {
            file: self.file.clone(),
            object: Some(object.into()),
            warnings: self.warnings.clone(),
        }
    }

    /// Record a warning at `line`, field `path`.
    pub fn warn(&self, line: u32, path: &str, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            file: self.file.clone(),
            line,
            object: self.object.clone(),
            path: (!path.is_empty()).then(|| path.to_string()),
            message: message.into(),
        });
    }

    /// Every warning recorded in this file so far, leaving none.
    pub fn take_warnings(&self) -> Vec<ConfigWarning> {
        self.warnings.take()
    }

    /// An error at `line`, field `path`.
    pub fn error(&self, line: u32, path: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line,
            column: None,
            object: self.object.clone(),
            path: (!path.is_empty()).then(|| path.to_string()),
            message: message.into(),
        }
    }

    /// The root of a document, as a value at the empty path.
    pub fn root<'a>(&'a self, node: &'a Node) -> Val<'a> {
        Val {
            node,
            path: String::new(),
            ctx: self,
        }
    }
}

/// `a.b` + `c` → `a.b.c`; `` + `c` → `c`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
