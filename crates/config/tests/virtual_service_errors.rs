//! Bad VirtualService input: every case is a `ConfigError` at the field, with Istio's own
//! message where Istio has one (`pkg/config/validation`).

use meshtwin_config::policies::parse_policies_with;
use meshtwin_model::release::{IstioRelease, Version};
use meshtwin_model::traffic::IstioCompat;

/// istiod's switches in Istio `1.<minor>`.
fn istio(minor: u32) -> IstioCompat {
    IstioRelease::new(Version::new(1, minor)).switches().istio
}

/// Lines 1–7; the body starts at line 8.
const HEAD: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n";

fn err_with(body: &str, compat: &IstioCompat) -> String {
    match parse_policies_with("policies/vs.yaml", &format!("{HEAD}{body}"), compat) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e.to_string(),
    }
}

fn err(body: &str) -> String {
    err_with(body, &IstioCompat::default())
}

/// An http rule at line 9 whose first destination is at line 10, with `extra` lines after.
fn http(extra: &str) -> String {
    format!("  http:\n  - route:\n    - destination: {{host: reviews, subset: v1}}\n{extra}")
}

const AT: &str = "policies/vs.yaml";

#[test]
fn a_negative_weight_is_an_error_at_the_weight() {
    assert_eq!(
        err(&http(
            "      weight: -1\n    - destination: {host: reviews, subset: v3}\n      weight: 101\n"
        )),
        format!("{AT}:11: VirtualService reviews: spec.http[0].route[0].weight: weight -1 < 0")
    );
}

#[test]
fn several_destinations_weighing_nothing_are_an_error_at_the_route() {
    assert_eq!(
        err(&http("    - destination: {host: reviews, subset: v3}\n")),
        format!("{AT}:9: VirtualService reviews: spec.http[0].route: total destination weight = 0")
    );
}

#[test]
fn istio_1_14_wants_weights_in_0_to_100_adding_up_to_100() {
    let old = istio(14);
    assert_eq!(
        err_with(&http("      weight: 101\n"), &old),
        format!("{AT}:11: VirtualService reviews: spec.http[0].route[0].weight: percentage 101 is not in range 0..100")
    );
    assert_eq!(
        err_with(&http("      weight: 60\n    - destination: {host: reviews, subset: v3}\n      weight: 60\n"), &old),
        format!("{AT}:9: VirtualService reviews: spec.http[0].route: total destination weight 120 != 100")
    );
    assert!(parse_policies_with(AT, &format!("{HEAD}{}", http("      weight: 60\n    - destination: {host: reviews, subset: v3}\n      weight: 60\n")), &istio(15)).is_ok(), "1.15 accepts any positive total");
}

#[test]
fn an_invalid_regex_names_the_field_and_re2() {
    assert_eq!(
        err(&http("    match:\n    - uri: {regex: 'a('}\n")),
        format!("{AT}:12: VirtualService reviews: spec.http[0].match[0].uri.regex: \"uri\": error parsing regexp: unclosed group: `a(`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)")
    );
    assert!(err(&http(
        "    match:\n    - headers: {end-user: {regex: '*'}}\n"
    ))
    .contains("\"headers\": error parsing regexp:"));
    assert_eq!(
        err(&http("    match:\n    - headers: {end-user: {prefix: ''}}\n")),
        format!("{AT}:12: VirtualService reviews: spec.http[0].match[0].headers.end-user.prefix: \"headers\": prefix string match should not be empty")
    );
}

