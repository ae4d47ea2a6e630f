//! Bad policy input: every case is a `ConfigError` with the right file, line and path — never
//! a panic, never a silently accepted value.

use std::path::Path;

use meshtwin_config::{load_policies, parse_policies, ConfigError};

/// The error for `text` as `policies/x.yaml`.
fn error(text: &str) -> ConfigError {
    match parse_policies("policies/x.yaml", text) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e,
    }
}

fn message(text: &str) -> String {
    error(text).to_string()
}

const DR_HEAD: &str = "\
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
";

/// A DestinationRule whose `connectionPool.tcp` has the given line (at line 10).
fn dr_tcp(line: &str) -> String {
    format!("{DR_HEAD}  trafficPolicy:\n    connectionPool:\n      tcp:\n        {line}\n")
}

#[test]
fn a_missing_file_is_an_error_at_line_1() {
    let e = load_policies(Path::new("policies/does-not-exist.yaml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "policies/does-not-exist.yaml:1: cannot read file: No such file or directory"
    );
    assert_eq!(
        (e.line, e.path.as_deref(), e.object.as_deref()),
        (1, None, None)
    );
}

#[test]
fn a_directory_is_not_a_policy_file() {
    assert_eq!(
        load_policies(Path::new("tests")).unwrap_err().to_string(),
        "tests:1: cannot read file: Is a directory"
    );
}

#[test]
fn invalid_yaml_syntax_points_at_the_line() {
    let text = format!("{DR_HEAD} trafficPolicy: {{}}\n");
    assert_eq!(
        message(&text),
        "policies/x.yaml:7:15: invalid YAML: while parsing a block mapping, did not find expected key"
    );
}

#[test]
fn invalid_json_points_at_the_line() {
    let text = "{\n  \"virtualNode\": {\n    \"meshName\": \"m\"\n    \"spec\": {}\n  }\n}\n";
    assert_eq!(
        parse_policies("policies/vn.json", text).unwrap_err().to_string(),
        "policies/vn.json:4:5: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'"
    );
}

#[test]
fn duplicate_keys_are_an_error() {
    let text = format!("{DR_HEAD}  host: other\n");
    assert_eq!(message(&text), "policies/x.yaml:7: duplicate key `host`");
}

#[test]
fn an_unknown_field_is_an_error_at_its_line() {
    let e = error(&dr_tcp("maxConection: 1"));
    assert_eq!(
        e.to_string(),
        "policies/x.yaml:10: DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConection: \
         unknown field; did you mean maxConnections? (expected one of: maxConnections, connectTimeout, tcpKeepalive, \
         maxConnectionDuration, idleTimeout)"
    );
    assert_eq!(
        e.path.as_deref(),
        Some("spec.trafficPolicy.connectionPool.tcp.maxConection")
    );
}

#[test]
fn an_unknown_top_level_field_is_an_error() {
    let text = format!("{DR_HEAD}sepc: {{}}\n");
    assert_eq!(
        message(&text),
        "policies/x.yaml:7: DestinationRule httpbin: sepc: unknown field \
         (expected one of: apiVersion, kind, metadata, spec, status)"
    );
}

#[test]
fn a_string_where_an_integer_belongs_is_an_error() {
    assert_eq!(
        message(&dr_tcp("maxConnections: \"one\"")),
        "policies/x.yaml:10: DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConnections: \
         expected an integer, found \"one\""
    );
}

#[test]
fn a_zero_limit_is_an_error() {
    assert_eq!(
        message(&dr_tcp("maxConnections: 0")),
        "policies/x.yaml:10: DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConnections: must be > 0"
    );
}

#[test]
fn a_negative_limit_is_an_error() {
    let text = format!(
        "{DR_HEAD}  trafficPolicy:\n    connectionPool:\n      http:\n        http1MaxPendingRequests: -1\n"
    );
    assert_eq!(
        message(&text),
        "policies/x.yaml:10: DestinationRule httpbin: \
         spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: must be > 0"
    );
}

#[test]
fn a_limit_beyond_int32_is_an_error() {
    assert_eq!(
        message(&dr_tcp("maxConnections: 4294967295")),
        "policies/x.yaml:10: DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConnections: \
         must be <= 2147483647"
    );
}

#[test]
fn a_bad_duration_is_an_error() {
    let text = format!("{DR_HEAD}  trafficPolicy:\n    outlierDetection:\n      interval: 1x\n");
    assert_eq!(
        message(&text),
        "policies/x.yaml:9: DestinationRule httpbin: spec.trafficPolicy.outlierDetection.interval: \
         invalid duration \"1x\": expected a number with a unit (h, m, s, ms, us, ns), like 1s, 100ms, 1.5s or 3m"
    );
    assert!(message(&dr_tcp("connectTimeout: 10")).ends_with(
        "spec.trafficPolicy.connectionPool.tcp.connectTimeout: expected a duration like 1s, 100ms or 3m, found 10"
    ));
    assert!(message(&dr_tcp("connectTimeout: 0s"))
        .ends_with("spec.trafficPolicy.connectionPool.tcp.connectTimeout: must be at least 1ms"));
}

#[test]
fn a_percentage_above_100_is_an_error() {
    let text = format!(
        "{DR_HEAD}  trafficPolicy:\n    outlierDetection:\n      maxEjectionPercent: 101\n"
    );
    assert_eq!(
        message(&text),
        "policies/x.yaml:9: DestinationRule httpbin: \
         spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be <= 100"
    );
}

#[test]
fn local_origin_failures_need_split_errors() {
    let text = format!(
        "{DR_HEAD}  trafficPolicy:\n    outlierDetection:\n      consecutiveLocalOriginFailures: 3\n"
    );
    assert_eq!(
        message(&text),
        "policies/x.yaml:9: DestinationRule httpbin: \
         spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: consecutive local origin \
         failures is specified, but split external local origin errors is set to false"
    );
}

#[test]
fn a_document_without_kind_is_an_error() {
    let text = "apiVersion: v1\nmetadata:\n  name: x\n";
    assert_eq!(
        message(text),
        "policies/x.yaml:1: document has no `kind` (expected a Kubernetes object such as a \
         DestinationRule, `aws appmesh describe-*` output of a virtual node, gateway, service or \
         router, a route or a gateway route, or the matching `create-* --cli-input-json` body)"
    );
    // ...also as the second document of a file.
    let two = format!("{DR_HEAD}---\n# a comment\nmetadata: {{name: y}}\n");
    assert!(message(&two).starts_with("policies/x.yaml:9: document has no `kind`"));
}

#[test]
fn a_missing_required_field_is_an_error_at_its_object() {
    let text = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\nspec:\n  subsets: []\n";
    assert_eq!(
        message(text),
        "policies/x.yaml:5: DestinationRule r: spec: missing field `host`"
    );
}

#[test]
fn an_unsupported_api_version_is_an_error() {
    let text = DR_HEAD.replace("v1alpha3", "v2");
    assert_eq!(
        message(&text),
        "policies/x.yaml:1: DestinationRule httpbin: apiVersion: unsupported apiVersion \
         \"networking.istio.io/v2\" for DestinationRule (supported: networking.istio.io/v1alpha3, \
         networking.istio.io/v1beta1, networking.istio.io/v1); did you mean networking.istio.io/v1?"
    );
}

#[test]
fn unsupported_load_balancers_are_errors_not_silent_defaults() {
    let text = format!("{DR_HEAD}  trafficPolicy:\n    loadBalancer:\n      simple: PASSTHROUGH\n");
    assert_eq!(
        message(&text),
        "policies/x.yaml:9: DestinationRule httpbin: spec.trafficPolicy.loadBalancer.simple: \
         PASSTHROUGH load balancing is not supported by meshtwin yet"
    );
    let text = format!("{DR_HEAD}  trafficPolicy:\n    loadBalancer:\n      simple: FASTEST\n");
    assert!(message(&text).ends_with(
        "spec.trafficPolicy.loadBalancer.simple: unknown value \"FASTEST\" (expected one of: \
         UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST)"
    ));
}

#[test]
fn subset_errors_carry_the_list_index() {
    let text = format!("{DR_HEAD}  subsets:\n  - name: v1\n  - name: v1\n");
    assert_eq!(
        message(&text),
        "policies/x.yaml:9: DestinationRule httpbin: spec.subsets[1].name: duplicate subset name \"v1\""
    );
    let text = format!(
        "{DR_HEAD}  subsets:\n  - name: v1\n    trafficPolicy:\n      connectionPool:\n        tcp: {{maxConnections: 0}}\n"
    );
    assert!(message(&text)
        .ends_with("spec.subsets[0].trafficPolicy.connectionPool.tcp.maxConnections: must be > 0"));
}

const VN_HEAD: &str = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata:
  name: green
  namespace: howto-k8s-connection-pools
spec:
  listeners:
    - portMapping:
        port: 8080
        protocol: http
";

#[test]
fn an_appmesh_pool_with_two_protocol_blocks_is_an_error() {
    let text = format!(
        "{VN_HEAD}      connectionPool:\n        http:\n          maxConnections: 10\n        http2:\n          maxRequests: 10\n"
    );
    let e = error(&text);
    assert_eq!(
        e.to_string(),
        "policies/x.yaml:11: VirtualNode green: spec.listeners[0].connectionPool: \
         only one protocol block is allowed, found http and http2"
    );
}

#[test]
fn an_appmesh_pool_must_match_the_listener_protocol() {
    let text =
        format!("{VN_HEAD}      connectionPool:\n        grpc:\n          maxRequests: 10\n");
    assert_eq!(
        message(&text),
        "policies/x.yaml:12: VirtualNode green: spec.listeners[0].connectionPool.grpc: \
         connection pool protocol grpc does not match the listener's protocol http"
    );
}

#[test]
fn appmesh_max_connections_is_required_and_positive() {
    let text = format!(
        "{VN_HEAD}      connectionPool:\n        http:\n          maxPendingRequests: 10\n"
    );
    assert_eq!(
        message(&text),
        "policies/x.yaml:12: VirtualNode green: spec.listeners[0].connectionPool.http: \
         missing field `maxConnections`"
    );
    let text =
        format!("{VN_HEAD}      connectionPool:\n        http:\n          maxConnections: 0\n");
    assert!(message(&text)
        .ends_with("spec.listeners[0].connectionPool.http.maxConnections: must be > 0"));
}

#[test]
fn appmesh_health_check_ranges_are_checked() {
    let text = format!(
        "{VN_HEAD}      healthCheck:\n        protocol: http\n        intervalMillis: 1000\n        timeoutMillis: 2000\n        healthyThreshold: 2\n        unhealthyThreshold: 2\n        path: /ping\n"
    );
    assert_eq!(
        message(&text),
        "policies/x.yaml:13: VirtualNode green: spec.listeners[0].healthCheck.intervalMillis: must be >= 5000"
    );
}

#[test]
fn a_virtual_gateway_has_no_tcp_listener() {
    let text = "apiVersion: appmesh.k8s.aws/v1beta2\nkind: VirtualGateway\nmetadata: {name: gw}\nspec:\n  listeners:\n    - portMapping: {port: 8088, protocol: tcp}\n";
    assert_eq!(
        message(text),
        "policies/x.yaml:6: VirtualGateway gw: spec.listeners[0].portMapping.protocol: \
         unknown value \"tcp\" (expected one of: http, http2, grpc)"
    );
}

#[test]
fn describe_output_errors_name_the_aws_object() {
    let text = r#"{"virtualNode": {"meshName": "m", "virtualNodeName": "green_ns",
  "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"},
    "connectionPool": {"http": {"maxConnections": "ten"}}}]}}}"#;
    assert_eq!(
        parse_policies("vn.json", text).unwrap_err().to_string(),
        "vn.json:3: VirtualNode green_ns: virtualNode.spec.listeners[0].connectionPool.http.maxConnections: \
         expected an integer, found \"ten\""
    );
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    // An alias bomb: each level doubles the size.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(message(&bomb).contains("document too large"));
    for text in [
        "",
        "---\n",
        "\u{feff}",
        "[[[[[[[[",
        "{",
        "- - - -",
        "!!binary 3",
        "? [a]\n: b\n",
        "kind: 3\n",
    ] {
        let _ = parse_policies("policies/x.yaml", text);
    }
    let deep = "[".repeat(10_000);
    assert!(parse_policies("policies/x.yaml", &deep).is_err());
}

