//! Gateway lowering and its bad input (`ValidateGateway`, `validateServer`).

use meshtwin_config::parse_policies;

/// Lines 1–5; `servers` entries start at line 6.
const HEAD: &str = "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {name: bookinfo-gateway}\nspec:\n  servers:\n";

fn err(servers: &str) -> String {
    parse_policies("policies/gw.yaml", &format!("{HEAD}{servers}"))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_gateway_lowers_its_servers_with_upper_case_protocols() {
    let text = format!("{HEAD}  - port: {{number: 80, name: http, protocol: http}}\n    hosts: ['*']\n  - port: {{number: 443, name: https, protocol: HTTPS}}\n    hosts: [bookinfo.example.com]\n    tls: {{mode: SIMPLE}}\n  selector: {{istio: ingressgateway}}\n");
    let p = parse_policies("gw.yaml", &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    let g = &p.gateways[0];
    assert_eq!(
        (g.name.as_str(), g.namespace.as_str()),
        ("bookinfo-gateway", "default")
    );
    assert_eq!(g.selector["istio"], "ingressgateway");
    let ports: Vec<_> = g
        .servers
        .iter()
        .map(|s| (s.port.number, s.port.protocol.as_str(), s.tls))
        .collect();
    assert_eq!(ports, vec![(80, "HTTP", false), (443, "HTTPS", true)]);
    assert_eq!(g.source.line, 1);
}

#[test]
fn a_gateway_without_servers_is_an_error_at_spec() {
    let text = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  selector: {istio: ingressgateway}\n";
    assert_eq!(
        parse_policies("policies/gw.yaml", text)
            .unwrap_err()
            .to_string(),
        "policies/gw.yaml:4: Gateway g: spec: gateway must have at least one server"
    );
}

#[test]
fn an_unknown_protocol_is_an_error_with_istios_list() {
    assert_eq!(
        err("  - port: {number: 80, name: http, protocol: HTTP3}\n    hosts: ['*']\n"),
        "policies/gw.yaml:6: Gateway bookinfo-gateway: spec.servers[0].port.protocol: invalid protocol \"HTTP3\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP"
    );
}

#[test]
fn port_names_must_be_set_and_unique() {
    assert_eq!(
        err("  - port: {number: 80, protocol: HTTP}\n    hosts: ['*']\n"),
        "policies/gw.yaml:6: Gateway bookinfo-gateway: spec.servers[0].port: port name must be set"
    );
    assert_eq!(
        err("  - port: {number: 80, name: web, protocol: HTTP}\n    hosts: ['*']\n  - port: {number: 81, name: web, protocol: HTTP}\n    hosts: ['*']\n"),
        "policies/gw.yaml:8: Gateway bookinfo-gateway: spec.servers[1]: port names in servers must be unique: duplicate name web"
    );
}

#[test]
fn servers_need_hosts_a_port_and_tls_for_https() {
    assert!(err("  - port: {number: 80, name: http, protocol: HTTP}\n")
        .ends_with("spec.servers[0]: server config must contain at least one host"));
    assert!(err("  - hosts: ['*']\n").ends_with("spec.servers[0]: port is required"));
    assert!(
        err("  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n")
            .ends_with("server must have TLS settings for HTTPS/TLS protocols")
    );
    assert!(
        err("  - port: {number: 0, name: http, protocol: HTTP}\n    hosts: ['*']\n")
            .ends_with("port.number: port number 0 must be in the range 1..65535")
    );
    assert!(err(
        "  - port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}\n    hosts: ['*']\n"
    )
    .ends_with("targetPort has no impact on Gateways"));
}

#[test]
fn a_gateway_name_must_be_a_dns_label() {
    let gw = |name: &str| {
        format!("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: {name}\nspec:\n  servers: []\n")
    };
    // Not even a Kubernetes object name: the API server refuses it before Istio sees it.
    assert_eq!(
        parse_policies("policies/gw.yaml", &gw("Bookinfo_GW"))
            .unwrap_err()
            .to_string(),
        "policies/gw.yaml:4: Gateway Bookinfo_GW: metadata.name: invalid name \"Bookinfo_GW\": \
         a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' \
         or '.', and must start and end with an alphanumeric character (e.g. 'example.com')"
    );
    // A valid object name, but Istio wants a gateway's to be a DNS label.
    assert_eq!(
        parse_policies("policies/gw.yaml", &gw("bookinfo.gw")).unwrap_err().to_string(),
        "policies/gw.yaml:4: Gateway bookinfo.gw: metadata.name: invalid gateway name: \"bookinfo.gw\""
    );
}

#[test]
fn a_gateway_api_gateway_is_not_read_as_an_istio_one() {
    let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {gatewayClassName: istio}\n";
    let p = parse_policies("gw.yaml", text).unwrap();
    assert!(p.value.gateways.is_empty() && p.value.tsb_gateways.is_empty());
    assert_eq!(
        p.warnings[0].to_string(),
        "gw.yaml:1: Gateway g: ignored: not modelled (the Kubernetes Gateway API is not \
         modelled: use Istio's Gateway and VirtualService)"
    );
}
