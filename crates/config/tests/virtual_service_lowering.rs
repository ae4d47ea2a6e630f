//! VirtualService lowering follows istiod (`source/common/router/config_impl.cc` `RouteEntryImplBase::matchRoute`): matches, weights, retries,
//! faults and mirrors come out as Envoy gets them, with Istio's defaults and version switches.

use std::time::Duration;

use meshtwin_config::policies::parse_policies_with;
use meshtwin_model::release::{IstioRelease, Version};
use meshtwin_model::traffic::http::{HttpAction, HttpRoute, PathMatch, StringMatch};
use meshtwin_model::traffic::{FractionalPercent, IstioCompat, VirtualServicePolicy};

/// istiod's switches in Istio `1.<minor>`.
fn istio(minor: u32) -> IstioCompat {
    IstioRelease::new(Version::new(1, minor)).switches().istio
}

/// Lines 1–7; the rule list starts at line 8.
const HEAD: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n";
const ROUTE: &str = "    route:\n    - destination: {host: reviews, subset: v1}\n";
/// A whole catch-all rule to reviews v1.
const RULE: &str = "  - route:\n    - destination: {host: reviews, subset: v1}\n";

fn vs_with(body: &str, compat: &IstioCompat) -> VirtualServicePolicy {
    let mut p = parse_policies_with("x.yaml", &format!("{HEAD}{body}"), compat)
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    assert_eq!(p.virtual_services.len(), 1);
    p.virtual_services.remove(0)
}

fn vs(body: &str) -> VirtualServicePolicy {
    vs_with(body, &IstioCompat::default())
}

/// The single HTTP rule `rule` (written at `  - `) with a route to reviews v1.
fn rule(rule: &str) -> HttpRoute {
    vs(&format!("  http:\n  - {rule}\n{ROUTE}")).http.remove(0)
}

#[test]
fn the_current_release_lowers_as_istio_1_30() {
    assert_eq!(istio(30), IstioCompat::default());
}

#[test]
fn a_rule_without_retries_gets_istios_default_policy_with_503_only_up_to_1_23() {
    let current = rule("name: r").retries.unwrap();
    assert_eq!(
        (
            current.num_retries,
            current.host_selection_retry_max_attempts
        ),
        (2, 5)
    );
    assert_eq!(
        current.retry_on.join(","),
        "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
    );
    assert!(current.previous_hosts && current.retriable_status_codes.is_empty());
    let codes = |minor| {
        vs_with(&format!("  http:\n{RULE}"), &istio(minor)).http[0]
            .retries
            .clone()
            .unwrap()
            .retriable_status_codes
    };
    assert_eq!(codes(23), vec![503], "Istio 1.23 still retries 503s");
    assert!(codes(24).is_empty(), "1.24 excludes them by default");
}

#[test]
fn exclude_unsafe_503_false_brings_the_503_back_in_1_24_to_1_26() {
    let mut r = IstioRelease::new(Version::new(1, 26));
    r.pilot_env.exclude_unsafe_503_from_default_retry = Some(false);
    let v = vs_with(&format!("  http:\n{RULE}"), &r.switches().istio);
    assert_eq!(
        v.http[0].retries.as_ref().unwrap().retriable_status_codes,
        vec![503]
    );
    r.version = Version::new(1, 27);
    assert!(
        !r.switches().istio.default_retry_on_503,
        "1.27 removed the switch: a stale setting changes nothing"
    );
}

#[test]
fn istio_1_1_to_1_5_default_policies_differ_in_attempts_and_grpc_codes() {
    let policy = |minor| {
        vs_with(&format!("  http:\n{RULE}"), &istio(minor)).http[0]
            .retries
            .clone()
            .unwrap()
    };
    let (p11, p12, p15, p16) = (policy(1), policy(2), policy(5), policy(6));
    assert_eq!(
        (
            p11.host_selection_retry_max_attempts,
            p12.host_selection_retry_max_attempts
        ),
        (3, 5)
    );
    assert_eq!(
        p15.retry_on.join(","),
        "connect-failure,refused-stream,unavailable,cancelled,resource-exhausted,retriable-status-codes"
    );
    assert!(!p16.retry_on.iter().any(|t| t == "resource-exhausted"));
}

