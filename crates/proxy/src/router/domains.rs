//! Virtual-host selection by `:authority` (`source/common/router/config_impl.cc` `RouteEntryImplBase::matchRoute`): an exact domain first, then the
//! longest suffix wildcard (`*.foo.com`, `*-bar.foo.com`), then the longest prefix wildcard
//! (`foo.*`), then `*`. Domains compare case-insensitively; the authority is matched as given
//! (with its port, if any — Istio lists both `host` and `host:port`). A wildcard stands for
//! at least one character. When two virtual hosts list the same domain the first one wins
//! (Envoy rejects such a table).

use super::config::VirtualHost;

/// How a domain pattern matched, ordered from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Any,
    Prefix(usize),
    Suffix(usize),
    Exact,
}

/// How `domain` matches `host`, both compared ignoring ASCII case (no copy per request).
fn strength(domain: &str, host: &str) -> Option<Strength> {
    let (d, h) = (domain.as_bytes(), host.as_bytes());
    if d == b"*" {
        return Some(Strength::Any);
    }
    if let Some(suffix) = d.strip_prefix(b"*") {
        return (h.len() > suffix.len()
            && h[h.len() - suffix.len()..].eq_ignore_ascii_case(suffix))
        .then_some(Strength::Suffix(suffix.len()));
    }
    if let Some(prefix) = d.strip_suffix(b"*") {
        return (h.len() > prefix.len() && h[..prefix.len()].eq_ignore_ascii_case(prefix))
            .then_some(Strength::Prefix(prefix.len()));
    }
    d.eq_ignore_ascii_case(h).then_some(Strength::Exact)
}

/// The virtual host serving `authority`, if any.
pub fn select_virtual_host<'a>(
    vhosts: &'a [VirtualHost],
    authority: &str,
) -> Option<&'a VirtualHost> {
    let host = authority;
    let mut best: Option<(Strength, &VirtualHost)> = None;
    for vh in vhosts {
        for domain in &vh.domains {
            if let Some(s) = strength(domain, host) {
                // Strictly stronger only: on a tie the earlier virtual host keeps it.
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, vh));
                }
            }
        }
    }
    best.map(|(_, vh)| vh)
}
