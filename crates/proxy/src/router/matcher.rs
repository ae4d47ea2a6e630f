//! Route matching (`source/common/router/config_impl.cc` `RouteEntryImplBase::matchRoute`): a route matches when its path specifier matches AND every
//! header matcher AND every query-parameter matcher match — plus the port and source labels
//! Istio decides per proxy, checked here against the request's context.

use std::borrow::Cow;
use std::collections::BTreeMap;

use http::HeaderMap;

pub use super::values::{FullRegex, HeaderMatch, HeaderMatcher, QueryParamMatcher, ValueMatch};

/// What matching looks at in one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    pub method: &'a str,
    pub authority: &'a str,
    pub scheme: &'a str,
    /// `:path`, query string included.
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    /// The port the request was sent to (the listener / service port).
    pub port: u16,
    /// Labels of the workload that sent the request.
    pub source_labels: &'a BTreeMap<String, String>,
}

impl<'a> RequestHead<'a> {
    /// A header's value: pseudo-headers from the request line, others all values joined
    /// with `,` (Envoy's `getAllOfHeaderAsString`); `None` when absent.
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        match name {
            ":method" => Some(Cow::Borrowed(self.method)),
            ":authority" | "host" if !self.authority.is_empty() => {
                Some(Cow::Borrowed(self.authority))
            }
            ":scheme" => Some(Cow::Borrowed(self.scheme)),
            ":path" => Some(Cow::Borrowed(self.path)),
            _ => joined(self.headers, name).map(Cow::Owned),
        }
    }

    /// The path without query string or fragment.
    pub fn path_only(&self) -> &'a str {
        let end = self.path.find(['?', '#']).unwrap_or(self.path.len());
        &self.path[..end]
    }

    /// The first value of query parameter `name` (not percent-decoded).
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        let query = self.path.split_once('?')?.1;
        let query = query.split('#').next().unwrap_or("");
        query
            .split('&')
            .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// All values of a header joined with `,`, or `None` when absent.
pub fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let parts: Vec<Cow<'_, str>> = values
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect();
    Some(parts.join(","))
}

/// Envoy's path specifier.
#[derive(Debug, Clone, PartialEq)]
pub enum PathMatcher {
    /// Plain string prefix (`/foo` matches `/foobar`).
    Prefix(String),
    /// The whole path.
    Exact(String),
    /// Full regex match of the path.
    Regex(FullRegex),
}

/// A route's match conditions.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch {
    pub path: PathMatcher,
    /// Applies to `Prefix` and `Exact` (Envoy default `true`).
    pub case_sensitive: bool,
    pub headers: Vec<HeaderMatcher>,
    pub query_params: Vec<QueryParamMatcher>,
    /// Only requests sent to this port.
    pub port: Option<u16>,
    /// Only requests from workloads carrying all these labels.
    pub source_labels: BTreeMap<String, String>,
}

impl RouteMatch {
    /// Match every request whose path starts with `prefix`.
    pub fn prefix(prefix: &str) -> Self {
        Self::path(PathMatcher::Prefix(prefix.to_string()))
    }

    /// Match on the path only.
    pub fn path(path: PathMatcher) -> Self {
        Self {
            path,
            case_sensitive: true,
            headers: Vec::new(),
            query_params: Vec::new(),
            port: None,
            source_labels: BTreeMap::new(),
        }
    }

    /// The same match with one more header condition.
    pub fn with_header(mut self, h: HeaderMatcher) -> Self {
        self.headers.push(h);
        self
    }

    /// Whether `req` satisfies every condition.
    pub fn matches(&self, req: &RequestHead<'_>) -> bool {
        self.port.is_none_or(|p| p == req.port)
            && self
                .source_labels
                .iter()
                .all(|(k, v)| req.source_labels.get(k) == Some(v))
            && self.path_matches(req.path_only())
            && self
                .headers
                .iter()
                .all(|h| h.matches_value(req.header(&h.name).as_deref()))
            && self
                .query_params
                .iter()
                .all(|q| q.matches(req.query_param(&q.name)))
    }

    fn path_matches(&self, path: &str) -> bool {
        match (&self.path, self.case_sensitive) {
            (PathMatcher::Prefix(p), true) => path.starts_with(p.as_str()),
            (PathMatcher::Prefix(p), false) => path
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p)),
            (PathMatcher::Exact(p), true) => path == p,
            (PathMatcher::Exact(p), false) => path.eq_ignore_ascii_case(p),
            (PathMatcher::Regex(r), _) => r.is_match(path),
        }
    }
}
