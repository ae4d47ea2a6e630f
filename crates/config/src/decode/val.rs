//! [`Val`]: a value at a field path, read as the type the field needs.

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::origin::Origin;

use super::{join, Ctx, Obj, Result};
use crate::error::ConfigError;
use crate::source::{Node, Value};

/// A value at a field path.
#[derive(Debug, Clone)]
pub struct Val<'a> {
    pub node: &'a Node,
    pub path: String,
    pub ctx: &'a Ctx,
}

impl<'a> Val<'a> {
    /// 1-based line of the value (of its key, inside a mapping).
    pub fn line(&self) -> u32 {
        self.node.line
    }

    /// Where this value was written and its text, for reports that cite the setting.
    pub fn origin(&self) -> Origin {
        Origin::written(
            &self.ctx.file,
            self.node.line,
            &self.path,
            self.node.value.text(),
        )
    }

    /// An error about this value.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        self.ctx.error(self.node.line, &self.path, message)
    }

    /// Record a warning about this value (see [`crate::warning`]).
    pub fn warn(&self, message: impl Into<String>) {
        self.ctx.warn(self.node.line, &self.path, message);
    }

    /// `expected X, found Y`. At a document's root only the kind of value is named: a file
    /// that is not what it should be has its content kept out of the message.
    fn expected(&self, what: &str) -> ConfigError {
        let found = if self.path.is_empty() {
            self.node.value.kind_name().to_string()
        } else {
            self.node.value.describe()
        };
        self.error(format!("expected {what}, found {found}"))
    }

    fn child(&self, node: &'a Node, path: String) -> Val<'a> {
        Val {
            node,
            path,
            ctx: self.ctx,
        }
    }

    /// Open a mapping whose keys must all be in `known`.
    pub fn map(&self, known: &'static [&'static str]) -> Result<Obj<'a>> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.expected("a mapping"));
        };
        if let Some((key, node)) = entries.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            let path = join(&self.path, &crate::names::shorten(key));
            let message = if known.is_empty() {
                "unknown field (no fields are allowed here)".to_string()
            } else {
                format!(
                    "unknown field{} (expected one of: {})",
                    crate::suggest::nearest(key, known.iter().copied())
                        .map_or_else(String::new, |n| format!("; did you mean {n}?")),
                    known.join(", ")
                )
            };
            return Err(self.ctx.error(node.line, &path, message));
        }
        Ok(Obj {
            val: self.clone(),
            entries,
        })
    }

    /// A mapping with any keys (labels, headers), in file order.
    pub fn entries(&self) -> Result<Vec<(&'a str, Val<'a>)>> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.expected("a mapping"));
        };
        Ok(entries
            .iter()
            .map(|(k, n)| (k.as_str(), self.child(n, join(&self.path, k))))
            .collect())
    }

    /// A list's items.
    pub fn seq(&self) -> Result<Vec<Val<'a>>> {
        let Value::Seq(items) = &self.node.value else {
            return Err(self.expected("a list"));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, n)| self.child(n, format!("{}[{i}]", self.path)))
            .collect())
    }

    /// A string.
    pub fn str(&self) -> Result<&'a str> {
        match &self.node.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    /// A string that is not empty.
    pub fn name(&self) -> Result<&'a str> {
        let s = self.str()?;
        if s.trim().is_empty() {
            return Err(self.error("must not be empty"));
        }
        Ok(s)
    }

    /// An integer.
    pub fn int(&self) -> Result<i64> {
        match &self.node.value {
            Value::Int(i) => Ok(*i),
            _ => Err(self.expected("an integer")),
        }
    }

    /// An integer in `min..=max` (message names the bounds).
    pub fn int_in(&self, min: i64, max: i64) -> Result<i64> {
        let i = self.int()?;
        if i < min {
            return Err(self.error(if min == 1 {
                "must be > 0".to_string()
            } else {
                format!("must be >= {min}")
            }));
        }
        if i > max {
            return Err(self.error(format!("must be <= {max}")));
        }
        Ok(i)
    }

    /// An integer ≥ 1 that fits `u32` (or the given max).
    pub fn positive_u32(&self, max: u32) -> Result<u32> {
        Ok(u32::try_from(self.int_in(1, i64::from(max))?).unwrap_or(max))
    }

    /// An integer in `min..=max` as `u32`.
    pub fn u32_in(&self, min: u32, max: u32) -> Result<u32> {
        Ok(u32::try_from(self.int_in(i64::from(min), i64::from(max))?).unwrap_or(max))
    }

    /// A number (integer or float), finite.
    pub fn number(&self) -> Result<f64> {
        let f = match &self.node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            _ => return Err(self.expected("a number")),
        };
        if !f.is_finite() {
            return Err(self.error("must be a finite number"));
        }
        Ok(f)
    }

    /// `true` or `false`.
    pub fn bool(&self) -> Result<bool> {
        match &self.node.value {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.expected("true or false")),
        }
    }

    /// A duration string like `1s`, `3m`, `100ms`, `1.5s`, `1h30m` (see [`crate::duration`]).
    pub fn duration(&self) -> Result<Duration> {
        let s = match &self.node.value {
            Value::Str(s) => s.as_str(),
            Value::Int(0) => "0",
            _ => return Err(self.expected("a duration like 1s, 100ms or 3m")),
        };
        crate::duration::parse(s).map_err(|e| self.error(e))
    }

    /// A duration that is at least 1 ms.
    pub fn positive_duration(&self) -> Result<Duration> {
        let d = self.duration()?;
        if d < Duration::from_millis(1) {
            return Err(self.error("must be at least 1ms"));
        }
        Ok(d)
    }

    /// A mapping of strings to strings (labels, selectors, headers).
    pub fn string_map(&self) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for (k, v) in self.entries()? {
            out.insert(k.to_string(), v.str()?.to_string());
        }
        Ok(out)
    }

    /// A list of strings.
    pub fn strings(&self) -> Result<Vec<String>> {
        self.seq()?
            .iter()
            .map(|v| v.str().map(str::to_string))
            .collect()
    }

    /// One of the given words.
    pub fn one_of(&self, words: &[&str]) -> Result<&'a str> {
        let s = self.str()?;
        if !words.contains(&s) {
            return Err(self.error(format!(
                "unknown value {s:?} (expected one of: {})",
                words.join(", ")
            )));
        }
        Ok(s)
    }
}
