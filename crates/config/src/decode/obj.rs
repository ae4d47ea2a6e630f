//! [`Obj`]: an open mapping whose keys have been checked against the fields it may have.

use indexmap::IndexMap;

use super::{join, Result, Val};
use crate::error::ConfigError;
use crate::source::{Node, Value};

/// An open mapping whose keys have been checked against a known list.
#[derive(Debug, Clone)]
pub struct Obj<'a> {
    pub val: Val<'a>,
    pub(super) entries: &'a IndexMap<String, Node>,
}

impl<'a> Obj<'a> {
    /// A field, `None` when absent or `null`.
    pub fn get(&self, key: &str) -> Option<Val<'a>> {
        let node = self.entries.get(key)?;
        if node.value == Value::Null {
            return None;
        }
        Some(Val {
            node,
            path: join(&self.val.path, key),
            ctx: self.val.ctx,
        })
    }

    /// Where a present field was written (see [`Val::origin`]).
    pub fn origin(&self, key: &str) -> Option<meshtwin_model::origin::Origin> {
        self.get(key).map(|v| v.origin())
    }

    /// A required field.
    pub fn req(&self, key: &str) -> Result<Val<'a>> {
        self.get(key)
            .ok_or_else(|| self.val.error(format!("missing field `{key}`")))
    }

    /// Whether a field is present (and not `null`).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// An optional field decoded by `f`.
    pub fn opt<T>(&self, key: &str, f: impl FnOnce(&Val<'a>) -> Result<T>) -> Result<Option<T>> {
        self.get(key).map(|v| f(&v)).transpose()
    }

    /// A required string field that is not empty.
    pub fn req_name(&self, key: &str) -> Result<&'a str> {
        self.req(key)?.name()
    }

    /// An optional list (absent = empty).
    pub fn list(&self, key: &str) -> Result<Vec<Val<'a>>> {
        Ok(match self.get(key) {
            Some(v) => v.seq()?,
            None => Vec::new(),
        })
    }

    /// The line of the mapping itself.
    pub fn line(&self) -> u32 {
        self.val.line()
    }

    /// An error about the mapping as a whole.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        self.val.error(message)
    }

    /// Warn that field `key`, when present, is read but not modelled: `ignored: not modelled
    /// (why)`. An empty list or mapping configures nothing and is not warned about. Returns
    /// the field, so that a caller may still type-check it.
    pub fn ignored(&self, key: &str, why: &str) -> Option<Val<'a>> {
        let v = self.get(key)?;
        let empty = match &v.node.value {
            Value::Seq(items) => items.is_empty(),
            Value::Map(entries) => entries.is_empty(),
            _ => false,
        };
        if !empty {
            v.warn(format!("ignored: not modelled ({why})"));
        }
        Some(v)
    }

    /// The present keys among `keys`, in file order.
    pub fn present(&self, keys: &[&str]) -> Vec<&'a str> {
        self.entries
            .iter()
            .filter(|(k, n)| keys.contains(&k.as_str()) && n.value != Value::Null)
            .map(|(k, _)| k.as_str())
            .collect()
    }
}
