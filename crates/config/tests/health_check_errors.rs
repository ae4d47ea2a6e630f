//! Bad App Mesh `healthCheck` input (App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh), App Mesh API `HealthCheckPolicy`): every case
//! is a `ConfigError` with the file, line and field path — never a panic, never a silently
//! accepted value.

use meshtwin_config::parse_policies;
use meshtwin_model::topology::Protocol;

/// A virtual node whose listener (port 8080) has a `healthCheck` with these fields (the
/// `healthCheck:` key is at line 11, its first field at line 12).
fn vn(fields: &[&str]) -> String {
    let mut s = String::from(
        "apiVersion: appmesh.k8s.aws/v1beta2\nkind: VirtualNode\nmetadata:\n  name: green\n  namespace: ns\nspec:\n  listeners:\n    - portMapping:\n        port: 8080\n        protocol: http\n      healthCheck:\n",
    );
    for f in fields {
        s.push_str(&format!("        {f}\n"));
    }
    s
}

const VALID: [&str; 6] = [
    "protocol: http",
    "path: /ping",
    "intervalMillis: 5000",
    "timeoutMillis: 2000",
    "healthyThreshold: 2",
    "unhealthyThreshold: 2",
];

/// `VALID` with field `key` replaced by `line` (or removed when `line` is empty).
fn with(key: &str, line: &str) -> String {
    let fields: Vec<&str> = VALID
        .iter()
        .copied()
        .filter(|f| !f.starts_with(&format!("{key}:")))
        .chain((!line.is_empty()).then_some(line))
        .collect();
    vn(&fields)
}

fn message(text: &str) -> String {
    match parse_policies("policies/x.yaml", text) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e.to_string(),
    }
}

const AT: &str = "VirtualNode green: spec.listeners[0].healthCheck";

#[test]
fn the_seed_health_check_is_accepted() {
    let p = parse_policies("policies/x.yaml", &vn(&VALID))
        .expect("valid")
        .value;
    let hc = p.appmesh_listeners[0].health_check.as_ref().unwrap();
    assert_eq!(hc.path.as_deref(), Some("/ping"));
    assert_eq!(hc.protocol, Protocol::Http);
}

#[test]
fn thresholds_must_be_between_2_and_10() {
    assert_eq!(
        message(&with("healthyThreshold", "healthyThreshold: 1")),
        format!("policies/x.yaml:17: {AT}.healthyThreshold: must be >= 2")
    );
    assert_eq!(
        message(&with("unhealthyThreshold", "unhealthyThreshold: 11")),
        format!("policies/x.yaml:17: {AT}.unhealthyThreshold: must be <= 10")
    );
}

#[test]
fn the_interval_must_be_at_least_5000_ms() {
    assert_eq!(
        message(&with("intervalMillis", "intervalMillis: 4999")),
        format!("policies/x.yaml:17: {AT}.intervalMillis: must be >= 5000")
    );
    assert!(
        message(&with("intervalMillis", "intervalMillis: 300001")).ends_with("must be <= 300000")
    );
}

#[test]
fn the_timeout_must_be_between_2000_and_60000_ms() {
    assert_eq!(
        message(&with("timeoutMillis", "timeoutMillis: 1999")),
        format!("policies/x.yaml:17: {AT}.timeoutMillis: must be >= 2000")
    );
    assert!(message(&with("timeoutMillis", "timeoutMillis: 60001")).ends_with("must be <= 60000"));
}

#[test]
fn an_http_check_needs_a_path() {
    assert_eq!(
        message(&with("path", "")),
        format!("policies/x.yaml:11: {AT}: missing field `path` (required for http health checks)")
    );
}

#[test]
fn a_tcp_check_ignores_its_path() {
    let text = with("protocol", "protocol: tcp").replace(
        "protocol: http\n      healthCheck",
        "protocol: tcp\n      healthCheck",
    );
    let p = parse_policies("policies/x.yaml", &text)
        .expect("valid")
        .value;
    let hc = p.appmesh_listeners[0].health_check.as_ref().unwrap();
    assert_eq!((hc.protocol, hc.path.as_deref()), (Protocol::Tcp, None));
}

#[test]
fn the_port_must_match_the_listener() {
    let text = vn(&[&VALID[..], &["port: 9090"]].concat());
    assert_eq!(
        message(&text),
        format!("policies/x.yaml:18: {AT}.port: must match the listener's portMapping.port 8080")
    );
    assert!(parse_policies(
        "policies/x.yaml",
        &vn(&[&VALID[..], &["port: 8080"]].concat())
    )
    .is_ok());
}

#[test]
fn required_fields_and_unknown_fields_are_reported() {
    assert_eq!(
        message(&with("timeoutMillis", "")),
        format!("policies/x.yaml:11: {AT}: missing field `timeoutMillis`")
    );
    assert!(
        message(&vn(&[&VALID[..], &["intervalSeconds: 5"]].concat())).starts_with(&format!(
            "policies/x.yaml:18: {AT}.intervalSeconds: unknown field"
        ))
    );
}
