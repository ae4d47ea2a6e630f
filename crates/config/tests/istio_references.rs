//! What VirtualServices refer to — subsets, hosts, gateways — checked across files and
//! against a topology, with `istioctl analyze`'s IST0101 messages.

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_config::istio::references::{
    check_gateways, check_subsets, fqdn, validate_references,
};
use meshtwin_config::{load_policies, parse_policies};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::{LinkLatency, Protocol, Service, ServicePort, Topology};
use meshtwin_model::SourceRef;

/// The services of Bookinfo as the Istio tasks deploy it, plus httpbin, in `default`.
fn topology() -> Topology {
    let service = |name: &str, port: u16| Service {
        name: name.into(),
        namespace: "default".into(),
        ports: vec![ServicePort {
            name: "http".into(),
            port,
            target_port: port,
            protocol: Protocol::Http,
        }],
        selector: BTreeMap::from([("app".to_string(), name.to_string())]),
        source: SourceRef {
            file: "t.yaml".into(),
            line: 1,
        },
    };
    Topology {
        name: "bookinfo".into(),
        latency: LinkLatency::default(),
        mesh: Default::default(),
        envoy: Default::default(),
        workloads: vec![],
        services: ["productpage", "details", "reviews", "ratings"]
            .iter()
            .map(|n| service(n, 9080))
            .chain([service("httpbin", 8000)])
            .collect(),
    }
}

fn load(files: &[&str]) -> MeshPolicies {
    let mut all = MeshPolicies::default();
    for f in files {
        all.extend(
            load_policies(&Path::new("../../policies/istio").join(f))
                .unwrap_or_else(|e| panic!("{e}"))
                .value,
        );
    }
    all
}

#[test]
fn short_names_resolve_in_the_namespace() {
    assert_eq!(
        fqdn("reviews", "default"),
        "reviews.default.svc.cluster.local"
    );
    assert_eq!(
        fqdn("reviews.prod", "default"),
        "reviews.prod.svc.cluster.local"
    );
    assert_eq!(
        fqdn("reviews.prod.svc.cluster.local", "default"),
        "reviews.prod.svc.cluster.local"
    );
}

#[test]
fn every_bundled_bookinfo_and_httpbin_rule_refers_to_what_exists() {
    for vs in [
        "bookinfo/virtual-service-all-v1.yaml",
        "bookinfo/virtual-service-reviews-test-v2.yaml",
        "bookinfo/virtual-service-ratings-test-delay.yaml",
        "bookinfo/virtual-service-ratings-test-abort.yaml",
        "bookinfo/virtual-service-reviews-50-v3.yaml",
        "bookinfo/virtual-service-reviews-v3.yaml",
        "bookinfo/request-timeout-reviews-0.5s.yaml",
        "bookinfo/request-timeout-ratings-delay-2s.yaml",
    ] {
        let p = load(&["bookinfo/destination-rule-all.yaml", vs]);
        validate_references(&p, &topology()).unwrap_or_else(|e| panic!("{vs}: {e}"));
    }
    let httpbin = load(&[
        "httpbin/httpbin-all-v1.yaml",
        "httpbin/httpbin-mirror-v2.yaml",
    ]);
    validate_references(&httpbin, &topology()).unwrap();
    let tcp = load(&[
        "tcp-echo/tcp-echo-gateway.yaml",
        "tcp-echo/tcp-echo-destination-rule.yaml",
        "tcp-echo/tcp-echo-20-v2.yaml",
    ]);
    check_subsets(&tcp)
        .and_then(|()| check_gateways(&tcp))
        .unwrap();
}

#[test]
fn a_subset_no_destination_rule_defines_is_an_error_at_the_subset() {
    let e = check_subsets(&load(&["bookinfo/virtual-service-reviews-50-v3.yaml"])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "../../policies/istio/bookinfo/virtual-service-reviews-50-v3.yaml:20: VirtualService reviews: \
         spec.http[0].route[0].destination.subset: Referenced host+subset in destinationrule not found: \"reviews+v1\""
    );
    let mut p = load(&["bookinfo/destination-rule-all.yaml"]);
    p.extend(parse_policies("policies/m.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [ratings]\n  http:\n  - route: [{destination: {host: ratings, subset: v1}}]\n    mirror: {host: ratings, subset: v9}\n").unwrap().value);
    assert_eq!(
        check_subsets(&p).unwrap_err().to_string(),
        "policies/m.yaml:8: VirtualService r: spec.http[0].mirror.subset: Referenced mirror+subset in destinationrule not found: \"ratings+v9\""
    );
}

#[test]
fn a_subset_of_a_rule_for_another_namespace_does_not_count() {
    let mut p = load(&["bookinfo/virtual-service-reviews-v3.yaml"]);
    p.extend(parse_policies("dr.yaml", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: prod}\nspec:\n  host: reviews\n  subsets: [{name: v3, labels: {version: v3}}]\n").unwrap().value);
    assert!(check_subsets(&p).is_err());
    p.destination_rules[0].host = "reviews.default.svc.cluster.local".into();
    check_subsets(&p).unwrap();
}

#[test]
fn a_route_to_a_host_the_topology_lacks_is_an_error_at_the_host() {
    let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [ratings]\n  http:\n  - route:\n    - destination:\n        host: ratingz\n";
    let p = parse_policies("policies/r.yaml", text).unwrap().value;
    assert_eq!(
        validate_references(&p, &topology()).unwrap_err().to_string(),
        "policies/r.yaml:9: VirtualService r: spec.http[0].route[0].destination.host: Referenced host not found: \"ratingz\""
    );
    let mirror = text.replace("host: ratingz", "host: ratings\n    mirror: {host: shadow}");
    let p = parse_policies("policies/r.yaml", &mirror).unwrap().value;
    assert!(validate_references(&p, &topology())
        .unwrap_err()
        .to_string()
        .ends_with("spec.http[0].mirror.host: Referenced mirror host not found: \"shadow\""));
}

#[test]
fn a_gateway_that_is_not_in_the_policy_set_is_an_error() {
    let p = load(&["tcp-echo/tcp-echo-20-v2.yaml"]);
    assert_eq!(
        check_gateways(&p).unwrap_err().to_string(),
        "../../policies/istio/tcp-echo/tcp-echo-20-v2.yaml:6: VirtualService tcp-echo: spec.gateways: Referenced gateway not found: \"tcp-echo-gateway\""
    );
}