#[test]
fn retries_replace_the_conditions_and_split_status_codes_out_of_retry_on() {
    let r = rule("retries: {attempts: 3, perTryTimeout: 2s, retryOn: 'gateway-error,503,connect-failure', retryIgnorePreviousHosts: false, backoff: 100ms}").retries.unwrap();
    assert_eq!(r.num_retries, 3);
    assert_eq!(
        r.retry_on,
        vec!["gateway-error", "connect-failure", "retriable-status-codes"]
    );
    assert_eq!(r.retriable_status_codes, vec![503]);
    assert_eq!(r.per_try_timeout, Some(Duration::from_secs(2)));
    assert_eq!(r.base_interval, Some(Duration::from_millis(100)));
    assert!(!r.previous_hosts);
    assert_eq!(
        rule("retries: {attempts: 0}").retries,
        None,
        "attempts 0 disables retries"
    );
}

#[test]
fn matches_become_envoy_matchers_in_istios_order() {
    let r = rule("match:\n    - uri: {regex: '/api/v[0-9]+'}\n      ignoreUriCase: true\n      method: {exact: GET}\n      headers: {x-b: {prefix: b}, x-a: {}}\n      withoutHeaders: {x-c: {exact: c}, x-d: {regex: '*'}}\n      queryParams: {z: {exact: '1'}, a: {regex: '[0-9]+'}}");
    let m = &r.matches[0];
    assert_eq!(m.path, PathMatch::Regex("/api/v[0-9]+".into()));
    assert!(!m.case_sensitive);
    let names: Vec<_> = m
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.invert, h.treat_missing_as_empty))
        .collect();
    assert_eq!(
        names,
        vec![
            ("x-a", false, false),
            ("x-b", false, false),
            ("x-c", true, true),
            ("x-d", true, false),
            (":method", false, false)
        ]
    );
    assert_eq!(
        m.headers[0].matcher,
        StringMatch::Present,
        "an empty match is present_match"
    );
    assert_eq!(
        m.headers[3].matcher,
        StringMatch::Present,
        "regex * in withoutHeaders"
    );
    let q: Vec<_> = m.query_params.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(q, vec!["a", "z"]);
    assert_eq!(
        rule("match:\n    - uri: {exact: /login}").matches[0].path,
        PathMatch::Exact("/login".into())
    );
}

#[test]
fn rules_after_a_catch_all_are_dropped_as_istiod_drops_them() {
    let v = vs(&format!(
        "  http:\n  - match:\n    - headers: {{end-user: {{exact: jason}}}}\n{ROUTE}{RULE}{RULE}"
    ));
    assert_eq!(v.http.len(), 2, "the third rule is unreachable");
    let v = vs(&format!("  http:\n  - match:\n    - uri: {{prefix: /a}}\n    - uri: {{prefix: /}}\n    - uri: {{prefix: /b}}\n{ROUTE}{RULE}"));
    assert_eq!((v.http.len(), v.http[0].matches.len()), (1, 2));
    let v = vs(&format!(
        "  http:\n  - match:\n    - port: 9080\n{ROUTE}{RULE}"
    ));
    assert_eq!(
        v.http.len(),
        2,
        "a port-limited match is not a catch-all on every proxy"
    );
}

#[test]
fn one_destination_keeps_its_weight_and_several_drop_the_zero_weights() {
    let one = rule("name: one").action;
    assert!(matches!(&one, HttpAction::Route(d) if d.len() == 1 && d[0].weight == 0));
    let v = vs("  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 0\n    - destination: {host: reviews, subset: v3}\n      weight: 30\n    - destination: {host: reviews, subset: v2}\n      weight: 70\n");
    let HttpAction::Route(d) = &v.http[0].action else {
        panic!()
    };
    let kept: Vec<_> = d
        .iter()
        .map(|d| (d.destination.subset.as_deref(), d.weight))
        .collect();
    assert_eq!(kept, vec![(Some("v3"), 30), (Some("v2"), 70)]);
}

#[test]
fn legacy_istio_accepts_weights_adding_up_to_100() {
    let body = "  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 50\n    - destination: {host: reviews, subset: v3}\n      weight: 50\n";
    assert_eq!(vs_with(body, &istio(14)).http.len(), 1);
}

