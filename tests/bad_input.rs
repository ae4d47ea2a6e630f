//! Bad input, end to end: `meshtwin run` on a broken scenario, topology or policy exits 2,
//! prints one located error (`file:line: [object: ][path: ]message`) on stderr, never
//! panics and writes nothing. Each fixture under tests/fixtures/bad/ is a bundled file with
//! one thing broken; its first comment says what and where.

mod common;

use common::{bundled_scenarios, meshtwin, run_scenario, TempDir};

/// Where an error must point and what it must say.
struct Located {
    /// The file, relative to the workspace root as the scenario's paths resolve it.
    file: &'static str,
    line: u32,
    /// `[object: ]field path` as the error prints it, where it has a field.
    path: Option<&'static str>,
    /// A fragment of the message saying what is wrong or expected.
    says: &'static str,
}

/// `meshtwin run tests/fixtures/bad/SCENARIO` exits 2 with the error `want`, and writes
/// nothing: the output directory it was given does not exist afterwards.
fn assert_rejected(test: &str, scenario: &str, want: Located) {
    let tmp = TempDir::new(test, "run");
    let out = tmp.join("out");
    let got = run_scenario(&format!("tests/fixtures/bad/{scenario}"), &out, &[]);
    let transcript = got.transcript();
    assert_eq!(got.code, 2, "invalid input must exit 2\n{transcript}");
    assert!(!got.stderr.contains("panicked"), "panicked\n{transcript}");
    // `file:line: ` or, where the reader knows the column, `file:line:column: `.
    let location = format!("error: {}:{}:", want.file, want.line);
    let error = got
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&location))
        .find_map(|rest| {
            let column = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            let rest = if column.len() < rest.len() {
                column.strip_prefix(':')?
            } else {
                rest
            };
            rest.strip_prefix(' ')
        })
        .unwrap_or_else(|| panic!("no error at `{location}` on stderr\n{transcript}"));
    if let Some(path) = want.path {
        assert!(
            error.contains(&format!("{path}: ")),
            "the error does not name the field `{path}`\n{transcript}"
        );
    }
    assert!(
        error.contains(want.says),
        "the error does not say `{}`\n{transcript}",
        want.says
    );
    assert!(!out.exists(), "wrote {}\n{transcript}", out.display());
    assert_eq!(
        tmp.entries(),
        Vec::<String>::new(),
        "wrote into the temp dir"
    );
}

#[test]
fn a_missing_scenario_file_is_rejected_at_line_1() {
    assert_rejected(
        "missing_file",
        "does-not-exist.yaml",
        Located {
            file: "tests/fixtures/bad/does-not-exist.yaml",
            line: 1,
            path: None,
            says: "cannot read file: No such file or directory",
        },
    );
}

#[test]
fn invalid_yaml_in_a_policy_is_rejected_at_the_line_that_breaks_it() {
    assert_rejected(
        "invalid_yaml",
        "invalid-yaml.yaml",
        Located {
            file: "tests/fixtures/bad/policies/invalid-yaml.yaml",
            line: 8,
            path: None,
            says: "invalid YAML: while parsing a block mapping, did not find expected key",
        },
    );
}

#[test]
fn an_unknown_destination_rule_field_is_rejected_with_the_fields_allowed_there() {
    assert_rejected(
        "unknown_field",
        "dr-unknown-field.yaml",
        Located {
            file: "tests/fixtures/bad/policies/dr-unknown-field.yaml",
            line: 11,
            path: Some(
                "DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConection",
            ),
            says: "unknown field; did you mean maxConnections? (expected one of: maxConnections, connectTimeout",
        },
    );
}

#[test]
fn a_string_where_a_connection_limit_belongs_is_rejected() {
    assert_rejected(
        "wrong_type",
        "dr-wrong-type.yaml",
        Located {
            file: "tests/fixtures/bad/policies/dr-wrong-type.yaml",
            line: 11,
            path: Some(
                "DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConnections",
            ),
            says: "expected an integer, found \"one\"",
        },
    );
}

