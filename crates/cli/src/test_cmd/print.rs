//! What `meshtwin test` prints — a line per case, then each failing case's expectations and
//! digest diff with the commands that replay and accept it, then the counts — and its JUnit
//! XML.

use std::path::Path;

use meshtwin_report::junit::{self, junit_xml};
use meshtwin_report::output::write_atomic;

use super::case::{DigestState, Ended};
use super::{classname, Outcome};

/// Diff lines shown per case; the rest are counted.
const DIFF_LINES: usize = 60;

/// `scenarios/x.yaml · seed 1`.
fn label(o: &Outcome) -> String {
    match o.seed {
        Some(seed) => format!("{} · seed {seed}", o.file.display()),
        None => o.file.display().to_string(),
    }
}

/// Why a case did not pass, in a few words (`digest differs (3 changes)`), or what `--update`
/// did with its digest.
fn reason(o: &Outcome) -> String {
    let (failed, digest) = match &o.ended {
        Ended::Error(e) => return first_line(e).to_string(),
        Ended::Ran {
            failed_expectations,
            digest,
        } => (failed_expectations.len(), digest),
    };
    let mut parts = Vec::new();
    if failed > 0 {
        parts.push(format!("{failed} expectation(s) failed"));
    }
    match digest {
        DigestState::Differs(d) => parts.push(format!(
            "digest differs ({} change{})",
            d.changes.len(),
            if d.changes.len() == 1 { "" } else { "s" }
        )),
        DigestState::Missing => parts.push("no digest".into()),
        DigestState::Matches(d) if d.tolerated > 0 || d.trace_not_compared => parts.push(format!(
            "{} figure(s) moved within digest.tolerance{}",
            d.tolerated,
            if d.trace_not_compared {
                ", trace not compared"
            } else {
                ""
            }
        )),
        DigestState::Written { changed: true, .. } if failed > 0 => {
            parts.push("digest written".into())
        }
        _ => {}
    }
    parts.join("; ")
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The case's line: its status, what it is, why, and its time.
pub fn case_line(o: &Outcome, update: bool) -> String {
    let status = match (&o.ended, o.ended.passed()) {
        (Ended::Error(_), _) => "ERROR",
        (_, false) => "FAILED",
        (Ended::Ran { digest, .. }, true) if update => match digest {
            DigestState::Written {
                changed: true,
                existed: true,
            } => "updated",
            DigestState::Written { changed: true, .. } => "written",
            _ => "unchanged",
        },
        _ => "ok",
    };
    let why = reason(o);
    let mut line = format!("{status:<9} {}", label(o));
    if !why.is_empty() {
        line.push_str(&format!(": {why}"));
    }
    if let (true, Some(digest), Ended::Ran { .. }) = (update, &o.digest, &o.ended) {
        line.push_str(&format!(" → {}", digest.display()));
    }
    if !matches!(o.ended, Ended::Error(_)) {
        line.push_str(&format!(" ({:.2} s)", o.seconds));
    }
    line
}

/// What a case that did not pass has to say: failed expectations, the digest's diff, and the
/// commands that replay the run and accept its behaviour; `None` when it passed.
pub fn details(o: &Outcome) -> Option<String> {
    if o.ended.passed() {
        return None;
    }
    let (failed, digest) = match &o.ended {
        Ended::Error(e) => return Some(format!("error: {e}")),
        Ended::Ran {
            failed_expectations,
            digest,
        } => (failed_expectations, digest),
    };
    let mut out = Vec::new();
    if !failed.is_empty() {
        out.push("expectations that failed:".to_string());
        out.extend(failed.iter().map(|f| format!("  {f}")));
    }
    let file = o.file.display();
    let at = o.digest.as_deref().map(Path::display);
    let at = at.map(|p| p.to_string()).unwrap_or_default();
    match digest {
        DigestState::Differs(d) => {
            out.push(format!("digest differs from {at}:"));
            out.extend(d.lines(DIFF_LINES).into_iter().map(|l| format!("  {l}")));
        }
        DigestState::Missing => out.push(format!("no digest at {at}")),
        _ => {}
    }
    if let Some(seed) = o.seed {
        out.push(format!("replay: meshtwin run {file} --seed {seed}"));
    }
    if matches!(digest, DigestState::Differs(_) | DigestState::Missing) {
        out.push(format!(
            "accept this behaviour: meshtwin test {file} --update, and commit {at}"
        ));
    }
    Some(out.join("\n"))
}

/// Print the lines (unless already printed as the cases finished), the details of every case
/// that did not pass, and the counts.
pub fn report(outcomes: &[Outcome], update: bool, print_lines: bool) {
    if print_lines {
        for o in outcomes {
            println!("{}", case_line(o, update));
        }
    }
    for o in outcomes {
        if let Some(text) = details(o) {
            println!("\n--- {}\n{text}", label(o));
        }
    }
    let errors = count(outcomes, |o| matches!(o.ended, Ended::Error(_)));
    let passed = count(outcomes, |o| o.ended.passed());
    let failed = outcomes.len() - errors - passed;
    let written = count(outcomes, |o| {
        matches!(
            o.ended,
            Ended::Ran {
                digest: DigestState::Written { changed: true, .. },
                ..
            }
        )
    });
    let seconds: f64 = outcomes.iter().map(|o| o.seconds).sum();
    let mut line = format!("\nmeshtwin test: {passed} passed, {failed} failed, {errors} error(s)");
    if update {
        line.push_str(&format!(", {written} digest(s) written"));
    }
    println!(
        "{line} ({} case(s), {seconds:.1} s of runs)",
        outcomes.len()
    );
}

fn count(outcomes: &[Outcome], f: impl Fn(&Outcome) -> bool) -> usize {
    outcomes.iter().filter(|o| f(o)).count()
}

/// The JUnit XML of `outcomes`, written to `path`.
pub fn write_junit(path: &Path, outcomes: &[Outcome]) -> std::io::Result<()> {
    let cases: Vec<junit::Case> = outcomes.iter().map(junit_case).collect();
    let xml = junit_xml("meshtwin test", &cases);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_atomic(path, xml.as_bytes())
}

fn junit_case(o: &Outcome) -> junit::Case {
    let stem = o.file.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = o.name.clone().or(stem).unwrap_or_default();
    let name = match (o.seeded, o.seed) {
        (true, Some(seed)) => format!("{name} (seed {seed})"),
        _ => name,
    };
    let outcome = match (&o.ended, details(o)) {
        (_, None) => junit::Outcome::Passed,
        (Ended::Error(_), Some(text)) => junit::Outcome::Error {
            message: reason(o),
            text,
        },
        (_, Some(text)) => junit::Outcome::Failed {
            message: reason(o),
            text,
        },
    };
    junit::Case {
        name,
        classname: classname(&o.file),
        file: o.file.display().to_string(),
        seconds: o.seconds,
        outcome,
    }
}
