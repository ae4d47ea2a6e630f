//! Reading input files: only regular files, size-checked before reading; a UTF-8 byte order
//! mark is accepted (as kubectl accepts it); a NUL byte is a located error rather than the end
//! of the file; an empty policy file is an error (as `kubectl apply -f` says, "no objects
//! passed to apply"); and no error echoes the content of a file that is not what it should be.

use std::fs;
use std::path::{Path, PathBuf};

use meshtwin_config::source::MAX_FILE_BYTES;
use meshtwin_config::{load_policies, load_scenario, parse_policies, parse_scenario};

/// A file under the system's temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("meshtwin-config-{}-{name}", std::process::id()));
        let _ = fs::remove_file(&p);
        Self(p)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

const DR: &str = "\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
";

#[test]
fn a_character_device_is_refused_without_reading_it() {
    // /dev/zero never ends: reading it would run until memory runs out.
    let e = load_policies(Path::new("/dev/zero")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/dev/zero:1: cannot read file: not a regular file"
    );
    let e = load_scenario(Path::new("/dev/zero")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/dev/zero:1: cannot read file: not a regular file"
    );
}

#[test]
fn a_fifo_is_refused_without_opening_it() {
    // Opening a FIFO for reading blocks until a writer comes: it must not be opened at all.
    let fifo = TempFile::new("fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo.0)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let e = load_policies(&fifo.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:1: cannot read file: not a regular file",
            fifo.0.display()
        )
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_reading() {
    let big = TempFile::new("big.yaml");
    let f = fs::File::create(&big.0).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap(); // sparse: nothing is written
    drop(f);
    let e = load_policies(&big.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:1: cannot read file: larger than the 16 MiB limit for an input file",
            big.0.display()
        )
    );
}

#[test]
fn a_utf8_byte_order_mark_is_accepted_as_kubectl_accepts_it() {
    let p = parse_policies("policies/x.yaml", &format!("\u{feff}{DR}")).unwrap();
    assert_eq!(p.value.destination_rules[0].name, "httpbin");
    let bom = TempFile::new("bom.yaml");
    fs::write(&bom.0, format!("\u{feff}{DR}")).unwrap();
    let p = load_policies(&bom.0).unwrap();
    assert_eq!(p.value.destination_rules[0].host, "httpbin");
}

#[test]
fn a_nul_byte_is_an_error_at_its_line_not_the_end_of_the_file() {
    let text = format!("{DR}  subsets:\n  - name: v1\0\n    labels: {{version: v1}}\n");
    assert_eq!(
        parse_policies("policies/x.yaml", &text)
            .unwrap_err()
            .to_string(),
        "policies/x.yaml:8:13: the file contains a NUL byte: not a YAML or JSON text file"
    );
    let e = parse_scenario(Path::new("scenarios/x.yaml"), "name: s\n\0").unwrap_err();
    assert_eq!(e.line, 2);
}

#[test]
fn an_empty_or_comment_only_policy_file_is_an_error_as_kubectl_apply_says() {
    for text in [
        "",
        "\n\n",
        "# only a comment\n",
        "---\n# nothing\n---\n",
        "kind: List\nitems: []\n",
    ] {
        assert_eq!(
            parse_policies("policies/x.yaml", text)
                .unwrap_err()
                .to_string(),
            "policies/x.yaml:1: no objects in the file (kubectl apply -f: \"no objects passed to apply\")",
            "{text:?}"
        );
    }
}

#[test]
fn errors_do_not_echo_the_content_of_an_unrelated_file() {
    let secret = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin\n";
    let e = parse_policies("policies/x.yaml", secret)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "policies/x.yaml:1: expected a Kubernetes object or `aws appmesh describe-*` output, \
         found a string"
    );
    let e = parse_scenario(Path::new("scenarios/x.yaml"), secret)
        .unwrap_err()
        .to_string();
    assert!(!e.contains("root"), "{e}");
}

#[test]
fn a_long_value_is_shortened_in_messages() {
    let long = "x".repeat(100_000);
    let text = format!(
        "{DR}  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: {long}\n"
    );
    let e = parse_policies("policies/x.yaml", &text)
        .unwrap_err()
        .to_string();
    assert!(e.len() < 300, "{e}");
    assert!(e.ends_with("expected an integer, found \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\" (100000 bytes)"), "{e}");
    // A long unknown field is named by its first characters too.
    // (YAML keys are at most 1024 characters.)
    let key = "k".repeat(1000);
    let e = parse_policies("policies/x.yaml", &format!("{DR}  {key}: 1\n"))
        .unwrap_err()
        .to_string();
    assert!(e.len() < 300, "{e}");
    assert!(
        e.contains("spec.kkkk") && e.contains("… (1000 bytes): unknown field"),
        "{e}"
    );
}

#[test]
fn a_file_cut_short_without_a_final_newline_is_an_error_at_its_last_line() {
    // Found by tests/loader_fuzz.rs: the parser's end-of-input marker is on the line after
    // the last, a line the file does not have.
    let text = format!("{DR}  trafficPolicy: {{connectionPool: {{tcp: {{maxConnections: 1}}");
    assert_eq!(
        parse_policies("policies/x.yaml", &text)
            .unwrap_err()
            .to_string(),
        "policies/x.yaml:7: invalid YAML: while parsing a flow mapping, did not find expected \
         ',' or '}' (at the end of the file)"
    );
}
