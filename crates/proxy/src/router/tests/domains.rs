//! Virtual-host selection: exact, then longest `*.suffix`, then longest `prefix.*`, then `*`.

use super::Req;
use crate::router::config::{Action, Route, RouteAction, RouteTable, VirtualHost};
use crate::router::matcher::RouteMatch;

fn vh(name: &str, domains: &[&str]) -> VirtualHost {
    VirtualHost {
        name: name.into(),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        routes: vec![Route {
            name: name.into(),
            matcher: RouteMatch::prefix("/"),
            action: Action::Route(RouteAction::to_cluster(name)),
            fault: None,
        }],
    }
}

fn table() -> Vec<VirtualHost> {
    vec![
        vh("any", &["*"]),
        vh("prefix", &["api.*"]),
        vh("longer-prefix", &["api.example.*"]),
        vh("suffix", &["*.com"]),
        vh("longer-suffix", &["*.example.com"]),
        vh("exact", &["api.example.com", "api.example.com:8080"]),
    ]
}

fn pick(authority: &str) -> String {
    RouteTable::new(table())
        .virtual_host(authority)
        .map(|v| v.name.clone())
        .unwrap_or_default()
}

#[test]
fn an_exact_domain_beats_every_wildcard() {
    assert_eq!(pick("api.example.com"), "exact");
    assert_eq!(
        pick("API.Example.COM"),
        "exact",
        "domains compare case-insensitively"
    );
    assert_eq!(pick("api.example.com:8080"), "exact");
}

#[test]
fn the_longest_suffix_wildcard_beats_shorter_suffixes_and_every_prefix_wildcard() {
    assert_eq!(pick("www.example.com"), "longer-suffix");
    assert_eq!(
        pick("api.example.com:9090"),
        "longer-prefix",
        "the port defeats *.com"
    );
    assert_eq!(pick("api.other.com"), "suffix", "*.com beats api.*");
}

#[test]
fn the_longest_prefix_wildcard_beats_the_catch_all() {
    assert_eq!(pick("api.example.org"), "longer-prefix");
    assert_eq!(pick("api.internal"), "prefix");
    assert_eq!(pick("ratings:9080"), "any");
}

#[test]
fn a_wildcard_stands_for_at_least_one_character() {
    assert_eq!(pick(".com"), "any", "*.com needs something before .com");
    assert_eq!(pick("api."), "any", "api.* needs something after api.");
}

#[test]
fn without_a_catch_all_an_unknown_authority_has_no_virtual_host() {
    let t = RouteTable::new(vec![vh("httpbin", &["httpbin", "httpbin:8000"])]);
    let mut r = Req::get("/get");
    r.authority = "httpbin:8000";
    assert_eq!(t.route(&r.head()).unwrap().0.name, "httpbin");
    r.authority = "ratings:9080";
    assert!(t.route(&r.head()).is_none());
}

#[test]
fn the_first_virtual_host_listing_a_domain_keeps_it() {
    let t = RouteTable::new(vec![vh("first", &["reviews"]), vh("second", &["reviews"])]);
    assert_eq!(t.virtual_host("reviews").unwrap().name, "first");
    let t = RouteTable::new(vec![vh("first", &["*.com"]), vh("second", &["*.COM"])]);
    assert_eq!(
        t.virtual_host("a.com").unwrap().name,
        "first",
        "also a wildcard"
    );
}

/// The rule stated plainly, domain by domain over every virtual host: the strongest match
/// wins (exact, then suffix by length, then prefix by length, then `*`), the earlier virtual
/// host on a tie.
fn scan<'a>(vhosts: &'a [VirtualHost], host: &str) -> Option<&'a str> {
    let strength = |d: &str| -> Option<(u8, usize)> {
        let (d, h) = (d.to_ascii_lowercase(), host.to_ascii_lowercase());
        if d == "*" {
            Some((0, 0))
        } else if let Some(s) = d.strip_prefix('*') {
            (h.len() > s.len() && h.ends_with(s)).then_some((2, s.len()))
        } else if let Some(p) = d.strip_suffix('*') {
            (h.len() > p.len() && h.starts_with(p)).then_some((1, p.len()))
        } else {
            (d == h).then_some((3, 0))
        }
    };
    let mut best: Option<((u8, usize), &str)> = None;
    for vh in vhosts {
        for s in vh.domains.iter().filter_map(|d| strength(d)) {
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, &vh.name));
            }
        }
    }
    best.map(|(_, name)| name)
}

#[test]
fn the_index_picks_what_a_scan_of_every_domain_picks() {
    let vhosts = vec![
        vh(
            "reviews",
            &[
                "reviews",
                "reviews:9080",
                "reviews.default.svc.cluster.local",
            ],
        ),
        vh("ratings", &["Ratings", "ratings:9080", "*.ratings.default"]),
        vh("shadow", &["reviews", "*.default", "*-canary.default"]),
        vh("api", &["api.*", "api.v2.*", "*.default.svc.cluster.local"]),
        vh("prefix-tie", &["api.*"]),
        vh("any", &["*"]),
        vh("late-any", &["*", "late"]),
    ];
    let table = RouteTable::new(vhosts.clone());
    let mut hosts = vec![String::new(), "*".to_string(), ".default".to_string()];
    for domain in vhosts.iter().flat_map(|v| &v.domains) {
        let bare = domain.trim_matches('*');
        for h in [
            bare.to_string(),
            bare.to_ascii_uppercase(),
            format!("x{bare}"),
            format!("{bare}x"),
            format!("{bare}:8080"),
            format!("a.b{bare}"),
            bare[..bare.len() / 2].to_string(),
        ] {
            hosts.push(h);
        }
    }
    assert!(hosts.len() > 100);
    for h in &hosts {
        let indexed = table.virtual_host(h).map(|v| v.name.as_str());
        assert_eq!(indexed, scan(&vhosts, h), "authority {h:?}");
    }
    let without_any = RouteTable::new(vhosts[..5].to_vec());
    for h in &hosts {
        let indexed = without_any.virtual_host(h).map(|v| v.name.as_str());
        assert_eq!(
            indexed,
            scan(&vhosts[..5], h),
            "authority {h:?}, no catch-all"
        );
    }
}
