//! Route matching (`source/common/router/config_impl.cc` `RouteEntryImplBase::matchRoute`): each matcher kind, AND across conditions, first match wins.

use super::Req;
use crate::router::config::{Action, Redirect, Route, RouteAction, VirtualHost};
use crate::router::matcher::{
    FullRegex, HeaderMatcher, PathMatcher, QueryParamMatcher, RouteMatch, ValueMatch,
};

fn path(m: PathMatcher, p: &'static str) -> bool {
    RouteMatch::path(m).matches(&Req::get(p).head())
}

fn header(h: HeaderMatcher, req: Req) -> bool {
    RouteMatch::prefix("/").with_header(h).matches(&req.head())
}

fn exact(v: &str) -> ValueMatch {
    ValueMatch::Exact(v.into())
}

#[test]
fn a_prefix_matches_every_path_starting_with_it_whatever_the_query() {
    let p = || PathMatcher::Prefix("/foo".into());
    assert!(path(p(), "/foo"));
    assert!(path(p(), "/foobar"));
    assert!(path(p(), "/foo/x?y=1"));
    assert!(!path(p(), "/fo"));
    assert!(!path(p(), "/bar/foo"));
}

#[test]
fn an_exact_path_ignores_the_query_string_and_nothing_else() {
    let p = || PathMatcher::Exact("/productpage".into());
    assert!(path(p(), "/productpage"));
    assert!(path(p(), "/productpage?u=normal"));
    assert!(!path(p(), "/productpage/"));
    assert!(!path(p(), "/product"));
}

#[test]
fn a_regex_path_must_match_the_whole_path() {
    let p = || PathMatcher::Regex(FullRegex::new("/api/v[0-9]+").unwrap());
    assert!(path(p(), "/api/v1"));
    assert!(path(p(), "/api/v12?x=1"));
    assert!(!path(p(), "/api/v1/users"), "a partial match is no match");
    assert!(!path(p(), "/x/api/v1"));
}

#[test]
fn case_insensitive_routes_ignore_ascii_case_in_prefix_and_exact_paths() {
    let mut m = RouteMatch::prefix("/API");
    assert!(!m.matches(&Req::get("/api/x").head()));
    m.case_sensitive = false;
    assert!(m.matches(&Req::get("/api/x").head()));
    let mut m = RouteMatch::path(PathMatcher::Exact("/Login".into()));
    m.case_sensitive = false;
    assert!(m.matches(&Req::get("/LOGIN").head()));
    assert!(!m.matches(&Req::get("/LOGIN/").head()));
}

#[test]
fn each_header_value_matcher_tests_the_value_its_own_way() {
    let r = || Req::get("/").header("end-user", "jason-smith");
    let cases = [
        (exact("jason-smith"), true),
        (exact("jason"), false),
        (ValueMatch::Prefix("jason".into()), true),
        (ValueMatch::Suffix("smith".into()), true),
        (ValueMatch::Suffix("jason".into()), false),
        (ValueMatch::Contains("n-s".into()), true),
        (ValueMatch::Regex(FullRegex::new("jason-.*").unwrap()), true),
        (ValueMatch::Regex(FullRegex::new("jason").unwrap()), false),
    ];
    for (m, want) in cases {
        assert_eq!(
            header(HeaderMatcher::value("end-user", m.clone()), r()),
            want,
            "{m:?}"
        );
    }
}

#[test]
fn inverting_a_value_matcher_flips_it_for_a_present_header() {
    let h = || HeaderMatcher::value("end-user", exact("jason")).inverted();
    assert!(header(h(), Req::get("/").header("end-user", "mary")));
    assert!(!header(h(), Req::get("/").header("end-user", "jason")));
}

#[test]
fn a_missing_header_fails_value_matchers_even_inverted_ones() {
    assert!(!header(
        HeaderMatcher::value("end-user", exact("jason")),
        Req::get("/")
    ));
    assert!(
        !header(
            HeaderMatcher::value("end-user", exact("jason")).inverted(),
            Req::get("/")
        ),
        "Envoy: an absent header only satisfies presence matchers"
    );
    let mut h = HeaderMatcher::value("end-user", exact("jason")).inverted();
    h.treat_missing_as_empty = true;
    assert!(
        header(h, Req::get("/")),
        "treated as \"\", which is not jason"
    );
}

#[test]
fn present_and_absent_matchers_test_only_whether_the_header_is_there() {
    let with = || Req::get("/").header("x-canary", "");
    assert!(header(HeaderMatcher::present("x-canary"), with()));
    assert!(!header(HeaderMatcher::present("x-canary"), Req::get("/")));
    assert!(header(HeaderMatcher::absent("x-canary"), Req::get("/")));
    assert!(!header(HeaderMatcher::absent("x-canary"), with()));
    assert!(header(
        HeaderMatcher::present("x-canary").inverted(),
        Req::get("/")
    ));
}

