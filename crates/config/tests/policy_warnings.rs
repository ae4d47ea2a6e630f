//! Fields the twin reads but does not model are warnings naming the field and why, never
//! silently accepted; fields it models, and empty ones, are not warned about.

use meshtwin_config::parse_policies;
use meshtwin_config::policies::parse_policies_with;
use meshtwin_model::release::{IstioRelease, Version};

/// The warnings for `text` as `policies/x.yaml`, as displayed.
fn warnings(text: &str) -> Vec<String> {
    let loaded = parse_policies("policies/x.yaml", text).unwrap_or_else(|e| panic!("{e}"));
    loaded.warnings.iter().map(|w| w.to_string()).collect()
}

/// `(line, field path)` of each warning, for tests about where they point.
fn places(text: &str) -> Vec<(u32, String)> {
    let loaded = parse_policies("policies/x.yaml", text).unwrap_or_else(|e| panic!("{e}"));
    loaded
        .warnings
        .iter()
        .map(|w| (w.line, w.path.clone().unwrap_or_default()))
        .collect()
}

const DR_HEAD: &str = "\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
";

#[test]
fn a_destination_rule_tls_block_is_a_warning_saying_tls_is_not_modelled() {
    let text = format!("{DR_HEAD}  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n");
    assert_eq!(
        warnings(&text),
        [
            "policies/x.yaml:8: DestinationRule httpbin: spec.trafficPolicy.tls: ignored: not \
          modelled (TLS is not modelled: connections carry no handshake, certificates or mTLS, \
          and none fails for them)"
        ]
    );
}

#[test]
fn every_unmodelled_destination_rule_field_is_named() {
    let text = format!(
        "{DR_HEAD}  exportTo: ['.']
  workloadSelector: {{matchLabels: {{app: fortio}}}}
  trafficPolicy:
    tunnel: {{protocol: CONNECT, targetHost: h, targetPort: 8080}}
    proxyProtocol: {{version: V1}}
    connectionPool:
      tcp:
        maxConnections: 1
        tcpKeepalive: {{time: 7200s}}
        maxConnectionDuration: 1h
        idleTimeout: 1h
      http:
        useClientProtocol: true
    loadBalancer:
      simple: ROUND_ROBIN
      warmupDurationSecs: 60s
    outlierDetection:
      consecutiveErrors: 1
    portLevelSettings:
    - port: {{number: 80}}
      tls: {{mode: SIMPLE}}
  subsets:
  - name: v1
    trafficPolicy:
      tls: {{mode: DISABLE}}
"
    );
    let got: Vec<(u32, String)> = places(&text);
    let want: Vec<(u32, &str)> = vec![
        (7, "spec.exportTo"),
        (8, "spec.workloadSelector"),
        (10, "spec.trafficPolicy.tunnel"),
        (11, "spec.trafficPolicy.proxyProtocol"),
        (15, "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive"),
        (
            16,
            "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration",
        ),
        (17, "spec.trafficPolicy.connectionPool.tcp.idleTimeout"),
        (
            19,
            "spec.trafficPolicy.connectionPool.http.useClientProtocol",
        ),
        (22, "spec.trafficPolicy.loadBalancer.warmupDurationSecs"),
        (24, "spec.trafficPolicy.outlierDetection.consecutiveErrors"),
        (27, "spec.trafficPolicy.portLevelSettings[0].tls"),
        (31, "spec.subsets[0].trafficPolicy.tls"),
    ];
    let want: Vec<(u32, String)> = want.into_iter().map(|(l, p)| (l, p.into())).collect();
    assert_eq!(got, want);
}

#[test]
fn the_deprecated_consecutive_errors_warns_as_istio_does() {
    let text =
        format!("{DR_HEAD}  trafficPolicy:\n    outlierDetection:\n      consecutiveErrors: 1\n");
    assert_eq!(
        warnings(&text),
        ["policies/x.yaml:9: DestinationRule httpbin: \
          spec.trafficPolicy.outlierDetection.consecutiveErrors: ignored: outlier detection \
          consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors \
          instead (the Istio release modelled, ≥ 1.7, ignores it)"]
    );
    // Istio warns only for a non-zero value.
    let zero = text.replace("consecutiveErrors: 1", "consecutiveErrors: 0");
    assert!(warnings(&zero).is_empty());
    // Istio 1.5 and 1.6 deprecate it but still read it; before 1.5 it is the only field.
    let on = |minor: u32| {
        let compat = IstioRelease::new(Version::new(1, minor)).switches().istio;
        let loaded = parse_policies_with("policies/x.yaml", &text, &compat).unwrap();
        loaded
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
    };
    let six = on(6);
    assert_eq!(six.len(), 1);
    assert!(
        six[0].ends_with(
            "deprecated: outlier detection consecutive errors, use consecutiveGatewayErrors or \
             consecutive5xxErrors instead (the Istio release modelled, 1.5 or 1.6, still reads it \
             as consecutive gateway errors; Istio ≥ 1.7 ignores it)"
        ),
        "{six:?}"
    );
    assert!(on(4).is_empty(), "Istio 1.4 has nothing else to offer");
}