#[test]
fn a_zero_connection_limit_is_rejected() {
    assert_rejected(
        "zero_limit",
        "dr-zero-limit.yaml",
        Located {
            file: "tests/fixtures/bad/policies/dr-zero-limit.yaml",
            line: 11,
            path: Some("spec.trafficPolicy.connectionPool.tcp.maxConnections"),
            says: "must be > 0",
        },
    );
}

#[test]
fn a_negative_pending_request_limit_is_rejected() {
    assert_rejected(
        "negative_limit",
        "dr-negative-limit.yaml",
        Located {
            file: "tests/fixtures/bad/policies/dr-negative-limit.yaml",
            line: 13,
            path: Some("spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests"),
            says: "must be > 0",
        },
    );
}

#[test]
fn a_destination_rule_for_a_service_the_topology_lacks_is_rejected() {
    assert_rejected(
        "unknown_host",
        "dr-unknown-host.yaml",
        Located {
            file: "tests/fixtures/bad/policies/dr-unknown-host.yaml",
            line: 7,
            path: Some("DestinationRule httpbin: spec.host"),
            says: "host \"nosuchservice\" names no service in topology \"httpbin\"",
        },
    );
}

#[test]
fn a_duration_without_a_valid_unit_is_rejected() {
    assert_rejected(
        "bad_duration",
        "dr-bad-duration.yaml",
        Located {
            file: "tests/fixtures/bad/policies/dr-bad-duration.yaml",
            line: 17,
            path: Some("spec.trafficPolicy.outlierDetection.interval"),
            says: "invalid duration \"1x\": expected a number with a unit",
        },
    );
}

#[test]
fn a_load_from_a_pod_the_topology_lacks_is_rejected_at_its_from_field() {
    assert_rejected(
        "load_from_no_pod",
        "load-from-no-pod.yaml",
        Located {
            file: "tests/fixtures/bad/load-from-no-pod.yaml",
            line: 14,
            path: Some("loads[0].from"),
            says: "no pod or workload named 'nosuchpod' in topology httpbin",
        },
    );
}

#[test]
fn a_counter_expectation_on_a_pod_without_a_proxy_is_rejected_at_its_proxy_field() {
    assert_rejected(
        "counter_without_proxy",
        "counter-without-proxy.yaml",
        Located {
            file: "tests/fixtures/bad/counter-without-proxy.yaml",
            line: 20,
            path: Some("expect[0].counter.proxy"),
            says: "no pod named 'fortio-0' with a proxy in topology appmesh-colors",
        },
    );
}

#[test]
fn a_topology_with_a_duplicate_workload_is_rejected_at_the_second_one() {
    assert_rejected(
        "duplicate_workload",
        "duplicate-workload.yaml",
        Located {
            file: "tests/fixtures/bad/topologies/duplicate-workload.yaml",
            line: 23,
            path: Some("regions[0].zones[0].clusters[0].workloads[1].name"),
            says: "duplicate workload name \"httpbin\" (first at line 11)",
        },
    );
}

#[test]
fn a_load_with_both_calls_and_duration_is_rejected() {
    assert_rejected(
        "calls_and_duration",
        "calls-and-duration.yaml",
        Located {
            file: "tests/fixtures/bad/calls-and-duration.yaml",
            line: 16,
            path: Some("loads[0].duration"),
            says: "set either calls (fortio -n) or duration (fortio -t), not both",
        },
    );
}

#[test]
fn an_app_mesh_pool_with_both_http_and_tcp_blocks_is_rejected() {
    assert_rejected(
        "appmesh_http_and_tcp",
        "appmesh-pool-http-and-tcp.yaml",
        Located {
            file: "tests/fixtures/bad/policies/appmesh-pool-http-and-tcp.yaml",
            line: 95,
            path: Some("VirtualNode green: spec.listeners[0].connectionPool"),
            says: "only one protocol block is allowed, found http and tcp",
        },
    );
}

