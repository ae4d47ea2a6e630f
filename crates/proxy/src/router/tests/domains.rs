//! Virtual-host selection: exact, then longest `*.suffix`, then longest `prefix.*`, then `*`.

use super::Req;
use crate::router::config::{Action, Route, RouteAction, RouteTable, VirtualHost};
use crate::router::domains::select_virtual_host;
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
    select_virtual_host(&table(), authority)
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
    let t = RouteTable {
        virtual_hosts: vec![vh("httpbin", &["httpbin", "httpbin:8000"])],
    };
    let mut r = Req::get("/get");
    r.authority = "httpbin:8000";
    assert_eq!(t.route(&r.head()).unwrap().0.name, "httpbin");
    r.authority = "ratings:9080";
    assert!(t.route(&r.head()).is_none());
}

#[test]
fn the_first_virtual_host_listing_a_domain_keeps_it() {
    let t = vec![vh("first", &["reviews"]), vh("second", &["reviews"])];
    assert_eq!(select_virtual_host(&t, "reviews").unwrap().name, "first");
}
