//! Virtual-host selection by `:authority` (`source/common/router/config_impl.cc`
//! `RouteMatcher::findVirtualHost`): an exact domain first, then the longest suffix wildcard
//! (`*.foo.com`, `*-bar.foo.com`), then the longest prefix wildcard (`foo.*`), then `*`.
//! Domains compare case-insensitively; the authority is matched as given (with its port, if
//! any — Istio lists both `host` and `host:port`). A wildcard stands for at least one
//! character. When two virtual hosts list the same domain the first one wins (Envoy rejects
//! such a table).
//!
//! Like Envoy's `RouteMatcher` (a hash map of exact domains, and wildcard maps keyed by
//! length, longest first), the table is indexed once when it is built: a request looks up its
//! authority among the sorted exact domains and tries only the wildcards, instead of comparing
//! every domain of every virtual host.

use std::cmp::Ordering;

/// The domains of a route table's virtual hosts, indexed for lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainIndex {
    /// Lowercased exact domains, sorted, each with the first virtual host that lists it.
    exact: Vec<(Box<str>, u32)>,
    /// Lowercased suffixes of `*suffix` domains, longest first, then in listing order.
    suffixes: Vec<(Box<str>, u32)>,
    /// Lowercased prefixes of `prefix*` domains, longest first, then in listing order.
    prefixes: Vec<(Box<str>, u32)>,
    /// The first virtual host listing `*`.
    any: Option<u32>,
}

/// `a` against `b` ignoring ASCII case: `a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())`
/// without the copies.
fn cmp_ignore_ascii_case(a: &[u8], b: &[u8]) -> Ordering {
    (a.iter().map(u8::to_ascii_lowercase)).cmp(b.iter().map(u8::to_ascii_lowercase))
}

impl DomainIndex {
    /// The index of virtual hosts given, in order, by their domains.
    pub fn new<'a, I, D>(virtual_hosts: I) -> Self
    where
        I: IntoIterator<Item = D>,
        D: IntoIterator<Item = &'a str>,
    {
        let mut index = Self::default();
        for (vh, domains) in (0u32..).zip(virtual_hosts) {
            for domain in domains {
                let lower: Box<str> = domain.to_ascii_lowercase().into();
                if &*lower == "*" {
                    index.any.get_or_insert(vh);
                } else if let Some(suffix) = lower.strip_prefix('*') {
                    index.suffixes.push((suffix.into(), vh));
                } else if let Some(prefix) = lower.strip_suffix('*') {
                    index.prefixes.push((prefix.into(), vh));
                } else {
                    index.exact.push((lower, vh));
                }
            }
        }
        // Stable sorts: among equal domains (and equal lengths) the first listing stays first.
        index.exact.sort_by(|a, b| a.0.cmp(&b.0));
        index.exact.dedup_by(|later, first| later.0 == first.0);
        index
            .suffixes
            .sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        index
            .prefixes
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        index
    }

    /// The position of the virtual host serving `authority`, if any.
    pub fn find(&self, authority: &str) -> Option<usize> {
        let host = authority.as_bytes();
        if let Ok(i) =
            (self.exact).binary_search_by(|(d, _)| cmp_ignore_ascii_case(d.as_bytes(), host))
        {
            return Some(self.exact[i].1 as usize);
        }
        let suffix = self.suffixes.iter().find(|(s, _)| {
            let s = s.as_bytes();
            host.len() > s.len() && host[host.len() - s.len()..].eq_ignore_ascii_case(s)
        });
        let prefix = || {
            self.prefixes.iter().find(|(p, _)| {
                let p = p.as_bytes();
                host.len() > p.len() && host[..p.len()].eq_ignore_ascii_case(p)
            })
        };
        (suffix.or_else(prefix).map(|(_, vh)| *vh))
            .or(self.any)
            .map(|vh| vh as usize)
    }
}