#[test]
fn an_app_mesh_health_check_interval_below_5000_ms_is_rejected() {
    assert_rejected(
        "appmesh_health_check_interval",
        "appmesh-health-check-interval.yaml",
        Located {
            file: "tests/fixtures/bad/policies/appmesh-health-check-interval.yaml",
            line: 94,
            path: Some("VirtualNode green: spec.listeners[0].healthCheck.intervalMillis"),
            says: "must be >= 5000",
        },
    );
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    for sc in bundled_scenarios() {
        let got = meshtwin(["validate", sc.path.as_str()]);
        assert_eq!(got.code, 0, "{}\n{}", sc.path, got.transcript());
        assert!(
            got.stdout.contains(&format!("ok: {}", sc.path)),
            "{}\n{}",
            sc.path,
            got.transcript()
        );
    }
}

#[test]
fn validate_rejects_every_bad_fixture_with_exit_2_and_a_located_error() {
    let dir = common::workspace_root().join("tests/fixtures/bad");
    let fixtures: Vec<String> = common::list_dir(&dir)
        .into_iter()
        .filter(|f| f.ends_with(".yaml"))
        .collect();
    assert!(fixtures.len() >= 12, "fixtures missing: {fixtures:?}");
    for f in fixtures {
        let got = meshtwin(["validate", &format!("tests/fixtures/bad/{f}")]);
        let transcript = got.transcript();
        assert_eq!(got.code, 2, "{f}\n{transcript}");
        assert!(!got.stderr.contains("panicked"), "{f}\n{transcript}");
        assert!(
            got.stderr.starts_with("error: tests/fixtures/bad/"),
            "{f}: the error is not located in the fixture\n{transcript}"
        );
    }
}

#[test]
fn validate_fails_when_any_of_several_scenarios_is_bad() {
    let good = &bundled_scenarios()[0].path;
    let got = meshtwin([
        "validate",
        good.as_str(),
        "tests/fixtures/bad/dr-zero-limit.yaml",
    ]);
    let transcript = got.transcript();
    assert_eq!(got.code, 2, "{transcript}");
    assert!(got.stdout.contains(&format!("ok: {good}")), "{transcript}");
    assert!(
        got.stderr
            .contains("error: tests/fixtures/bad/policies/dr-zero-limit.yaml:11: "),
        "{transcript}"
    );
}

#[test]
fn a_tcp_route_whose_weights_add_up_to_zero_is_rejected_at_the_route() {
    assert_rejected(
        "tcp_weights_zero",
        "tcp-weights-zero.yaml",
        Located {
            file: "tests/fixtures/bad/policies/tcp-weights-zero.yaml",
            line: 16,
            path: Some("VirtualService tcp-echo: spec.tcp[0].route"),
            says: "total destination weight = 0",
        },
    );
}

#[test]
fn a_tcp_route_to_an_undefined_subset_is_rejected_as_istioctl_analyze_does() {
    assert_rejected(
        "tcp_unknown_subset",
        "tcp-unknown-subset.yaml",
        Located {
            file: "tests/fixtures/bad/policies/tcp-unknown-subset.yaml",
            line: 28,
            path: Some("spec.tcp[0].route[1].destination.subset"),
            says: "Referenced host+subset in destinationrule not found: \"tcp-echo+v3\"",
        },
    );
}

#[test]
fn a_gateway_selecting_no_pod_is_rejected_as_istioctl_analyze_does() {
    assert_rejected(
        "gateway_selects_nothing",
        "gateway-selects-nothing.yaml",
        Located {
            file: "tests/fixtures/bad/policies/gateway-selects-nothing.yaml",
            line: 3,
            path: Some("Gateway tcp-echo-gateway: spec.selector"),
            says: "Referenced selector not found: \"istio=egressgateway\"",
        },
    );
}

