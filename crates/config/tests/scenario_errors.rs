//! Scenario files: what they lower to, and every mistake located.

use std::path::Path;
use std::time::Duration;

use meshtwin_config::{load_scenario, parse_scenario};
use meshtwin_model::release::{MeshRelease, Version};
use meshtwin_model::scenario::Metric;

const HEAD: &str = "\
name: s
topology: ../topologies/t.yaml
duration: 20s
loads:
";

/// A scenario whose single load has these extra lines (the load starts at line 5).
fn with_load(extra: &str) -> String {
    format!("{HEAD}  - name: c2\n    from: fortio\n    url: http://httpbin:8000/get\n{extra}")
}

fn message(text: &str) -> String {
    match parse_scenario(Path::new("scenarios/x.yaml"), text) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_minimal_scenario_gets_fortios_defaults() {
    let s = parse_scenario(Path::new("scenarios/x.yaml"), &with_load("    calls: 5\n"))
        .unwrap()
        .value;
    assert_eq!(
        (s.name.as_str(), s.description.as_str(), s.file.as_str()),
        ("s", "", "scenarios/x.yaml")
    );
    assert_eq!(
        (s.topology.as_str(), s.seed, s.duration),
        ("topologies/t.yaml", 1, Duration::from_secs(20))
    );
    assert!(s.policies.is_empty() && s.expectations.is_empty());
    let l = &s.loads[0];
    assert_eq!(
        (l.start, l.connections, l.qps, l.calls, l.duration),
        (Duration::ZERO, 8, 8.0, Some(5), None)
    );
    assert_eq!(
        (l.method.as_str(), l.timeout, l.headers.len()),
        ("GET", Duration::from_secs(3), 0)
    );
}

#[test]
fn every_metric_kind_reads() {
    let text = with_load(
        "    calls: 5\nexpect:
  - {name: a, codeFraction: {load: c2, code: 503}, max: 0.2}
  - {name: b, codeCount: {load: c2, code: 0}, min: 0, max: 0}
  - {name: c, requests: {load: c2}, min: 5, max: 5}
  - {name: d, flagFraction: {load: c2, code: 503, flag: UO}, min: 1.0}
  - {name: e, counter: {proxy: fortio-0, stat: x.y}, min: 1}
  - {name: f, gaugeMax: {proxy: fortio-0, stat: x.z}, max: 3}
  - {name: g, latencyMs: {load: c2, percentile: 99.9}, max: 50}
",
    );
    let s = parse_scenario(Path::new("x.yaml"), &text).unwrap().value;
    assert_eq!(s.expectations.len(), 7);
    assert_eq!(
        s.expectations[3].metric,
        Metric::FlagFraction {
            load: "c2".into(),
            code: 503,
            flag: "UO".into()
        }
    );
    assert_eq!(
        s.expectations[6].metric,
        Metric::LatencyMs {
            load: "c2".into(),
            percentile: 99.9
        }
    );
    assert_eq!(
        (s.expectations[0].min, s.expectations[0].max),
        (None, Some(0.2))
    );
}

#[test]
fn a_missing_scenario_file_is_an_error() {
    assert_eq!(
        load_scenario(Path::new("scenarios/x.yaml"))
            .unwrap_err()
            .to_string(),
        "scenarios/x.yaml:1: cannot read file: No such file or directory"
    );
}

#[test]
fn a_load_with_both_calls_and_duration_is_an_error() {
    assert_eq!(
        message(&with_load("    calls: 20\n    duration: 10s\n")),
        "scenarios/x.yaml:9: loads[0].duration: set either calls (fortio -n) or duration (fortio -t), not both"
    );
}

#[test]
fn a_load_with_neither_calls_nor_duration_is_an_error() {
    assert_eq!(
        message(&with_load("")),
        "scenarios/x.yaml:5: loads[0]: missing field `calls` or `duration` (exactly one is required)"
    );
}

#[test]
fn load_names_are_unique() {
    let text = format!(
        "{}  - {{name: c2, from: f, url: 'http://h/', calls: 1}}\n",
        with_load("    calls: 1\n")
    );
    assert_eq!(
        message(&text),
        "scenarios/x.yaml:9: loads[1].name: duplicate load name \"c2\" (first at line 5)"
    );
}

#[test]
fn loads_must_fit_in_the_run() {
    assert_eq!(
        message(&with_load("    start: 15s\n    duration: 10s\n")),
        "scenarios/x.yaml:9: loads[0].duration: the load runs until 25s, past the end of the run (20s)"
    );
    assert_eq!(
        message(&with_load("    start: 20s\n    calls: 1\n")),
        "scenarios/x.yaml:8: loads[0].start: the load starts at 20s, not before the end of the run (20s)"
    );
}

#[test]
fn load_numbers_are_checked() {
    assert_eq!(
        message(&with_load("    calls: 0\n")),
        "scenarios/x.yaml:8: loads[0].calls: must be > 0"
    );
    assert_eq!(
        message(&with_load("    calls: 1\n    connections: 0\n")),
        "scenarios/x.yaml:9: loads[0].connections: must be > 0"
    );
    assert_eq!(
        message(&with_load("    calls: 1\n    qps: -5\n")),
        "scenarios/x.yaml:9: loads[0].qps: must be >= 0 (0 = as fast as possible)"
    );
    assert_eq!(
        message(&with_load("    calls: 1\n    timeout: soon\n")),
        "scenarios/x.yaml:9: loads[0].timeout: invalid duration \"soon\": expected a number with a unit \
         (h, m, s, ms, us, ns), like 1s, 100ms, 1.5s or 3m"
    );
    assert_eq!(
        message(&with_load("    calls: 1\n    method: get\n")),
        "scenarios/x.yaml:9: loads[0].method: expected an HTTP method in capitals, like GET or POST"
    );
}

#[test]
fn load_headers_must_be_sendable_over_http() {
    assert_eq!(
        message(&with_load(
            "    calls: 1\n    headers:\n      x-user: jason\n      bad name: x\n"
        )),
        "scenarios/x.yaml:11: loads[0].headers.bad name: \"bad name\" is not an HTTP header name \
         (letters, digits and !#$%&'*+-.^_`|~ only)"
    );
    assert_eq!(
        message(&with_load("    calls: 1\n    headers: {x-user: \"a\\nb\"}\n")),
        "scenarios/x.yaml:9: loads[0].headers.x-user: a header value cannot hold control characters"
    );
    let s = parse_scenario(
        Path::new("scenarios/x.yaml"),
        &with_load("    calls: 1\n    headers: {X-User: \"jason\\tsmith\", end-user: jason}\n"),
    )
    .unwrap()
    .value;
    assert_eq!(s.loads[0].headers.len(), 2);
}

#[test]
fn a_load_url_must_be_sendable_in_a_request_line() {
    let text = |url: &str| format!("{HEAD}  - {{name: a, from: f, url: '{url}', calls: 1}}\n");
    assert_eq!(
        message(&text("http://h/a b")),
        "scenarios/x.yaml:5: loads[0].url: ' ' cannot appear in a URL's path as it is sent: \
         percent-encode it"
    );
    assert_eq!(
        message(&text("http://h/q?x=\"1\"")),
        "scenarios/x.yaml:5: loads[0].url: '\"' cannot appear in a URL's query as it is sent: \
         percent-encode it"
    );
    for ok in [
        "http://h/a%20b?x=%221%22",
        "http://h/{id}?a=`b`#frag",
        "http://h",
    ] {
        assert!(
            parse_scenario(Path::new("scenarios/x.yaml"), &text(ok)).is_ok(),
            "{ok}"
        );
    }
}

#[test]
fn urls_must_be_http_or_tcp() {
    let text = format!("{HEAD}  - {{name: a, from: f, url: 'https://h/', calls: 1}}\n");
    assert_eq!(
        message(&text),
        "scenarios/x.yaml:5: loads[0].url: expected an http:// URL with a host, like \
         http://httpbin:8000/get, or tcp://host:port"
    );
}

#[test]
fn tcp_urls_need_a_host_and_a_port_and_no_path() {
    let url = |u: &str| {
        message(&format!(
            "{HEAD}  - {{name: a, from: f, url: '{u}', calls: 1}}\n"
        ))
    };
    let at = "scenarios/x.yaml:5: loads[0].url";
    assert_eq!(
        url("tcp://tcp-echo"),
        format!("{at}: expected tcp://host:port, like tcp://tcp-echo:9000 (got tcp://tcp-echo)")
    );
    assert_eq!(
        url("tcp://:9000"),
        format!("{at}: expected tcp://host:port, like tcp://tcp-echo:9000 (got tcp://:9000)")
    );
    assert_eq!(
        url("tcp://tcp-echo:echo"),
        format!("{at}: bad port \"echo\" in tcp://tcp-echo:echo: expected 1..65535")
    );
    assert_eq!(
        url("tcp://tcp-echo:0"),
        format!("{at}: bad port \"0\" in tcp://tcp-echo:0: expected 1..65535")
    );
    assert_eq!(
        url("tcp://gw/x:31400"),
        format!("{at}: expected tcp://host:port, like tcp://tcp-echo:9000 (got tcp://gw/x:31400)")
    );
    let ok =
        format!("{HEAD}  - {{name: a, from: f, url: 'tcp://gw.istio-system:31400', calls: 1}}\n");
    let s = parse_scenario(Path::new("scenarios/x.yaml"), &ok)
        .unwrap()
        .value;
    assert_eq!(s.loads[0].url, "tcp://gw.istio-system:31400");
}

#[test]
fn unknown_scenario_fields_are_errors() {
    assert_eq!(
        message(&with_load("    calls: 1\n    conections: 2\n")),
        "scenarios/x.yaml:9: loads[0].conections: unknown field; did you mean connections? (expected one of: name, from, start, \
         connections, qps, calls, duration, url, method, headers, timeout)"
    );
    assert_eq!(
        message(&format!("{}sed: 3\n", with_load("    calls: 1\n"))),
        "scenarios/x.yaml:9: sed: unknown field; did you mean seed? (expected one of: name, description, topology, \
         policies, seed, duration, loads, expect, timeline, controlPlane, envoy, variants, mesh, \
         seeds, digest)"
    );
}

/// The scenario with a `mesh:` block (its first line is line 9).
fn with_mesh(mesh: &str) -> String {
    format!("{}mesh:\n{mesh}", with_load("    calls: 1\n"))
}

#[test]
fn a_scenario_names_the_istio_release_it_models() {
    let s = parse_scenario(
        Path::new("scenarios/x.yaml"),
        &with_mesh("  istio: \"1.25.3\"\n  pilotEnv: {EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: false}\n  appMesh: {envoy: v1.27.2.0-prod}\n"),
    )
    .unwrap()
    .value;
    let istio = s.mesh.istio.unwrap();
    assert_eq!(istio.version, Version::new(1, 25), "the patch is ignored");
    assert_eq!(
        istio.pilot_env.exclude_unsafe_503_from_default_retry,
        Some(false)
    );
    assert_eq!(s.mesh.app_mesh_envoy, Some(Version::new(1, 27)));
    let none = parse_scenario(Path::new("scenarios/x.yaml"), &with_load("    calls: 1\n"))
        .unwrap()
        .value;
    assert_eq!(none.mesh, MeshRelease::default(), "unset: current");
}

#[test]
fn malformed_or_unmodelled_releases_are_located_errors() {
    for (mesh, want) in [
        (
            "  istio: 1.20\n",
            "scenarios/x.yaml:10: mesh.istio: write the release as a quoted string, e.g. \"1.20\" \
             (unquoted, YAML reads 1.20 as the number 1.2)",
        ),
        (
            "  istio: \"1.x\"\n",
            "scenarios/x.yaml:10: mesh.istio: \"1.x\" is not an Istio release: expected \
             \"major.minor\" such as \"1.23\"",
        ),
        (
            "  istio: \"1.0\"\n",
            "scenarios/x.yaml:10: mesh.istio: Istio 1.0 is not modelled: the twin models Istio \
             1.1 to 1.30",
        ),
        (
            "  istio: \"1.31\"\n",
            "scenarios/x.yaml:10: mesh.istio: Istio 1.31 is not modelled: the twin models Istio \
             1.1 to 1.30",
        ),
        (
            "  istio: \"2.0\"\n",
            "scenarios/x.yaml:10: mesh.istio: Istio 2.0 is not modelled: the twin models Istio \
             1.1 to 1.30",
        ),
        (
            "  istio: \"1.23\"\n  pilotEnv: {EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: false}\n",
            "scenarios/x.yaml:11: mesh.pilotEnv.EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: \
             EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY exists in Istio 1.24 to 1.26 only, not in 1.23 \
             (mesh.istio)",
        ),
        (
            "  istio: \"1.24\"\n  pilotEnv: {PILOT_DEBOUNCE_AFTER: 1s}\n",
            "scenarios/x.yaml:11: mesh.pilotEnv.PILOT_DEBOUNCE_AFTER: PILOT_DEBOUNCE_AFTER is not \
             an istiod switch the twin models (it models EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, \
             DISABLE_SHADOW_HOST_SUFFIX)",
        ),
        (
            "  pilotEnv: {DISABLE_SHADOW_HOST_SUFFIX: false}\n",
            "scenarios/x.yaml:10: mesh.pilotEnv: pilotEnv needs the Istio release it applies to \
             (mesh.istio)",
        ),
        (
            "  appMesh: {envoy: latest}\n",
            "scenarios/x.yaml:10: mesh.appMesh.envoy: \"latest\" is not an Envoy release: expected \
             \"1.27\" or an App Mesh image tag such as \"v1.27.2.0-prod\"",
        ),
        (
            "  linkerd: \"2.14\"\n",
            "scenarios/x.yaml:10: mesh.linkerd: unknown field (expected one of: istio, pilotEnv, \
             appMesh)",
        ),
    ] {
        assert_eq!(message(&with_mesh(mesh)), want, "{mesh}");
    }
}

#[test]
fn expectations_are_checked() {
    let load = with_load("    calls: 1\n");
    assert_eq!(
        message(&format!(
            "{load}expect:\n  - {{name: x, codeFraction: {{load: c3, code: 503}}, max: 1}}\n"
        )),
        "scenarios/x.yaml:10: expect[0].codeFraction.load: no load named \"c3\"; did you mean c2? (loads: c2)"
    );
    assert_eq!(
        message(&format!(
            "{load}expect:\n  - name: x\n    requests: {{load: c2}}\n    min: 0.5\n    max: 0.25\n"
        )),
        "scenarios/x.yaml:13: expect[0].max: max 0.25 is below min 0.5"
    );
    assert_eq!(
        message(&format!("{load}expect:\n  - name: x\n    requests: {{load: c2}}\n    counter: {{proxy: p, stat: s}}\n    min: 1\n")),
        "scenarios/x.yaml:12: expect[0].counter: one metric per expectation (this entry already has one)"
    );
    assert_eq!(
        message(&format!(
            "{load}expect:\n  - name: x\n    requests: {{load: c2}}\n"
        )),
        "scenarios/x.yaml:10: expect[0]: missing field `min` or `max` (at least one is required)"
    );
    assert_eq!(
        message(&format!("{load}expect:\n  - {{name: x, codeCount: {{load: c2, code: 700}}, min: 1}}\n")),
        "scenarios/x.yaml:10: expect[0].codeCount.code: expected an HTTP status (100-599) or 0 for socket errors"
    );
    assert!(message(&format!(
        "{load}expect:\n  - {{name: x, flagFraction: {{load: c2, code: 503, flag: uo}}, min: 1}}\n"
    ))
    .starts_with(
        "scenarios/x.yaml:10: expect[0].flagFraction.flag: \"uo\" is none of Envoy's response \
         flags; did you mean UO? (flags: LH, UH, UT,"
    ));
}

#[test]
fn priority_expectations_read_and_their_time_is_checked() {
    let load = with_load("    calls: 1\n");
    let s = parse_scenario(
        Path::new("x.yaml"),
        &format!(
            "{load}expect:
  - {{name: a, priorityLoad: {{proxy: fortio-0, cluster: c, priority: 1, at: 5s}}, min: 30}}
  - {{name: b, priorityPanic: {{proxy: fortio-0, cluster: c, priority: 0}}, max: 0}}
"
        ),
    )
    .unwrap()
    .value;
    assert_eq!(
        s.expectations[0].metric,
        Metric::PriorityLoad {
            proxy: "fortio-0".into(),
            cluster: "c".into(),
            priority: 1,
            at: Some(Duration::from_secs(5))
        }
    );
    assert_eq!(
        s.expectations[1].metric,
        Metric::PriorityPanic {
            proxy: "fortio-0".into(),
            cluster: "c".into(),
            priority: 0,
            at: None
        }
    );
    assert_eq!(
        message(&format!("{load}expect:\n  - name: x\n    priorityLoad: {{proxy: p, cluster: c, priority: 0, at: 30s}}\n    min: 1\n")),
        "scenarios/x.yaml:11: expect[0].priorityLoad.at: 30s is after the end of the run (20s)"
    );
    assert_eq!(
        message(&format!(
            "{load}expect:\n  - name: x\n    priorityPanic: {{proxy: p, cluster: c}}\n    min: 1\n"
        )),
        "scenarios/x.yaml:11: expect[0].priorityPanic: missing field `priority`"
    );
}

#[test]
fn a_scenario_is_one_document() {
    assert_eq!(
        message(&format!("{}---\nname: t\n", with_load("    calls: 1\n"))),
        "scenarios/x.yaml:10: expected one scenario per file, found another document"
    );
    assert_eq!(
        message(""),
        "scenarios/x.yaml:1: the file is empty: expected one scenario"
    );
}

#[test]
fn a_run_longer_than_a_day_is_refused_up_front() {
    for (written, line) in [("25h", 3), ("10000h", 3)] {
        let text =
            with_load("    calls: 5\n").replace("duration: 20s", &format!("duration: {written}"));
        assert_eq!(
            message(&text),
            format!(
                "scenarios/x.yaml:{line}: duration: {written} is more than 24h, the limit on a \
                 run's virtual duration"
            )
        );
    }
    let day = with_load("    calls: 5\n").replace("duration: 20s", "duration: 24h");
    assert_eq!(
        parse_scenario(Path::new("x.yaml"), &day)
            .unwrap()
            .value
            .duration,
        Duration::from_secs(86_400)
    );
}

#[test]
fn more_calls_than_the_limit_are_refused_up_front() {
    assert_eq!(
        message(&with_load("    calls: 100000001\n")),
        "scenarios/x.yaml:8: loads[0].calls: the loads would make 100000001 calls, more than the \
         limit of 100000000 per run"
    );
    // A paced load with a duration plans qps × duration calls.
    let text =
        with_load("    qps: 62500\n    duration: 1700s\n").replace("duration: 20s", "duration: 1h");
    assert_eq!(
        message(&text),
        "scenarios/x.yaml:8: loads[0].qps: the loads would make 106250000 calls, more than the \
         limit of 100000000 per run"
    );
    // The loads count together: the second one crosses the limit.
    let two = format!(
        "{}  - {{name: c3, from: fortio, url: 'http://httpbin:8000/get', calls: 40000000}}\n",
        with_load("    calls: 60000001\n")
    );
    assert_eq!(
        message(&two),
        "scenarios/x.yaml:9: loads[1].calls: the loads would make 100000001 calls, more than the \
         limit of 100000000 per run"
    );
    assert_eq!(
        message(&with_load("    qps: 1e12\n    calls: 5\n")),
        "scenarios/x.yaml:8: loads[0].qps: must be at most 1000000 (the limit on qps)"
    );
    let at_limit = parse_scenario(Path::new("x.yaml"), &with_load("    calls: 100000000\n"));
    assert_eq!(at_limit.unwrap().value.loads[0].calls, Some(100_000_000));
}

#[test]
fn a_timeline_longer_than_the_limit_is_refused() {
    let mut text = with_load("    calls: 5\n");
    text.push_str("timeline:\n");
    for _ in 0..10_001 {
        text.push_str("  - {at: 1s, heal: {}}\n");
    }
    assert_eq!(
        message(&text),
        "scenarios/x.yaml:9: timeline: 10001 entries, more than the limit of 10000"
    );
}

#[test]
fn a_timeline_policy_file_is_read_beside_the_scenario_and_named_as_the_scenario_writes_it() {
    use meshtwin_model::scenario::{PolicyFile, TimelineAction};
    let text = format!(
        "{}timeline:\n  - {{at: 5s, apply: ../policies/p.yaml}}\n",
        with_load("    calls: 1\n")
    );
    let s = parse_scenario(Path::new("/work/mesh/scenarios/x.yaml"), &text)
        .unwrap()
        .value;
    assert_eq!(
        s.timeline[0].action,
        TimelineAction::Apply {
            policy: PolicyFile {
                path: "/work/mesh/policies/p.yaml".into(),
                as_written: "../policies/p.yaml".into(),
            }
        }
    );
}
