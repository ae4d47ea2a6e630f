use std::collections::BTreeMap;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::run::RunResult;
use meshtwin_model::scenario::{DigestFigure, DigestOptions, Tolerance};
use sha2::{Digest as _, Sha256};

use super::diff::diff;
use super::*;

fn sample() -> Digest {
    let load = LoadDigest {
        requests: 20,
        codes: BTreeMap::from([(200, 15), (503, 5)]),
        flags: BTreeMap::from([("-".to_string(), 15), ("UO".to_string(), 5)]),
        latency_ms: LatencySummary {
            min: Some(0.1),
            avg: Some(2.67105),
            p50: Some(3.0),
            p75: Some(3.714286),
            p90: Some(6.303667),
            p99: Some(6.850267),
            p99_9: Some(6.904927),
            max: Some(6.911),
        },
        reached: BTreeMap::from([("httpbin".to_string(), 15)]),
        failover: None,
    };
    let overflow =
        "cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow";
    Digest {
        format: FORMAT,
        scenario: "istio-circuit-breaking".into(),
        seed: 1,
        loads: BTreeMap::from([("c2".to_string(), load)]),
        proxies: BTreeMap::from([(
            "fortio-0".to_string(),
            BTreeMap::from([(overflow.to_string(), 23)]),
        )]),
        ejections: vec![EjectionDigest {
            proxy: "fortio-0".into(),
            cluster: "outbound|8000||httpbin".into(),
            host: "httpbin-0".into(),
            ejected_at_ms: 1202.4,
            unejected_at_ms: None,
            reason: "consecutive_5xx".into(),
        }],
        priority_loads: vec![],
        trace: TraceDigest {
            events: 520,
            kinds: BTreeMap::from([("pool".to_string(), 400), ("request".to_string(), 120)]),
            dropped: 0,
            sha256: "ab".repeat(32),
        },
    }
}

fn lines(golden: &Digest, fresh: &Digest, options: &DigestOptions) -> Vec<String> {
    diff(golden, fresh, options).lines(100)
}

#[test]
fn a_digest_file_has_every_objects_keys_sorted_and_reads_back_as_the_same_digest() {
    let d = sample();
    let text = d.to_text();
    assert!(text.ends_with("}\n"));
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "ejections",
            "format",
            "loads",
            "priority_loads",
            "proxies",
            "scenario",
            "seed",
            "trace"
        ]
    );
    let codes = text.find("\"codes\"").unwrap();
    assert!(codes < text.find("\"flags\"").unwrap() && codes < text.find("\"requests\"").unwrap());
    assert_eq!(Digest::from_text(&text).unwrap(), d);
}

#[test]
fn a_file_that_is_not_a_digest_of_this_format_says_so() {
    let other = sample().to_text().replace("\"format\": 1", "\"format\": 7");
    assert_eq!(
        Digest::from_text(&other).unwrap_err(),
        "digest format 7, this meshtwin writes format 1: rewrite it with --update"
    );
    let conflict = "{\n<<<<<<< HEAD\n";
    assert!(Digest::from_text(conflict)
        .unwrap_err()
        .starts_with("line 2: not JSON"));
    assert_eq!(
        Digest::from_text("{\"a\": 1}").unwrap_err(),
        "no `format`: not a meshtwin digest"
    );
    let extra = sample().to_text().replacen(
        "\"format\": 1",
        "\"format\": 1,\n  \"note\": \"hand-edited\"",
        1,
    );
    assert!(Digest::from_text(&extra)
        .unwrap_err()
        .starts_with("not a digest: unknown field `note`"));
}

#[test]
fn a_digest_matches_itself() {
    let d = sample();
    let got = diff(&d, &d.reread(), &DigestOptions::default());
    assert!(got.matches() && got.lines(10).is_empty(), "{got:?}");
}

#[test]
fn a_change_names_the_load_code_and_counter_with_old_and_new_values() {
    let golden = sample();
    let mut fresh = sample();
    let l = fresh.loads.get_mut("c2").unwrap();
    l.codes = BTreeMap::from([(200, 20)]);
    l.flags.remove("UO");
    l.flags.insert("-".into(), 20);
    fresh.proxies.clear();
    assert_eq!(
        lines(&golden, &fresh, &DigestOptions::default()),
        [
            "load c2 · code 200: 15 → 20",
            "load c2 · code 503: 5 → 0",
            "load c2 · flags -: 15 → 20",
            "load c2 · flags UO: 5 → 0",
            "proxy fortio-0 · cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow: 23 → 0",
        ]
    );
}