#[test]
fn a_tcp_load_without_a_port_is_rejected_at_its_url() {
    assert_rejected(
        "tcp_load_no_port",
        "tcp-load-no-port.yaml",
        Located {
            file: "tests/fixtures/bad/tcp-load-no-port.yaml",
            line: 18,
            path: Some("loads[0].url"),
            says: "expected tcp://host:port",
        },
    );
}

#[test]
fn a_tcp_load_from_a_pod_with_a_sidecar_is_rejected_at_its_from_field() {
    assert_rejected(
        "tcp_load_from_sidecar",
        "tcp-load-from-sidecar.yaml",
        Located {
            file: "tests/fixtures/bad/tcp-load-from-sidecar.yaml",
            line: 13,
            path: Some("loads[0].from"),
            says: "a tcp:// load runs from a pod without a sidecar",
        },
    );
}

#[test]
fn a_timeline_entry_naming_an_unknown_pod_is_rejected_at_the_entry() {
    assert_rejected(
        "timeline_unknown_pod",
        "timeline-unknown-pod.yaml",
        Located {
            file: "tests/fixtures/bad/timeline-unknown-pod.yaml",
            line: 12,
            path: Some("timeline[1].crash"),
            says: "no pod named 'ratings-v2-0' in topology bookinfo; did you mean ratings-v1-0?",
        },
    );
}

#[test]
fn a_timeline_entry_after_the_end_of_the_run_is_rejected() {
    assert_rejected(
        "timeline_after_end",
        "timeline-after-end.yaml",
        Located {
            file: "tests/fixtures/bad/timeline-after-end.yaml",
            line: 11,
            path: Some("timeline[0].at"),
            says: "25s is after the end of the run (20s)",
        },
    );
}

#[test]
fn a_timeline_entry_with_two_actions_is_rejected() {
    assert_rejected(
        "timeline_two_actions",
        "timeline-two-actions.yaml",
        Located {
            file: "tests/fixtures/bad/timeline-two-actions.yaml",
            line: 10,
            path: Some("timeline[0]"),
            says: "expected exactly one action",
        },
    );
}

#[test]
fn locality_distribute_with_failover_is_rejected_with_istios_message() {
    assert_rejected(
        "locality_distribute_failover",
        "locality-distribute-and-failover.yaml",
        Located {
            file: "tests/fixtures/bad/policies/locality-distribute-and-failover.yaml",
            line: 12,
            path: Some(
                "DestinationRule mydynamodb: spec.trafficPolicy.loadBalancer.localityLbSetting",
            ),
            says: "can not simultaneously specify 'distribute' and 'failover'",
        },
    );
}

#[test]
fn a_service_entry_endpoint_port_the_entry_lacks_is_rejected() {
    assert_rejected(
        "service_entry_endpoint_port",
        "service-entry-bad-endpoint-port.yaml",
        Located {
            file: "tests/fixtures/bad/policies/service-entry-bad-endpoint-port.yaml",
            line: 20,
            path: Some("ServiceEntry external-svc-dns: spec.endpoints[0].ports.https"),
            says: "endpoint port https is not defined by the service entry",
        },
    );
}

#[test]
fn a_tsb_cluster_list_with_weights_on_some_clusters_only_is_rejected() {
    assert_rejected(
        "tsb_weights_partly_set",
        "tsb-weights-partly-set.yaml",
        Located {
            file: "tests/fixtures/bad/policies/tsb-weights-partly-set.yaml",
            line: 22,
            path: Some(
                "Gateway bookinfo-edge: spec.http[0].routing.rules[0].route.clusterDestination.clusters[1]",
            ),
            says: "weights must be set for all clusters or for none",
        },
    );
}

#[test]
fn a_scenario_name_that_would_leave_the_output_directory_is_rejected() {
    assert_rejected(
        "scenario_name_escapes",
        "scenario-name-escapes.yaml",
        Located {
            file: "tests/fixtures/bad/scenario-name-escapes.yaml",
            line: 3,
            path: Some("name"),
            says: "invalid name \"../../escaped\": a lowercase RFC 1123 subdomain",
        },
    );
}

