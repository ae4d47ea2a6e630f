//! `meshtwin report`, `run --report` and `compare --report`: one self-contained HTML file and
//! one Markdown file that state the verdict first, what was simulated, per-load results, the
//! plots that matter and, for a comparison, the deltas.

mod common;

use common::{meshtwin, TempDir};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Nothing is loaded from anywhere: every reference is to a fragment of the document itself
/// (`href="#…"`, `url(#arrow)`).
fn assert_self_contained(html: &str) {
    for needle in ["http://", "https://", "src=", "<script", "<link", "@import"] {
        assert!(!html.contains(needle), "the report contains {needle:?}");
    }
    for (i, _) in html.match_indices("href=\"") {
        assert!(html[i + 6..].starts_with('#'), "a link out of the document");
    }
    for (i, _) in html.match_indices("url(") {
        assert!(
            html[i + 4..].starts_with('#'),
            "a url() out of the document"
        );
    }
}

#[test]
fn run_report_states_the_verdict_first_and_is_self_contained() {
    let tmp = TempDir::new("report", "run");
    let out = tmp.join("out");
    let r = meshtwin([
        "run",
        "scenarios/istio-circuit-breaking.yaml",
        "-q",
        "--report",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let html = read(&out.join("report.html"));
    assert_self_contained(&html);
    let verdict = html.find("id=\"verdict\"").expect("a verdict");
    assert!(
        verdict < html.find("<h2>").unwrap(),
        "the verdict comes first"
    );
    assert!(html.contains("PASS: istio-circuit-breaking (seed 1): 8 of 8 expectations held"));
    assert!(html.contains("<h2>istio-circuit-breaking · seed 1</h2>"));
    // What was simulated: the policy file and the SHA-256 of its bytes.
    let policy = std::fs::read(
        common::workspace_root().join("policies/istio/httpbin-circuit-breaking.yaml"),
    )
    .unwrap();
    let sha = meshtwin_report::simulated::sha256_hex(&policy);
    assert!(html.contains(&sha), "the policy's hash");
    // The plots that matter, inline, captioned with scenario and seed.
    assert!(html.contains("<figure id=\"plot-pool-c3\">"));
    assert!(html.contains("(it overflowed) — istio-circuit-breaking · seed 1"));
    assert_eq!(
        html.matches("<svg").count(),
        html.matches("<figure").count()
    );
    let md = read(&out.join("report.md"));
    assert!(md.starts_with("# meshtwin report: istio-circuit-breaking · seed 1\n"));
    assert!(md.contains("| c3 | `fortio-0 → http://httpbin:8000/get` | 30 | 200: 12, 503: 18 |"));
    assert!(
        md.contains("](pool-c3.svg)"),
        "plots linked beside the report"
    );
}

#[test]
fn report_of_a_comparison_and_a_run_together_and_bad_directories() {
    let tmp = TempDir::new("report", "compare");
    let cmp = tmp.join("cmp");
    let r = meshtwin([
        "compare",
        "scenarios/istio-circuit-breaking.yaml",
        "--seeds",
        "4",
        "--report",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let html = read(&cmp.join("report.html"));
    assert_self_contained(&html);
    assert!(
        html.contains("pending-100 vs baseline"),
        "the variant names the report"
    );
    assert!(html.contains("<code>clusters[outbound|8000||httpbin.default.svc.cluster.local].pool.thresholds.max_pending_requests</code>"));
    assert!(html.contains("<td class=\"fail\">changed</td>"));
    // Two directories, one document, written where -o says.
    let run = tmp.join("run");
    let r = meshtwin(["run", "-q", "--out", run.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let both = tmp.join("both.html");
    let r = meshtwin([
        "report",
        cmp.to_str().unwrap(),
        run.to_str().unwrap(),
        "-o",
        both.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let html = read(&both);
    assert!(
        html.contains("<h2>istio-circuit-breaking · pending-100 vs baseline · seeds 1..=4</h2>")
    );
    assert!(html.contains("<h2>istio-circuit-breaking · seed 1</h2>"));
    assert!(read(&tmp.join("both.md")).contains("](run/pool.svg)"));
    let r = meshtwin(["report", tmp.join("nothing").to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        r.stderr.contains("not a meshtwin output directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_report_explains_the_503s_citing_the_pending_limit_and_draws_the_service_graph() {
    let tmp = TempDir::new("report", "why");
    let out = tmp.join("out");
    let r = meshtwin(["run", "-q", "--report", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let html = read(&out.join("report.html"));
    assert!(html.contains("<h3>Why requests failed</h3>"));
    assert!(html.contains("<h4>503 UO — 21 request(s) (load c2 3, c3 18)</h4>"));
    assert!(html.contains("pending queue full (UO)"));
    assert!(html.contains(
        "policies/istio/httpbin-circuit-breaking.yaml:18 spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1"
    ));
    assert!(html.contains("<figure id=\"graph\">"));
    let md = read(&out.join("report.md"));
    assert!(md.contains("- **503 UO** — 21 request(s) (load c2 3, c3 18): pending queue full (UO)"));
}
