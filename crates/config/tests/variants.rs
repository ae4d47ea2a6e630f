//! A scenario's `variants:` (what `meshtwin compare` runs): what they read as, every mistake
//! located, and a variant applied to checked inputs.

use std::path::Path;
use std::time::Duration;

use meshtwin_config::parse_scenario;

const HEAD: &str = "\
name: s
topology: ../topologies/t.yaml
duration: 20s
loads:
  - {name: c2, from: fortio, url: http://httpbin:8000/get, calls: 5}
variants:
";

fn parse(variants: &str) -> Result<meshtwin_model::scenario::Scenario, String> {
    parse_scenario(Path::new("scenarios/x.yaml"), &format!("{HEAD}{variants}"))
        .map(|s| s.value)
        .map_err(|e| e.to_string())
}

#[test]
fn a_variant_reads_its_files_switches_workloads_and_timeline() {
    let s = parse(
        "  - name: more
    description: pending 100
    apply: ../policies/a.yaml
    delete: [../policies/b.yaml, ../policies/c.yaml]
    envoy: {maxEjectionPercentRule: atLeastOne}
    workloads:
      - {workload: httpbin, replicas: 3, errorRate: 0.3, errorStatus: 503, latency: 5ms}
    timeline:
      - {at: 5s, crash: httpbin-0}
",
    )
    .unwrap();
    let v = &s.variants[0];
    assert_eq!(
        (v.name.as_str(), v.description.as_str()),
        ("more", "pending 100")
    );
    assert_eq!(v.apply, ["policies/a.yaml"]);
    assert_eq!(v.delete, ["policies/b.yaml", "policies/c.yaml"]);
    assert!(v.envoy.max_ejection.is_some());
    let w = &v.workloads[0];
    assert_eq!(
        (
            w.workload.as_str(),
            w.replicas,
            w.error_rate,
            w.error_status,
            w.latency
        ),
        (
            "httpbin",
            Some(3),
            Some(0.3),
            Some(503),
            Some(Duration::from_millis(5))
        )
    );
    assert_eq!(v.timeline.len(), 1);
    assert_eq!(v.line, 7);
}

#[test]
fn variant_mistakes_are_located() {
    for (text, says) in [
        (
            "  - {name: baseline, apply: ../p.yaml}\n",
            "scenarios/x.yaml:7: variants[0].name: 'baseline' is the scenario as written",
        ),
        (
            "  - {name: a, apply: ../p.yaml}\n  - {name: a, apply: ../q.yaml}\n",
            "scenarios/x.yaml:8: variants[1].name: a variant named 'a' is already defined",
        ),
        (
            "  - {name: a}\n",
            "scenarios/x.yaml:7: variants[0]: a variant changes nothing",
        ),
        (
            "  - {name: a, workloads: [{workload: w, errorRate: 2}]}\n",
            "variants[0].workloads[0].errorRate: error rate 2 is not in [0, 1]",
        ),
        (
            "  - {name: a, workloads: [{workload: w}]}\n",
            "expected at least one of replicas, errorRate, errorStatus, latency",
        ),
        ("  - {name: a, aply: ../p.yaml}\n", "aply"),
    ] {
        let got = parse(text).expect_err(text);
        assert!(got.contains(says), "{text}\n got: {got}\nwant: {says}");
    }
}
