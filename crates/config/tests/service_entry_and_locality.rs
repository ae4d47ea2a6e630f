//! ServiceEntry and `localityLbSetting`: what loads (seed 002's files, unmodified) and every
//! rule istiod's validation applies, with its messages, file, line and field path.

use std::path::Path;

use meshtwin_config::{load_policies, parse_policies};
use meshtwin_model::traffic::service_entry::Resolution;

fn message(text: &str) -> String {
    match parse_policies("policies/x.yaml", text) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e.to_string(),
    }
}

const SE_HEAD: &str = "\
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: se
spec:
  hosts: [mydb.com]
";

const DR_LB: &str = "\
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: dr
spec:
  host: mydb.com
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1}
    loadBalancer:
      localityLbSetting:
";

#[test]
fn seed_002s_entries_load_with_locality_port_overrides_and_target_port() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/istio/external-failover");
    let p = load_policies(&dir.join("external-svc-dns-invalid-port.yaml"))
        .unwrap()
        .value;
    let se = &p.service_entries[0];
    assert_eq!(
        (se.hosts.as_slice(), se.resolution),
        (&["mydb.com".to_string()][..], Resolution::Dns)
    );
    assert!(se.mesh_external);
    let east = &se.endpoints[0];
    assert_eq!(east.address, "dynamodb.us-east-1.amazonaws.com");
    assert_eq!(east.locality.as_ref().unwrap().region, "us-east1");
    assert_eq!(se.ports[0].endpoint_port(east), 81);
    assert_eq!(se.ports[0].endpoint_port(&se.endpoints[1]), 80);
    // The HTTPS variant: port 80 sent to the endpoints' 443.
    let https = load_policies(&dir.join("external-svc-https.yaml"))
        .unwrap()
        .value;
    let se = &https.service_entries[0];
    assert_eq!(se.ports[0].endpoint_port(&se.endpoints[0]), 443);
    let dr = load_policies(&dir.join("mydynamodb-https.yaml"))
        .unwrap()
        .value;
    let l = dr.destination_rules[0]
        .traffic_policy
        .locality_lb
        .clone()
        .unwrap();
    assert_eq!((l.enabled, l.failover.len()), (Some(true), 1));
    assert_eq!(
        (l.failover[0].from.as_str(), l.failover[0].to.as_str()),
        ("us-east1", "us-west")
    );
}

#[test]
fn service_entry_rules_follow_istiod() {
    assert_eq!(
        message("apiVersion: networking.istio.io/v1beta1\nkind: ServiceEntry\nmetadata: {name: se}\nspec:\n  ports: [{number: 80, name: http, protocol: HTTP}]\n"),
        "policies/x.yaml:4: ServiceEntry se: spec: service entry must have at least one host"
    );
    assert_eq!(
        message(&format!("{SE_HEAD}  resolution: DNS\n")),
        "policies/x.yaml:5: ServiceEntry se: spec: service entry must have at least one port"
    );
    assert_eq!(
        message(&format!("{SE_HEAD}  ports: [{{number: 80, name: http, protocol: HTTP}}]\n  resolution: STATIC\n")),
        "policies/x.yaml:5: ServiceEntry se: spec: endpoints must be provided if service entry discovery mode is static"
    );
    assert_eq!(
        message(&format!("{SE_HEAD}  ports: [{{number: 80, name: http, protocol: HTTP}}]\n  resolution: STATIC\n  endpoints: [{{address: db.example.com}}]\n")),
        "policies/x.yaml:9: ServiceEntry se: spec.endpoints[0].address: endpoint address \"db.example.com\" is not a valid IP address"
    );
    assert_eq!(
        message(&format!("{SE_HEAD}  ports: [{{number: 80, name: http, protocol: HTTP}}]\n  endpoints: [{{address: 10.0.0.1}}]\n")),
        "policies/x.yaml:5: ServiceEntry se: spec: no endpoints should be provided for resolution type none"
    );
    assert_eq!(
        message(&format!("{SE_HEAD}  ports:\n  - {{number: 80, name: http, protocol: HTTP}}\n  - {{number: 81, name: http, protocol: HTTP}}\n")),
        "policies/x.yaml:9: ServiceEntry se: spec.ports[1].name: service entry port name \"http\" already defined"
    );
    assert_eq!(
        message(&format!("{SE_HEAD}  ports: [{{number: 80, name: http, protocol: HTTP}}]\n  resolution: DNS\n  endpoints: [{{address: \"bad_name!\"}}]\n")),
        "policies/x.yaml:9: ServiceEntry se: spec.endpoints[0].address: endpoint address \"bad_name!\" is not a valid FQDN or an IP address"
    );
    assert!(message(&format!(
        "{SE_HEAD}  ports: [{{number: 80, name: http, protocol: HTTP}}]\n  resolution: DNSX\n"
    ))
    .starts_with("policies/x.yaml:8: ServiceEntry se: spec.resolution: "));
}

#[test]
fn locality_lb_rules_follow_istiod() {
    let with = |body: &str| message(&format!("{DR_LB}{body}"));
    assert_eq!(
        with("        failover: [{from: us-east1, to: us-east1}]\n"),
        "policies/x.yaml:11: DestinationRule dr: spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]: locality lb failover settings must specify different regions"
    );
    assert_eq!(
        with("        failover: [{from: us-east1/zone-a, to: us-west}]\n"),
        "policies/x.yaml:11: DestinationRule dr: spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]: locality lb failover only specify region"
    );
    assert_eq!(
        with("        distribute: [{from: \"us-east1/*\", to: {\"us-east1/*\": 70, \"us-west/*\": 20}}]\n"),
        "policies/x.yaml:11: DestinationRule dr: spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: total locality weight 90 != 100"
    );
    assert_eq!(
        with("        distribute: [{from: \"us-east1/*\", to: {\"us-east1/*\": 0, \"us-west/*\": 100}}]\n"),
        "policies/x.yaml:11: DestinationRule dr: spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to.us-east1/*: locality weight must be in range [1, 100]"
    );
    assert_eq!(
        with("        distribute: [{from: \"*/zone-a\", to: {\"us-west/*\": 100}}]\n"),
        "policies/x.yaml:11: DestinationRule dr: spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from: locality */zone-a wildcard '*' number can not exceed 1 and must be in the end"
    );
    assert_eq!(
        with("        failover: [{from: us-east1, to: us-west}]\n        failoverPriority: [topology.kubernetes.io/region]\n"),
        "policies/x.yaml:10: DestinationRule dr: spec.trafficPolicy.loadBalancer.localityLbSetting: can not simultaneously set 'failover' and topology label 'topology.kubernetes.io/region' in 'failover_priority'"
    );
}
