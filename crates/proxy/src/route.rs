//! Virtual-host and route matching (spec §6.1, reduced to domain + path prefix for now).

use crate::config::{Route, VirtualHost};

/// Pick the virtual host for an authority: exact domain first, then `*`. The authority is
/// matched with and without its port.
pub fn select_virtual_host<'a>(
    vhosts: &'a [VirtualHost],
    authority: &str,
) -> Option<&'a VirtualHost> {
    let authority = authority.to_ascii_lowercase();
    let bare = authority.split(':').next().unwrap_or("");
    vhosts
        .iter()
        .find(|v| v.domains.contains(&authority))
        .or_else(|| vhosts.iter().find(|v| v.domains.iter().any(|d| d == bare)))
        .or_else(|| vhosts.iter().find(|v| v.domains.iter().any(|d| d == "*")))
}

/// The first route whose prefix matches the path.
pub fn select_route<'a>(vhost: &'a VirtualHost, path: &str) -> Option<&'a Route> {
    vhost.routes.iter().find(|r| path.starts_with(&r.prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vh(name: &str, domains: &[&str]) -> VirtualHost {
        VirtualHost {
            name: name.into(),
            domains: domains.iter().map(|d| d.to_string()).collect(),
            routes: vec![Route {
                prefix: "/".into(),
                cluster: name.into(),
            }],
        }
    }

    #[test]
    fn exact_domain_wins_over_wildcard() {
        let v = [
            vh("any", &["*"]),
            vh("httpbin", &["httpbin:8000", "httpbin"]),
        ];
        assert_eq!(
            select_virtual_host(&v, "httpbin:8000").unwrap().name,
            "httpbin"
        );
        assert_eq!(select_virtual_host(&v, "HTTPBIN").unwrap().name, "httpbin");
        assert_eq!(select_virtual_host(&v, "other").unwrap().name, "any");
    }

    #[test]
    fn no_virtual_host_without_wildcard() {
        let v = [vh("httpbin", &["httpbin"])];
        assert!(select_virtual_host(&v, "ratings:9080").is_none());
    }
}