#[test]
fn faults_sample_on_envoys_scales_and_a_missing_percentage_is_never() {
    let f = rule(
        "fault: {delay: {fixedDelay: 7s, percentage: {value: 0.1}}, abort: {httpStatus: 500}}",
    )
    .fault
    .unwrap();
    let d = f.delay.unwrap();
    assert_eq!(
        (d.fixed_delay, d.percentage),
        (Duration::from_secs(7), FractionalPercent::million(1_000))
    );
    assert_eq!(f.abort.unwrap().percentage, FractionalPercent::million(0));
    let legacy = rule("fault: {delay: {fixedDelay: 2s, percent: 100}}")
        .fault
        .unwrap();
    assert_eq!(
        legacy.delay.unwrap().percentage,
        FractionalPercent::hundred(100)
    );
    assert_eq!(
        rule("fault: {delay: {percent: 100}, abort: {percentage: {value: 5}}}").fault,
        None,
        "istiod drops both parts"
    );
}

#[test]
fn mirrors_default_to_100_percent_and_an_explicit_zero_mirrors_nothing() {
    let m = |extra: &str| {
        rule(&format!(
            "mirror: {{host: reviews, subset: v2}}\n    {extra}"
        ))
        .mirrors
    };
    assert_eq!(m("name: a")[0].percentage, FractionalPercent::hundred(100));
    assert_eq!(
        m("mirrorPercentage: {value: 50}")[0].percentage,
        FractionalPercent::million(500_000)
    );
    assert_eq!(
        m("mirror_percent: 30")[0].percentage,
        FractionalPercent::hundred(30)
    );
    assert_eq!(
        m("mirrorPercent: 30")[0].percentage,
        FractionalPercent::hundred(30)
    );
    assert!(m("mirrorPercentage: {value: 0}").is_empty());
    assert!(m("mirror_percent: 0").is_empty());
    let many = rule("mirrors:\n    - destination: {host: reviews, subset: v2}\n    - destination: {host: reviews, subset: v3}\n      percentage: {value: 0}").mirrors;
    assert_eq!(many.len(), 1);
}

#[test]
fn the_shadow_host_suffix_is_suppressed_from_istio_1_28() {
    let body = format!("  http:\n  - mirror: {{host: reviews, subset: v2}}\n{ROUTE}");
    assert!(vs(&body).http[0].mirrors[0].disable_shadow_host_suffix_append);
    assert!(!vs_with(&body, &istio(27)).http[0].mirrors[0].disable_shadow_host_suffix_append);
    assert!(vs_with(&body, &istio(28)).http[0].mirrors[0].disable_shadow_host_suffix_append);
    let mut keep = IstioRelease::new(Version::new(1, 28));
    keep.pilot_env.disable_shadow_host_suffix = Some(false);
    assert!(
        !vs_with(&body, &keep.switches().istio).http[0].mirrors[0]
            .disable_shadow_host_suffix_append,
        "DISABLE_SHADOW_HOST_SUFFIX=false keeps the suffix"
    );
}

#[test]
fn redirects_direct_responses_timeouts_and_gateways_lower_as_written() {
    let v = vs("  gateways: [bookinfo-gateway]\n  http:\n  - directResponse: {status: 503, body: {string: down}}\n    match: [{uri: {prefix: /x}}]\n  - redirect: {uri: /v1/bookRatings, authority: newratings}\n");
    assert_eq!(v.gateways, vec!["bookinfo-gateway"]);
    let HttpAction::DirectResponse { status, body } = &v.http[0].action else {
        panic!()
    };
    assert_eq!((*status, body.as_deref()), (503, Some("down")));
    let HttpAction::Redirect(r) = &v.http[1].action else {
        panic!()
    };
    assert_eq!(
        (r.uri.as_deref(), r.redirect_code),
        (Some("/v1/bookRatings"), 301)
    );
    assert_eq!(r.authority.as_deref(), Some("newratings"));
    assert_eq!(
        rule("timeout: 0.5s").timeout,
        Some(Duration::from_millis(500))
    );
    assert_eq!(vs(&format!("  http:\n{RULE}")).gateways, vec!["mesh"]);
}
