//! JUnit XML for `meshtwin test --junit`: one `<testcase>` per scenario and seed, a
//! `<failure>` carrying the failed expectations and the digest diff, an `<error>` for input
//! the case could not run, and each case's wall-clock time — the form GitHub Actions test
//! reporters, GitLab's `artifacts:reports:junit` and Jenkins render.

use std::fmt::Write as _;

/// One test case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `<scenario name>`, or `<scenario name> (seed N)` for a scenario with `seeds:`.
    pub name: String,
    /// The group CI systems show the case under (the scenario file's directory).
    pub classname: String,
    /// The scenario file.
    pub file: String,
    /// Wall-clock seconds the case took.
    pub seconds: f64,
    pub outcome: Outcome,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    /// Ran, and an expectation failed or the digest differs: a one-line message and the
    /// full text.
    Failed {
        message: String,
        text: String,
    },
    /// Could not run: invalid input.
    Error {
        message: String,
        text: String,
    },
}

pub use crate::markup::escape;

/// The JUnit XML document of `cases`, as one `<testsuite>` named `suite`.
pub fn junit_xml(suite: &str, cases: &[Case]) -> String {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
        .count();
    let errors = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Error { .. }))
        .count();
    let seconds: f64 = cases.iter().map(|c| c.seconds).sum();
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\"",
        cases.len()
    );
    let suite = escape(suite);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"{suite}\" {counts}>");
    let _ = writeln!(out, "  <testsuite name=\"{suite}\" {counts} skipped=\"0\">");
    for c in cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            escape(&c.name),
            escape(&c.classname),
            escape(&c.file),
            c.seconds
        );
        let (tag, message, text) = match &c.outcome {
            Outcome::Passed => {
                out.push_str("/>\n");
                continue;
            }
            Outcome::Failed { message, text } => ("failure", message, text),
            Outcome::Error { message, text } => ("error", message, text),
        };
        let _ = writeln!(
            out,
            ">\n      <{tag} message=\"{}\" type=\"{tag}\">{}</{tag}>\n    </testcase>",
            escape(message),
            escape(text)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_control_characters_are_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1b}[31m\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}[31m\n"
        );
    }

    #[test]
    fn counts_times_and_outcomes_go_where_ci_systems_read_them() {
        let case = |name: &str, outcome| Case {
            name: name.into(),
            classname: "scenarios".into(),
            file: format!("scenarios/{name}.yaml"),
            seconds: 0.25,
            outcome,
        };
        let xml = junit_xml(
            "meshtwin test",
            &[
                case("a", Outcome::Passed),
                case(
                    "b",
                    Outcome::Failed {
                        message: "digest differs".into(),
                        text: "load c2 · code 503: 5 → 1".into(),
                    },
                ),
                case(
                    "c",
                    Outcome::Error {
                        message: "x.yaml:3: bad".into(),
                        text: "x.yaml:3: bad".into(),
                    },
                ),
            ],
        );
        assert!(xml.contains(
            "<testsuites name=\"meshtwin test\" tests=\"3\" failures=\"1\" errors=\"1\" time=\"0.750\">"
        ));
        assert!(xml.contains(
            "<testcase name=\"a\" classname=\"scenarios\" file=\"scenarios/a.yaml\" time=\"0.250\"/>"
        ));
        assert!(xml.contains(
            "<failure message=\"digest differs\" type=\"failure\">load c2 · code 503: 5 → 1</failure>"
        ));
        assert!(xml.contains("<error message=\"x.yaml:3: bad\" type=\"error\">"));
    }
}
