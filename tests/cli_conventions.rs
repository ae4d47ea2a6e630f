//! The command line's conventions: shell completions, "did you mean" on misspelt names, the
//! default scenario found (or clearly missed) outside a checkout, and no machine paths in
//! what a run from relative paths prints.

mod common;

use std::fs;
use std::process::Command;

use common::{meshtwin, meshtwin_in, workspace_root, TempDir};

#[test]
fn completions_bash_prints_a_script_bash_can_parse() {
    let got = meshtwin(["completions", "bash"]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    for word in [
        "_meshtwin()",
        "complete ",
        "validate",
        "completions",
        "--seed",
    ] {
        assert!(got.stdout.contains(word), "no `{word}` in the script");
    }
    let tmp = TempDir::new("completions", "bash");
    let script = tmp.join("meshtwin.bash");
    fs::write(&script, &got.stdout).expect("write the script");
    let bash = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        bash.status.success(),
        "bash -n rejects the script: {}",
        String::from_utf8_lossy(&bash.stderr)
    );
}

#[test]
fn completions_for_zsh_and_fish_name_every_subcommand() {
    let zsh = meshtwin(["completions", "zsh"]);
    assert_eq!(zsh.code, 0, "{}", zsh.transcript());
    assert!(
        zsh.stdout.starts_with("#compdef meshtwin"),
        "{}",
        zsh.stdout
    );
    let fish = meshtwin(["completions", "fish"]);
    assert_eq!(fish.code, 0, "{}", fish.transcript());
    for sub in [
        "run",
        "validate",
        "compare",
        "sweep",
        "import",
        "completions",
    ] {
        assert!(
            fish.stdout.contains(&format!("-a \"{sub}\"")),
            "fish completes no `{sub}`"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error_listing_the_shells() {
    let got = meshtwin(["completions", "tcsh"]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(got.stderr.contains("bash"), "{}", got.transcript());
}

#[test]
fn a_misspelt_scenario_field_gets_a_suggestion() {
    let tmp = TempDir::new("misspelt_field", "scenario");
    let scenario = tmp.join("scenario.yaml");
    fs::write(
        &scenario,
        "name: x\ntopolgy: topology.yaml\nduration: 5s\nloads: []\n",
    )
    .expect("write a scenario");
    let got = meshtwin_in(&tmp.join(""), ["validate", "scenario.yaml"]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr.starts_with(
            "error: scenario.yaml:2: topolgy: unknown field; did you mean topology? (expected one of: "
        ),
        "{}",
        got.transcript()
    );
}

#[test]
fn outside_a_checkout_the_default_scenario_comes_from_the_build_checkout_and_says_so() {
    let tmp = TempDir::new("default_scenario", "cwd");
    let got = meshtwin_in(&tmp.join(""), ["validate"]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    assert!(
        got.stderr.starts_with(
            "note: no scenario given and no scenarios/istio-circuit-breaking.yaml here: running \
             the bundled default from the checkout meshtwin was built from, "
        ),
        "{}",
        got.transcript()
    );
    assert!(got.stdout.starts_with("ok: "), "{}", got.transcript());
}

#[test]
fn in_a_checkout_the_default_scenario_is_named_relative_to_it() {
    let got = meshtwin(["validate"]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    assert!(
        got.stdout
            .starts_with("ok: scenarios/istio-circuit-breaking.yaml (topology httpbin"),
        "{}",
        got.transcript()
    );
    assert!(!got.stderr.contains("note:"), "{}", got.transcript());
}

#[test]
fn a_scenario_named_by_its_absolute_path_lists_its_files_relative_to_itself() {
    let root = workspace_root();
    let scenario = root.join("scenarios/istio-circuit-breaking.yaml");
    let tmp = TempDir::new("absolute_scenario", "run");
    let out = tmp.join("out");
    let got = meshtwin_in(
        &tmp.join(""),
        [
            "run".as_ref(),
            scenario.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "-q".as_ref(),
        ],
    );
    assert!(got.code <= 1, "{}", got.transcript());
    let summary = fs::read_to_string(out.join("summary.json")).expect("summary.json");
    assert!(
        summary.contains("\"../policies/istio/httpbin-circuit-breaking.yaml\""),
        "{summary}"
    );
    let inputs = fs::read_to_string(out.join("inputs.json")).expect("inputs.json");
    assert!(
        inputs.contains("\"file\": \"../policies/istio/httpbin-circuit-breaking.yaml\""),
        "{inputs}"
    );
    let machine = format!("{}/policies", root.display());
    assert!(!summary.contains(&machine) && !inputs.contains(&machine));
}

#[test]
fn errors_of_a_relative_scenario_name_files_relative_to_the_working_directory() {
    let bad = meshtwin(["validate", "tests/fixtures/bad/load-unknown-host.yaml"]);
    assert_eq!(bad.code, 2, "{}", bad.transcript());
    assert!(
        bad.stderr
            .starts_with("error: tests/fixtures/bad/load-unknown-host.yaml:14: "),
        "{}",
        bad.transcript()
    );
    let dr = meshtwin(["validate", "tests/fixtures/bad/dr-zero-limit.yaml"]);
    assert!(
        dr.stderr
            .starts_with("error: tests/fixtures/bad/policies/dr-zero-limit.yaml:"),
        "a policy file is named as the scenario's path leads to it\n{}",
        dr.transcript()
    );
}