#[test]
fn negative_percentages_are_errors_with_istios_messages() {
    assert_eq!(
        err(&http("    fault: {delay: {fixedDelay: 7s, percentage: {value: -5}}}\n")),
        format!("{AT}:11: VirtualService reviews: spec.http[0].fault.delay.percentage: percentage -5 is neither 0.0, nor in range [0.0001, 100.0]")
    );
    assert!(err(&http(
        "    fault: {abort: {httpStatus: 500, percentage: {value: 0.00001}}}\n"
    ))
    .ends_with("percentage 1e-05 is neither 0.0, nor in range [0.0001, 100.0]"));
    assert_eq!(
        err(&http("    fault:\n      delay: {fixedDelay: 2s, percent: -1}\n")),
        format!("{AT}:12: VirtualService reviews: spec.http[0].fault.delay.percent: percentage -1 is not in range 0..100")
    );
    assert_eq!(
        err(&http("    mirror: {host: reviews, subset: v2}\n    mirrorPercentage: {value: -1}\n")),
        format!("{AT}:12: VirtualService reviews: spec.http[0].mirrorPercentage: mirror_percentage must have a min value of 0 (it has -1.000000)")
    );
    assert!(err(&http(
        "    mirror: {host: reviews, subset: v2}\n    mirror_percent: 150\n"
    ))
    .ends_with(
        "spec.http[0].mirror_percent: mirror_percent must have a max value of 100 (it has 150)"
    ));
    assert!(err(&http("    mirror_percent: -3\n"))
        .ends_with("spec.http[0].mirror_percent: must be >= 0"));
}

#[test]
fn a_fault_needs_a_delay_or_an_abort_and_a_valid_status() {
    assert_eq!(
        err(&http("    fault: {}\n")),
        format!("{AT}:11: VirtualService reviews: spec.http[0].fault: HTTP fault injection must have an abort and/or a delay")
    );
    assert!(err(&http("    fault: {abort: {httpStatus: 700}}\n"))
        .ends_with("spec.http[0].fault.abort.httpStatus: HTTP status 700 is not in range 200-599"));
    assert!(err(&http("    fault: {delay: {exponentialDelay: 1s}}\n"))
        .ends_with("exponentialDelay not supported yet"));
}

#[test]
fn duplicate_route_names_are_an_error_at_the_second_name() {
    let body = "  http:\n  - name: primary\n    match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: reviews}}]\n  - name: primary\n    route: [{destination: {host: reviews}}]\n";
    assert_eq!(
        err(body),
        format!("{AT}:12: VirtualService reviews: spec.http[1].name: duplicate http route name \"primary\" (also used by spec.http[0])")
    );
}

#[test]
fn retries_are_checked_as_istio_checks_them() {
    assert!(err(&http("    retries: {attempts: -1}\n"))
        .ends_with("spec.http[0].retries.attempts: attempts cannot be negative"));
    assert_eq!(
        err(&http("    retries: {retryOn: 5xx}\n")),
        format!("{AT}:11: VirtualService reviews: spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)")
    );
    assert!(
        err(&http("    retries: {attempts: 2, retryOn: '5xx,bogus'}\n"))
            .ends_with("spec.http[0].retries.retryOn: \"bogus\" is not a valid retryOn policy")
    );
    assert!(
        err(&http("    retries: {attempts: 2, retryOn: '5xx, 503'}\n"))
            .ends_with("\" 503\" is not a valid retryOn policy"),
        "Istio does not trim"
    );
    assert!(err(&http("    retries: {attempts: 2, retryOn: '299'}\n"))
        .ends_with("\"299\" is not a valid retryOn policy"));
}

#[test]
fn durations_must_be_whole_milliseconds_of_at_least_one() {
    assert_eq!(
        err(&http("    timeout: 0s\n")),
        format!("{AT}:11: VirtualService reviews: spec.http[0].timeout: duration must be greater than 1ms")
    );
    assert!(err(&http("    timeout: 1500us\n"))
        .ends_with("only durations to ms precision are supported"));
}

#[test]
fn a_rule_needs_exactly_one_of_route_redirect_and_direct_response() {
    assert_eq!(
        err("  http:\n  - timeout: 1s\n"),
        format!("{AT}:9: VirtualService reviews: spec.http[0]: HTTP route, redirect or direct_response is required")
    );
    assert!(err(&http("    redirect: {uri: /x}\n"))
        .ends_with("spec.http[0]: HTTP route cannot contain both route and redirect"));
    assert!(err(&http(
        "    mirror: {host: a}\n    mirrors: [{destination: {host: b}}]\n"
    ))
    .ends_with("HTTP route cannot contain both mirror and mirrors"));
    assert!(err("  http:\n  - redirect: {redirectCode: 302}\n")
        .ends_with("redirect must specify URI, authority, scheme, or port"));
    assert!(err("  http:\n  - redirect: {uri: /x, redirectCode: 200}\n")
        .ends_with("200 is not a valid redirect code, must be 3xx"));
}

