//! Names are checked as Kubernetes and Istio check them: object names as DNS-1123 subdomains
//! (at most 253 characters), namespaces as DNS-1123 labels (at most 63), hosts as Istio's
//! `ValidateWildcardDomain`, subset names as Istio's `validateSubsetName`, the scenario's name
//! as a safe path component (it names the output directory) and load names as labels (they
//! name output files). A megabyte-long name is a quick, located, short error.

use std::path::Path;

use meshtwin_config::{parse_policies, parse_scenario};

fn policy_error(text: &str) -> String {
    match parse_policies("policies/x.yaml", text) {
        Ok(p) => panic!("expected an error, got {:?}", p.value),
        Err(e) => e.to_string(),
    }
}

fn dr(name: &str, namespace: &str, host: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: {name}\n  \
         namespace: {namespace}\nspec:\n  host: {host}\n"
    )
}

#[test]
fn an_object_name_is_a_dns_1123_subdomain() {
    assert_eq!(
        policy_error(&dr("Reviews_Rule", "default", "reviews")),
        "policies/x.yaml:4: DestinationRule Reviews_Rule: metadata.name: invalid name \
         \"Reviews_Rule\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
         characters, '-' or '.', and must start and end with an alphanumeric character (e.g. \
         'example.com')"
    );
    let ok = parse_policies("p.yaml", &dr("reviews.v1", "default", "reviews")).unwrap();
    assert_eq!(ok.value.destination_rules[0].name, "reviews.v1");
}

#[test]
fn a_megabyte_long_name_is_a_short_located_error() {
    let e = policy_error(&dr(&"a".repeat(1_000_000), "default", "reviews"));
    assert!(e.len() < 400, "{} bytes: {}", e.len(), &e[..400]);
    assert!(
        e.ends_with("… (1000000 bytes)\": must be no more than 253 characters"),
        "{e}"
    );
}

#[test]
fn a_namespace_is_a_dns_1123_label() {
    assert!(policy_error(&dr("r", "prod.eu", "reviews")).starts_with(
        "policies/x.yaml:5: DestinationRule r: metadata.namespace: invalid name \"prod.eu\": a \
         lowercase RFC 1123 label must consist of"
    ));
    assert!(policy_error(&dr("r", &"n".repeat(64), "reviews"))
        .ends_with("must be no more than 63 characters"));
}

#[test]
fn hosts_are_checked_as_istio_checks_domains() {
    assert_eq!(
        policy_error(&dr("r", "default", "reviews_v1.prod")),
        "policies/x.yaml:7: DestinationRule r: spec.host: domain name \"reviews_v1.prod\" invalid \
         (label \"reviews_v1\" invalid)"
    );
    assert!(policy_error(&dr("r", "default", &"h".repeat(300)))
        .ends_with("… (300 bytes)\" too long (max 255)"));
    assert!(policy_error(&dr("r", "default", "reviews.123")).ends_with(
        "domain name \"reviews.123\" invalid (top level domain \"123\" cannot be all-numeric)"
    ));
    for ok in [
        "reviews",
        "'*.example.com'",
        "reviews.prod.svc.cluster.local",
        "Reviews",
    ] {
        let p = parse_policies("p.yaml", &dr("r", "default", ok))
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(p.value.destination_rules[0].host, ok.trim_matches('\''));
    }
    let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  \
              hosts: [reviews, 10.0.0.1, bad_host]\n  http:\n  - route: [{destination: {host: reviews}}]\n";
    assert_eq!(
        policy_error(vs),
        "policies/x.yaml:5: VirtualService r: spec.hosts[2]: domain name \"bad_host\" invalid \
         (label \"bad_host\" invalid)"
    );
}

#[test]
fn a_subset_name_is_checked_as_istio_checks_it() {
    let text = format!(
        "{}  subsets:\n  - name: v1.0\n",
        dr("r", "default", "reviews")
    );
    assert_eq!(
        policy_error(&text),
        "policies/x.yaml:9: DestinationRule r: spec.subsets[0].name: subset name is invalid: v1.0"
    );
    // Istio's DNS-1123 label allows capitals (`labels.IsDNS1123Label`).
    let caps = text.replace("v1.0", "V1");
    assert_eq!(
        parse_policies("p.yaml", &caps)
            .unwrap()
            .value
            .destination_rules[0]
            .subsets[0]
            .name,
        "V1"
    );
}

fn scenario_error(text: &str) -> String {
    match parse_scenario(Path::new("scenarios/x.yaml"), text) {
        Ok(s) => panic!("expected an error, got {:?}", s.value),
        Err(e) => e.to_string(),
    }
}

const REST: &str = "topology: t.yaml\nduration: 10s\nloads:\n  - {name: c2, from: fortio, url: 'http://h:80/', calls: 1}\n";

#[test]
fn the_scenario_name_cannot_leave_the_output_directory() {
    // `out/<name>` is the default output directory: `../../x` would write outside it.
    for bad in ["../../x", "/tmp/x", "a/b", ".", "..", "Name With Spaces"] {
        let e = scenario_error(&format!("name: '{bad}'\n{REST}"));
        assert!(
            e.starts_with(&format!(
                "scenarios/x.yaml:1: name: invalid name {bad:?}: a lowercase RFC 1123 subdomain"
            )),
            "{bad}: {e}"
        );
    }
    let ok = parse_scenario(
        Path::new("s.yaml"),
        &format!("name: istio-request-timeout-0.5s\n{REST}"),
    );
    assert_eq!(ok.unwrap().value.name, "istio-request-timeout-0.5s");
}

#[test]
fn a_load_name_is_a_dns_1123_label() {
    // It names files (`pool-<load>.svg`) and request ids (`<load>-<connection>-<call>`).
    let text = format!("name: s\n{}", REST.replace("name: c2", "name: ../c2"));
    assert!(
        scenario_error(&text).starts_with(
            "scenarios/x.yaml:5: loads[0].name: invalid name \"../c2\": a lowercase RFC 1123 label"
        ),
        "{}",
        scenario_error(&text)
    );
}