#[test]
fn a_figure_only_the_fresh_digest_has_is_listed_where_it_belongs() {
    let golden = sample();
    let mut fresh = sample();
    fresh.loads.get_mut("c2").unwrap().codes.insert(0, 2);
    fresh.ejections[0].unejected_at_ms = Some(31202.4);
    let got = lines(&golden, &fresh, &DigestOptions::default());
    assert_eq!(
        got,
        [
            "load c2 · code 0: 0 → 2",
            "proxy fortio-0 · cluster outbound|8000||httpbin · host httpbin-0 · ejection 1 · unejected at: still ejected at the end → 31202.4 ms",
        ]
    );
}

#[test]
fn a_trace_that_moved_where_no_summarised_figure_did_is_a_change() {
    let golden = sample();
    let mut fresh = sample();
    fresh.trace.sha256 = "cd".repeat(32);
    let got = lines(&golden, &fresh, &DigestOptions::default());
    assert_eq!(
        got,
        [format!(
            "trace · sha256: {} → {}",
            "ab".repeat(32),
            "cd".repeat(32)
        )]
    );
}

fn with(figure: DigestFigure, t: Tolerance) -> DigestOptions {
    DigestOptions {
        tolerance: BTreeMap::from([(figure, t)]),
    }
}

#[test]
fn a_latency_within_its_tolerance_passes_and_beyond_it_fails() {
    let golden = sample();
    let mut fresh = sample();
    fresh.loads.get_mut("c2").unwrap().latency_ms.p99 = Some(6.850267 * 1.04);
    fresh.trace.sha256 = "cd".repeat(32);
    let five = with(DigestFigure::P99Ms, Tolerance::Percent(5.0));
    let got = diff(&golden, &fresh, &five);
    assert!(got.matches(), "{got:?}");
    assert_eq!((got.tolerated, got.trace_not_compared), (1, true));
    let three = with(DigestFigure::P99Ms, Tolerance::Percent(3.0));
    let got = diff(&golden, &fresh, &three);
    assert_eq!(got.changes.len(), 1);
    assert!(got.lines(10)[0].starts_with("load c2 · latency p99: 6.850267 ms → 7.12"));
}

#[test]
fn latency_ms_covers_every_latency_figure_and_a_named_one_overrides_it() {
    let golden = sample();
    let mut fresh = sample();
    let l = &mut fresh.loads.get_mut("c2").unwrap().latency_ms;
    l.p50 = Some(3.4);
    l.max = Some(7.3);
    let all = with(DigestFigure::LatencyMs, Tolerance::Absolute(0.5));
    assert!(diff(&golden, &fresh, &all).matches());
    let mut strict_max = all.clone();
    strict_max
        .tolerance
        .insert(DigestFigure::MaxMs, Tolerance::Absolute(0.1));
    let got = diff(&golden, &fresh, &strict_max);
    assert_eq!(got.lines(10)[0], "load c2 · latency max: 6.911 ms → 7.3 ms");
    assert_eq!(got.tolerated, 1);
}

#[test]
fn a_count_tolerance_allows_a_code_to_appear() {
    let golden = sample();
    let mut fresh = sample();
    fresh.loads.get_mut("c2").unwrap().codes.insert(0, 2);
    assert!(diff(
        &golden,
        &fresh,
        &with(DigestFigure::Codes, Tolerance::Absolute(2.0))
    )
    .matches());
    assert!(!diff(
        &golden,
        &fresh,
        &with(DigestFigure::Codes, Tolerance::Absolute(1.0))
    )
    .matches());
}

#[test]
fn a_long_diff_is_cut_and_says_how_much_is_left() {
    let golden = sample();
    let mut fresh = sample();
    for code in 300..320 {
        fresh.loads.get_mut("c2").unwrap().codes.insert(code, 1);
    }
    let got = diff(&golden, &fresh, &DigestOptions::default()).lines(5);
    assert_eq!(got.len(), 6);
    assert_eq!(
        got[5],
        "… and 15 more (rewrite the digest with --update and read its diff)"
    );
}

#[test]
fn the_trace_hash_is_the_sha256_of_trace_jsonl() {
    let events = vec![
        TraceEvent {
            t_ms: 0.0,
            kind: EventKind::Load {
                load: "c2".into(),
                phase: meshtwin_model::event::LoadPhase::Start,
            },
        },
        TraceEvent {
            t_ms: 1.5,
            kind: EventKind::ConfigPush {
                proxy: "fortio-0".into(),
                reason: "endpoints".into(),
            },
        },
    ];
    let run = RunResult {
        events: events.clone(),
        ..RunResult::default()
    };
    let text = crate::output::trace_jsonl(&run);
    let expected: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(trace_sha256(&events), expected);
    assert_eq!(
        kinds(&events),
        BTreeMap::from([("config_push".to_string(), 1), ("load".to_string(), 1)])
    );
}
