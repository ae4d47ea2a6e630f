//! Value matchers shared by routes and retry policies: Envoy's `StringMatcher`,
//! `HeaderMatcher` (with `invert_match` and `treat_missing_header_as_empty`) and
//! `QueryParameterMatcher`.

use http::HeaderMap;
use regex::Regex;

/// A regex that must match the whole value (Envoy `safe_regex`, RE2 full match).
#[derive(Debug, Clone)]
pub struct FullRegex {
    pattern: String,
    compiled: Regex,
}

impl FullRegex {
    /// Compile `pattern` anchored at both ends.
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            pattern: pattern.to_string(),
            compiled: Regex::new(&format!("^(?:{pattern})$"))?,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    pub fn is_match(&self, value: &str) -> bool {
        self.compiled.is_match(value)
    }
}

impl PartialEq for FullRegex {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

/// How a present value must look.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueMatch {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    Regex(FullRegex),
}

impl ValueMatch {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ValueMatch::Exact(s) => value == s,
            ValueMatch::Prefix(s) => value.starts_with(s.as_str()),
            ValueMatch::Suffix(s) => value.ends_with(s.as_str()),
            ValueMatch::Contains(s) => value.contains(s.as_str()),
            ValueMatch::Regex(r) => r.is_match(value),
        }
    }
}

/// A header condition's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderMatch {
    Value(ValueMatch),
    /// `present_match: true` (the header is there) or `false` (it is not).
    Present(bool),
}

/// Envoy's `HeaderMatcher`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderMatcher {
    /// Lower-case header name; `:method`, `:authority`, `:scheme`, `:path` are pseudo-headers.
    pub name: String,
    pub kind: HeaderMatch,
    pub invert: bool,
    pub treat_missing_as_empty: bool,
}

impl HeaderMatcher {
    /// A header that must satisfy `m`.
    pub fn value(name: &str, m: ValueMatch) -> Self {
        Self::new(name, HeaderMatch::Value(m))
    }

    /// A header that must be present.
    pub fn present(name: &str) -> Self {
        Self::new(name, HeaderMatch::Present(true))
    }

    /// A header that must be absent.
    pub fn absent(name: &str) -> Self {
        Self::new(name, HeaderMatch::Present(false))
    }

    fn new(name: &str, kind: HeaderMatch) -> Self {
        Self {
            name: name.to_ascii_lowercase(),
            kind,
            invert: false,
            treat_missing_as_empty: false,
        }
    }

    /// The same matcher with `invert_match: true`.
    pub fn inverted(mut self) -> Self {
        self.invert = !self.invert;
        self
    }

    /// Whether the header's value (`None` = absent) satisfies the matcher. As in Envoy's
    /// `matchHeaders`, an absent header only satisfies presence matchers — an inverted value
    /// matcher does **not** match a missing header unless `treat_missing_as_empty`.
    pub fn matches_value(&self, value: Option<&str>) -> bool {
        let value = match (value, self.treat_missing_as_empty) {
            (Some(v), _) => v,
            (None, true) => "",
            (None, false) => {
                return matches!(self.kind, HeaderMatch::Present(present) if present == self.invert)
            }
        };
        let matched = match &self.kind {
            HeaderMatch::Value(m) => m.matches(value),
            HeaderMatch::Present(present) => *present,
        };
        matched != self.invert
    }

    /// Match against a header map (e.g. a response's headers, for `retriable_headers`).
    pub fn matches(&self, headers: &HeaderMap) -> bool {
        self.matches_value(super::matcher::joined(headers, &self.name).as_deref())
    }
}

/// Envoy's `QueryParameterMatcher`: the first value of `name` must satisfy `value`
/// (`None` = `present_match`); a missing parameter never matches.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryParamMatcher {
    pub name: String,
    pub value: Option<ValueMatch>,
}

impl QueryParamMatcher {
    pub fn matches(&self, value: Option<&str>) -> bool {
        match (value, &self.value) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(v), Some(m)) => m.matches(v),
        }
    }
}
