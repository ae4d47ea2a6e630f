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

fn strength(domain: &str, host: &str) -> Option<Strength> {
    let domain = domain.to_ascii_lowercase();
    if domain == "*" {
        return Some(Strength::Any);
    }
    if let Some(suffix) = domain.strip_prefix('*') {
        return (host.len() > suffix.len() && host.ends_with(suffix))
            .then_some(Strength::Suffix(suffix.len()));
    }
    if let Some(prefix) = domain.strip_suffix('*') {
        return (host.len() > prefix.len() && host.starts_with(prefix))
            .then_some(Strength::Prefix(prefix.len()));
    }
    (domain == host).then_some(Strength::Exact)
}

/// The virtual host serving `authority`, if any.
pub fn select_virtual_host<'a>(
    vhosts: &'a [VirtualHost],
    authority: &str,
) -> Option<&'a VirtualHost> {
    let host = authority.to_ascii_lowercase();
    let mut best: Option<(Strength, &VirtualHost)> = None;
    for vh in vhosts {
        for domain in &vh.domains {
            if let Some(s) = strength(domain, &host) {
                // Strictly stronger only: on a tie the earlier virtual host keeps it.
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, vh));
                }
            }
        }
    }
    best.map(|(_, vh)| vh)
}