#[test]
fn a_kind_must_be_a_string() {
    assert_eq!(
        message("kind: 3\n"),
        "policies/x.yaml:1: kind: expected a string, found 3"
    );
}

#[test]
fn a_misspelt_kind_is_an_error_with_the_kind_it_resembles() {
    let text = DR_HEAD.replace("kind: DestinationRule", "kind: DestinatonRule");
    assert_eq!(
        message(&text),
        "policies/x.yaml:2: DestinatonRule httpbin: kind: unknown kind \"DestinatonRule\"; \
         did you mean DestinationRule?"
    );
}

#[test]
fn an_unknown_kind_is_an_error() {
    let text = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\n";
    assert_eq!(
        message(text),
        "policies/x.yaml:2: Certificate c: kind: unknown kind \"Certificate\": not an Istio, App \
         Mesh, Tetrate Service Bridge or common Kubernetes kind (the README's Inputs section \
         lists the kinds meshtwin knows)"
    );
}

const VS: &str = "kind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}}]\n";

#[test]
fn a_virtual_service_with_a_malformed_api_version_is_an_error_not_dropped() {
    assert_eq!(
        message(&format!("apiVersion: true\n{VS}")),
        "policies/x.yaml:1: VirtualService r: apiVersion: expected a string, found true"
    );
    assert_eq!(
        message(&format!("apiVersion: foo/v9\n{VS}")),
        "policies/x.yaml:1: VirtualService r: apiVersion: unsupported apiVersion \"foo/v9\" for \
         VirtualService (supported: networking.istio.io/v1alpha3, networking.istio.io/v1beta1, \
         networking.istio.io/v1, appmesh.k8s.aws/v1beta2)"
    );
    assert!(
        message(&format!("apiVersion: networking.istio.io/v1beta\n{VS}"))
            .ends_with("; did you mean networking.istio.io/v1beta1?")
    );
    assert_eq!(
        message(VS),
        "policies/x.yaml:1: VirtualService r: missing field `apiVersion`"
    );
}

#[test]
fn known_kinds_the_twin_does_not_model_are_warnings_saying_why() {
    let text = "\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: prod}
spec: {egress: [{hosts: [./*]}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec: {mtls: {mode: STRICT}}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua}
spec: {configPatches: []}
";
    let loaded = parse_policies("policies/x.yaml", text).unwrap();
    assert_eq!(loaded.value, Default::default());
    let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "policies/x.yaml:1: Sidecar default: ignored: not modelled (every proxy gets \
             configuration for every service, as without a Sidecar: its egress hosts, ingress \
             listeners and outbound traffic policy are not applied)",
            "policies/x.yaml:6: PeerAuthentication default: ignored: not modelled (mTLS is not \
             modelled: traffic is neither encrypted nor authenticated, and no connection fails \
             for its mode)",
            "policies/x.yaml:11: EnvoyFilter lua: ignored: not modelled (its patches to Envoy's \
             configuration are not applied)",
        ]
    );
}