#[test]
fn destinations_need_a_real_host_a_dns_label_subset_and_a_valid_port() {
    assert!(err("  http:\n  - route: [{destination: {host: '*'}}]\n")
        .ends_with("spec.http[0].route[0].destination.host: invalid destination host *"));
    assert!(
        err("  http:\n  - route: [{destination: {host: reviews, subset: V_1}}]\n")
            .ends_with("destination.subset: subset name is invalid: V_1")
    );
    assert!(
        err("  http:\n  - route: [{destination: {host: reviews, port: {number: 0}}}]\n")
            .ends_with("destination.port.number: port number 0 must be in the range 1..65535")
    );
    assert!(err("  http:\n  - route: [{destination: {subset: v1}}]\n")
        .ends_with("spec.http[0].route[0].destination: missing field `host`"));
}

#[test]
fn hosts_and_rule_kinds_are_checked_for_the_whole_service() {
    let head =
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n";
    let e = |spec: &str| {
        parse_policies_with(AT, &format!("{head}{spec}"), &IstioCompat::default())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e("  hosts: ['*']\n  http: [{route: [{destination: {host: a}}]}]\n"),
        format!("{AT}:5: VirtualService x: spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway")
    );
    assert!(e("  hosts: ['*.example.com', a.example.com]\n  http: [{route: [{destination: {host: a}}]}]\n").ends_with("duplicate hosts in virtual service: *.example.com & a.example.com"));
    assert!(
        e("  hosts: [a]\n").ends_with("spec: http, tcp or tls must be provided in virtual service")
    );
    assert!(e("  http: [{route: [{destination: {host: a}}]}]\n").contains("missing field `hosts`"));
    assert!(e("  hosts: [a]\n  tcp: [{match: [{port: 31400}]}]\n")
        .ends_with("spec.tcp[0]: TCP route is required"));
    assert!(
        e("  hosts: [a]\n  http: [{route: [{destination: {host: a}}], cors: {}}]\n")
            .contains("spec.http[0].cors: unknown field")
    );
}

/// A tcp rule at line 9 (matching port 31400 at line 10, `route` at line 11) whose first
/// destination is at line 12.
fn tcp(extra: &str) -> String {
    format!(
        "  tcp:\n  - match:\n    - port: 31400\n    route:\n    - destination: {{host: reviews, subset: v1}}\n{extra}"
    )
}

#[test]
fn tcp_route_weights_follow_the_same_rules_as_http() {
    let old = istio(14);
    let eighty_thirty =
        "      weight: 80\n    - destination: {host: reviews, subset: v2}\n      weight: 30\n";
    assert_eq!(
        err_with(&tcp(eighty_thirty), &old),
        format!("{AT}:11: VirtualService reviews: spec.tcp[0].route: total destination weight 110 != 100")
    );
    assert!(
        parse_policies_with(
            AT,
            &format!("{HEAD}{}", tcp(eighty_thirty)),
            &IstioCompat::default()
        )
        .is_ok(),
        "Istio 1.15+ accepts any positive total"
    );
    assert_eq!(
        err(&tcp(
            "      weight: -5\n    - destination: {host: reviews, subset: v2}\n      weight: 20\n"
        )),
        format!("{AT}:13: VirtualService reviews: spec.tcp[0].route[0].weight: weight -5 < 0")
    );
    assert_eq!(
        err(&tcp("    - destination: {host: reviews, subset: v2}\n")),
        format!("{AT}:11: VirtualService reviews: spec.tcp[0].route: total destination weight = 0")
    );
}