#[test]
fn a_run_longer_than_the_duration_limit_is_rejected_before_simulating() {
    assert_rejected(
        "duration_over_limit",
        "duration-over-limit.yaml",
        Located {
            file: "tests/fixtures/bad/duration-over-limit.yaml",
            line: 6,
            path: Some("duration"),
            says: "10000h is more than 24h, the limit on a run's virtual duration",
        },
    );
}

#[test]
fn loads_planning_more_calls_than_the_limit_are_rejected() {
    assert_rejected(
        "calls_over_limit",
        "calls-over-limit.yaml",
        Located {
            file: "tests/fixtures/bad/calls-over-limit.yaml",
            line: 13,
            path: Some("loads[0].calls"),
            says: "the loads would make 200000000 calls, more than the limit of 100000000 per run",
        },
    );
}

#[test]
fn a_misspelt_kind_is_rejected_not_dropped() {
    assert_rejected(
        "misspelt_kind",
        "misspelt-kind.yaml",
        Located {
            file: "tests/fixtures/bad/policies/misspelt-kind.yaml",
            line: 3,
            path: Some("DestinatonRule httpbin: kind"),
            says: "unknown kind \"DestinatonRule\"; did you mean DestinationRule?",
        },
    );
}

#[test]
fn a_virtual_service_with_an_unknown_api_version_is_rejected_not_dropped() {
    assert_rejected(
        "vs_bad_api_version",
        "vs-bad-api-version.yaml",
        Located {
            file: "tests/fixtures/bad/policies/vs-bad-api-version.yaml",
            line: 2,
            path: Some("VirtualService httpbin: apiVersion"),
            says: "unsupported apiVersion \"foo/v9\" for VirtualService",
        },
    );
}

#[test]
fn a_policy_file_without_objects_is_rejected_as_kubectl_apply_does() {
    assert_rejected(
        "empty_policy",
        "empty-policy.yaml",
        Located {
            file: "tests/fixtures/bad/policies/empty.yaml",
            line: 1,
            path: None,
            says: "no objects in the file (kubectl apply -f: \"no objects passed to apply\")",
        },
    );
}

#[test]
fn a_nul_byte_is_rejected_where_it_is() {
    assert_rejected(
        "nul_byte",
        "nul-byte.yaml",
        Located {
            file: "tests/fixtures/bad/policies/nul-byte.yaml",
            line: 11,
            path: None,
            says: "the file contains a NUL byte: not a YAML or JSON text file",
        },
    );
}

#[test]
fn a_cluster_name_longer_than_kubernetes_allows_is_rejected() {
    assert_rejected(
        "long_cluster_name",
        "long-cluster-name.yaml",
        Located {
            file: "tests/fixtures/bad/topologies/long-cluster-name.yaml",
            line: 8,
            path: Some("regions[0].zones[0].clusters[0].name"),
            says: "must be no more than 63 characters",
        },
    );
}