#[test]
fn the_method_is_matched_as_the_method_pseudo_header() {
    let h = || HeaderMatcher::value(":method", exact("POST"));
    assert!(!header(h(), Req::get("/")));
    let mut post = Req::get("/");
    post.method = "POST";
    assert!(header(h(), post));
}

#[test]
fn a_repeated_header_is_matched_as_its_values_joined_with_commas() {
    let r = || Req::get("/").header("x-tag", "a").header("x-tag", "b");
    assert!(header(HeaderMatcher::value("x-tag", exact("a,b")), r()));
    assert!(!header(HeaderMatcher::value("x-tag", exact("a")), r()));
}

#[test]
fn query_parameters_match_their_first_value_and_a_missing_one_never_matches() {
    let m = |value| RouteMatch {
        query_params: vec![QueryParamMatcher {
            name: "u".into(),
            value,
        }],
        ..RouteMatch::prefix("/")
    };
    let normal = Req::get("/productpage?u=normal&u=test");
    assert!(m(Some(exact("normal"))).matches(&normal.head()));
    assert!(!m(Some(exact("test"))).matches(&normal.head()));
    assert!(m(None).matches(&normal.head()), "present_match");
    assert!(!m(None).matches(&Req::get("/productpage?v=1").head()));
    assert!(!m(Some(exact(""))).matches(&Req::get("/productpage").head()));
}

#[test]
fn port_and_source_labels_restrict_a_route_to_matching_requests() {
    let mut m = RouteMatch::prefix("/");
    m.port = Some(9080);
    m.source_labels.insert("app".into(), "productpage".into());
    let mut r = Req::get("/");
    assert!(!m.matches(&r.head()), "no source labels");
    r.labels.insert("app".into(), "productpage".into());
    r.labels.insert("version".into(), "v1".into());
    assert!(m.matches(&r.head()), "a superset of the labels matches");
    r.port = 9090;
    assert!(!m.matches(&r.head()));
}

fn route(name: &str, matcher: RouteMatch) -> Route {
    Route {
        name: name.into(),
        matcher,
        action: Action::Route(RouteAction::to_cluster(name)),
        fault: None,
    }
}

/// Bookinfo's `virtual-service-reviews-test-v2`: jason → v2, everyone else → v1.
fn reviews() -> VirtualHost {
    let jason = HeaderMatcher::value("end-user", exact("jason"));
    VirtualHost {
        name: "reviews".into(),
        domains: vec!["reviews".into(), "reviews:9080".into()],
        routes: vec![
            route("v2", RouteMatch::prefix("/").with_header(jason)),
            route("v1", RouteMatch::prefix("/")),
            route("never", RouteMatch::prefix("/")),
        ],
    }
}

#[test]
fn routes_are_tried_in_order_and_the_first_match_wins() {
    let vh = reviews();
    let jason = Req::get("/reviews/0").header("end-user", "jason");
    assert_eq!(vh.route(&jason.head()).unwrap().name, "v2");
    let mary = Req::get("/reviews/0").header("end-user", "mary");
    assert_eq!(vh.route(&mary.head()).unwrap().name, "v1");
}

#[test]
fn a_request_no_route_matches_gets_no_route() {
    let mut vh = reviews();
    vh.routes.retain(|r| r.name == "v2");
    assert!(vh.route(&Req::get("/").head()).is_none());
}

#[test]
fn a_redirect_replaces_only_the_parts_it_names() {
    let r = Req::get("/v1/getProductRatings?id=1");
    let mut redirect = Redirect {
        scheme: None,
        host: None,
        port: None,
        path: Some("/v1/bookRatings".into()),
        code: 301,
    };
    assert_eq!(
        redirect.location(&r.head()),
        "http://reviews:9080/v1/bookRatings"
    );
    redirect.host = Some("newratings.default.svc.cluster.local".into());
    redirect.scheme = Some("https".into());
    assert_eq!(
        redirect.location(&r.head()),
        "https://newratings.default.svc.cluster.local/v1/bookRatings"
    );
    redirect.port = Some(8443);
    redirect.path = None;
    assert_eq!(
        redirect.location(&r.head()),
        "https://newratings.default.svc.cluster.local:8443/v1/getProductRatings?id=1"
    );
}

#[test]
fn a_prefix_rewrite_replaces_what_the_route_matched_and_keeps_the_rest() {
    let action = RouteAction {
        prefix_rewrite: Some("/".into()),
        ..RouteAction::to_cluster("c")
    };
    let under = RouteMatch::prefix("/color1/");
    assert_eq!(action.rewrite_path(&under, "/color1/tell?x=1"), "/tell?x=1");
    let exact = RouteMatch::path(PathMatcher::Exact("/color1".into()));
    assert_eq!(action.rewrite_path(&exact, "/color1?x=1"), "/?x=1");
    let none = RouteAction::to_cluster("c");
    assert_eq!(none.rewrite_path(&under, "/color1/tell"), "/color1/tell");
}