#[test]
fn modelled_fields_and_empty_blocks_are_not_warned_about() {
    let text = format!(
        "{DR_HEAD}  exportTo: []
  trafficPolicy:
    tls: {{}}
    connectionPool:
      tcp: {{maxConnections: 1, connectTimeout: 1s}}
      http: {{http1MaxPendingRequests: 1, maxRequestsPerConnection: 1, idleTimeout: 1s}}
    loadBalancer: {{simple: RANDOM}}
    outlierDetection: {{consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m}}
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
"
    );
    assert_eq!(warnings(&text), Vec::<String>::new());
}

#[test]
fn virtual_service_cors_export_to_stat_prefix_and_source_subnet_are_warnings() {
    let text = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  exportTo: ['*']
  http:
  - match: [{uri: {prefix: /}, statPrefix: reviews}]
    corsPolicy: {allowOrigins: [{exact: 'https://example.com'}]}
    route: [{destination: {host: reviews}}]
  tcp:
  - match: [{sourceSubnet: 10.0.0.0/8}]
    route: [{destination: {host: reviews}}]
";
    let paths: Vec<String> = places(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        paths,
        [
            "spec.http[0].match[0].statPrefix",
            "spec.http[0].corsPolicy",
            "spec.tcp[0].match[0].sourceSubnet",
            "spec.exportTo",
        ]
    );
}

#[test]
fn gateway_tls_and_bind_are_warnings() {
    let text = "\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ['*']
    bind: 0.0.0.0
    tls: {mode: SIMPLE, credentialName: cert}
";
    assert_eq!(
        warnings(text),
        [
            "policies/x.yaml:10: Gateway gw: spec.servers[0].tls: ignored: not modelled (TLS is \
             not modelled: an HTTPS server is served as HTTP and a TLS server as TCP, with no \
             handshake or certificates)",
            "policies/x.yaml:9: Gateway gw: spec.servers[0].bind: ignored: not modelled (the \
             listener accepts on every address of the pod)",
        ]
    );
}

#[test]
fn service_entry_addresses_export_to_and_endpoint_networks_are_warnings() {
    let text = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db}
spec:
  hosts: [mydb.com]
  addresses: [10.1.2.3]
  exportTo: ['.']
  subjectAltNames: [spiffe://db]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints:
  - {address: db.us-west, network: west, serviceAccount: db}
";
    let paths: Vec<String> = places(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        paths,
        [
            "spec.addresses",
            "spec.exportTo",
            "spec.subjectAltNames",
            "spec.endpoints[0].network",
            "spec.endpoints[0].serviceAccount",
        ]
    );
}

#[test]
fn app_mesh_listener_tls_backend_defaults_and_match_expressions_are_warnings_backends_are_read() {
    let text = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata: {name: green, namespace: ns}
spec:
  podSelector:
    matchLabels: {app: color}
    matchExpressions: [{key: version, operator: In, values: [green]}]
  listeners:
  - portMapping: {port: 8080, protocol: http}
    tls: {mode: STRICT}
    timeout: {http: {perRequest: {unit: s, value: 10}}}
  backends:
  - virtualService: {virtualServiceRef: {name: red}}
  backendDefaults: {clientPolicy: {}}
  serviceDiscovery:
    dns: {hostname: green.ns.svc.cluster.local}
";
    let paths: Vec<String> = places(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        paths,
        [
            "spec.podSelector.matchExpressions",
            "spec.backendDefaults",
            "spec.listeners[0].tls",
        ]
    );
    // The listener's perRequest timeout is read, not warned about.
    let p = meshtwin_config::parse_policies("policies/x.yaml", text)
        .unwrap()
        .value;
    assert_eq!(
        p.appmesh_listeners[0].request_timeout,
        Some(std::time::Duration::from_secs(10))
    );
}