#[test]
fn a_topology_that_is_a_device_is_rejected_without_reading_it() {
    // /dev/zero never ends: read, it would fill memory.
    let tmp = TempDir::new("dev_zero", "run");
    let scenario = tmp.join("scenario.yaml");
    std::fs::write(
        &scenario,
        "name: dev-zero\ntopology: /dev/zero\nduration: 5s\nloads: []\n",
    )
    .unwrap();
    let out = tmp.join("out");
    let got = run_scenario(scenario.to_str().unwrap(), &out, &[]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert_eq!(
        got.stderr,
        "error: /dev/zero:1: cannot read file: not a regular file\n"
    );
    assert!(!out.exists());
}

#[test]
fn known_kinds_the_twin_does_not_model_are_warned_about_and_the_run_goes_on() {
    let got = meshtwin(["validate", "scenarios/appmesh-connection-pools.yaml"]);
    let transcript = got.transcript();
    assert_eq!(got.code, 0, "{transcript}");
    assert!(
        got.stdout
            .contains("ok: scenarios/appmesh-connection-pools.yaml (topology appmesh-colors, 1 policy file(s), 1 warning)"),
        "{transcript}"
    );
    // The Mesh is the one kind of the walkthrough not read (its routing objects are).
    let warnings: Vec<&str> = got.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{transcript}");
    assert!(warnings
        .iter()
        .all(|w| w.starts_with("warning: policies/appmesh/connection-pools.yaml:")));
    assert!(
        warnings[0].starts_with(
            "warning: policies/appmesh/connection-pools.yaml:21: Mesh howto-k8s-connection-pools: \
             ignored: not modelled ("
        ),
        "{transcript}"
    );
}

#[test]
fn a_load_to_a_misspelt_service_is_rejected_with_the_name_it_resembles() {
    // Run, every call would end 404 NR (no route): refused before simulating instead.
    assert_rejected(
        "load_unknown_host",
        "load-unknown-host.yaml",
        Located {
            file: "tests/fixtures/bad/load-unknown-host.yaml",
            line: 14,
            path: Some("loads[0].url"),
            says: "'htpbin' names no service, nor a ServiceEntry host, of topology httpbin, so \
                   'http://htpbin:8000/get' from fortio-0 would reach nothing; did you mean httpbin?",
        },
    );
}

#[test]
fn a_load_to_a_port_the_service_lacks_is_rejected_with_its_ports() {
    assert_rejected(
        "load_wrong_port",
        "load-wrong-port.yaml",
        Located {
            file: "tests/fixtures/bad/load-wrong-port.yaml",
            line: 13,
            path: Some("loads[0].url"),
            says: "service 'httpbin' has no port 8080 (its ports: 8000)",
        },
    );
}

#[test]
fn validate_refuses_a_tcp_load_to_an_unknown_service_as_run_does() {
    let want = "error: tests/fixtures/bad/tcp-load-unknown-service.yaml:18: loads[0].url: \
                'istio-ingresgateway.istio-system' names no service, nor a workload's dns: name, \
                of topology tcp-echo, so 'tcp://istio-ingresgateway.istio-system:31400' from \
                nc-client-0 would reach nothing; did you mean istio-ingressgateway.istio-system?\n";
    let validate = meshtwin([
        "validate",
        "tests/fixtures/bad/tcp-load-unknown-service.yaml",
    ]);
    assert_eq!(validate.code, 2, "{}", validate.transcript());
    assert_eq!(validate.stderr, want, "{}", validate.transcript());
    let tmp = TempDir::new("tcp_unknown_service", "run");
    let run = run_scenario(
        "tests/fixtures/bad/tcp-load-unknown-service.yaml",
        &tmp.join("out"),
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(run.stderr, want, "{}", run.transcript());
}

#[test]
fn a_priority_expectation_on_a_cluster_no_proxy_has_is_rejected() {
    assert_rejected(
        "priority_unknown_cluster",
        "priority-unknown-cluster.yaml",
        Located {
            file: "tests/fixtures/bad/priority-unknown-cluster.yaml",
            line: 12,
            path: Some("expect[0].priorityLoad.cluster"),
            says: "'httbin.default.svc.cluster.local' is no service FQDN, ServiceEntry host or \
                   gateway hostname of topology httpbin; did you mean \
                   outbound|8000||httpbin.default.svc.cluster.local?",
        },
    );
}

#[test]
fn a_counter_on_a_misspelt_cluster_is_rejected_not_read_as_zero() {
    assert_rejected(
        "counter_unknown_cluster",
        "counter-unknown-cluster.yaml",
        Located {
            file: "tests/fixtures/bad/counter-unknown-cluster.yaml",
            line: 12,
            path: Some("expect[0].counter.stat"),
            says: "did you mean outbound|8000||httpbin.default.svc.cluster.local?",
        },
    );
}

#[test]
fn a_reached_expectation_on_an_unknown_workload_is_rejected() {
    assert_rejected(
        "reached_unknown_workload",
        "reached-unknown-workload.yaml",
        Located {
            file: "tests/fixtures/bad/reached-unknown-workload.yaml",
            line: 12,
            path: Some("expect[0].reached.workload"),
            says: "no workload named 'httpbn' in topology httpbin; did you mean httpbin?",
        },
    );
}

#[test]
fn syntax_errors_and_nul_bytes_are_located_at_their_column() {
    for (scenario, want) in [
        (
            "nul-byte.yaml",
            "error: tests/fixtures/bad/policies/nul-byte.yaml:11:26: the file contains a NUL \
             byte: not a YAML or JSON text file\n",
        ),
        (
            "invalid-yaml.yaml",
            "error: tests/fixtures/bad/policies/invalid-yaml.yaml:8:15: invalid YAML: while \
             parsing a block mapping, did not find expected key\n",
        ),
    ] {
        let got = meshtwin(["validate", &format!("tests/fixtures/bad/{scenario}")]);
        assert_eq!(got.code, 2, "{}", got.transcript());
        assert_eq!(got.stderr, want, "{}", got.transcript());
    }
}

#[test]
fn a_counter_on_a_stat_envoy_does_not_have_is_rejected_with_the_stat_it_resembles() {
    assert_rejected(
        "counter_misspelt_stat",
        "counter-misspelt-stat.yaml",
        Located {
            file: "tests/fixtures/bad/counter-misspelt-stat.yaml",
            line: 13,
            path: Some("expect[0].counter.stat"),
            says: "'upstream_rq_pending_overflw' is none of Envoy's cluster stats; did you mean \
                   cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow?",
        },
    );
}

#[test]
fn a_partition_side_the_topology_lacks_is_rejected_with_the_name_it_resembles() {
    assert_rejected(
        "partition_unknown_side",
        "timeline-partition-unknown-side.yaml",
        Located {
            file: "tests/fixtures/bad/timeline-partition-unknown-side.yaml",
            line: 11,
            path: Some("timeline[0].partition.to"),
            says: "'ratings-v9' names no pod, workload, cluster or region[/zone] of topology \
                   bookinfo; did you mean ratings-v1?",
        },
    );
}

#[test]
fn a_short_name_of_a_service_in_another_namespace_is_rejected_with_its_full_name() {
    assert_rejected(
        "load_other_namespace",
        "tcp-load-other-namespace.yaml",
        Located {
            file: "tests/fixtures/bad/tcp-load-other-namespace.yaml",
            line: 18,
            path: Some("loads[0].url"),
            says: "service 'istio-ingressgateway' is in namespace istio-system and nc-client-0 \
                   in default: use istio-ingressgateway.istio-system",
        },
    );
}

#[test]
fn scaling_beyond_the_topologys_replicas_is_rejected_at_the_entry() {
    assert_rejected(
        "scale_beyond_replicas",
        "timeline-scale-beyond-replicas.yaml",
        Located {
            file: "tests/fixtures/bad/timeline-scale-beyond-replicas.yaml",
            line: 11,
            path: Some("timeline[0].scale.replicas"),
            says: "3 is more than the topology's 1 replica(s) of 'ratings-v1'",
        },
    );
}

#[test]
fn an_app_change_for_a_workload_the_topology_lacks_is_rejected_with_the_name_it_resembles() {
    assert_rejected(
        "app_unknown_workload",
        "timeline-app-unknown-workload.yaml",
        Located {
            file: "tests/fixtures/bad/timeline-app-unknown-workload.yaml",
            line: 11,
            path: Some("timeline[0].app.workload"),
            says: "no workload named 'ratings-v2' with an app in topology bookinfo; did you mean \
                   ratings-v1?",
        },
    );
}
