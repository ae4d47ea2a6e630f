//! Shared by the end-to-end tests: run the real `meshtwin` binary from the workspace root, list
//! the bundled scenarios, and give each test its own output directory.
//!
//! Every path handed to the binary is relative to the workspace root, so its messages and
//! outputs (`tests/fixtures/bad/x.yaml:11: ...`, `policies` in summary.json) are the same on
//! every machine.

// Each test crate includes this module and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the binary runs here, and fixture paths are relative to it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// What one `meshtwin` invocation did.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code (the binary never dies by a signal in these tests).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Stdout and stderr, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run `meshtwin ARGS...` in the workspace root and wait for it.
pub fn meshtwin<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    meshtwin_in(&workspace_root(), args)
}

/// Run `meshtwin ARGS...` in `dir` and wait for it.
pub fn meshtwin_in<I, S>(dir: &Path, args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_meshtwin"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the meshtwin binary starts");
    let got = Outcome {
        code: output.status.code().expect("meshtwin exited by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    // A simulation that broke one of Envoy's counter identities is a failed test, whatever
    // the test checks.
    assert!(
        !got.stderr.contains("warning: invariant violated"),
        "the run broke a counter identity\n{}",
        got.transcript()
    );
    got
}

/// `meshtwin run SCENARIO --out OUT -q`, plus any extra arguments.
pub fn run_scenario(scenario: &str, out: &Path, extra: &[&str]) -> Outcome {
    let mut args: Vec<&OsStr> = vec![
        "run".as_ref(),
        scenario.as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    meshtwin(args)
}

/// A bundled scenario: its file stem and its path relative to the workspace root.
#[derive(Debug, Clone)]
pub struct Bundled {
    pub name: String,
    pub path: String,
}

/// Every `scenarios/*.yaml`, sorted by file name, so new bundled scenarios are covered
/// without touching the tests.
pub fn bundled_scenarios() -> Vec<Bundled> {
    let dir = workspace_root().join("scenarios");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("scenarios/ is readable")
        .map(|e| e.expect("a directory entry").file_name())
        .filter_map(|f| f.to_str().map(str::to_string))
        .filter(|f| f.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no scenario in {}", dir.display());
    names
        .into_iter()
        .map(|f| Bundled {
            name: f.trim_end_matches(".yaml").to_string(),
            path: format!("scenarios/{f}"),
        })
        .collect()
}

/// A fresh, empty directory under the system temp dir named after the test and a label
/// (`meshtwin-e2e-<test>-<label>-<pid>`; the process id keeps concurrent `cargo test`s
/// apart). Removed when dropped, failing test or not: a failure's message carries the
/// transcript, and a rerun reproduces the files.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(test: &str, label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "meshtwin-e2e-{test}-{label}-{}",
            std::process::id()
        ));
        if path.exists() {
            fs::remove_dir_all(&path).expect("clear a leftover temp dir");
        }
        fs::create_dir_all(&path).expect("create a temp dir");
        Self { path }
    }

    /// `self/name`, not created.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The names of the entries directly inside, sorted.
    pub fn entries(&self) -> Vec<String> {
        list_dir(&self.path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// The names of the entries directly inside `dir`, sorted.
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A file's bytes, or a panic naming the file.
pub fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Copy the directory tree `from` to `to` (created).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a directory");
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).expect("copy a file");
        }
    }
}

/// `path` parsed as JSON.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&read(path))
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// SHA-256 of a file's bytes, in hex.
pub fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(read(path))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `dir/summary.json`, parsed.
pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&read(&dir.join("summary.json"))).expect("summary.json is JSON")
}

/// `prometheus-parse`'s reading of a Prometheus text exposition (samples timed at the epoch:
/// the exposition carries no timestamps), after checking that it read every sample line.
pub fn scrape(text: &str) -> prometheus_parse::Scrape {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let parsed = prometheus_parse::Scrape::parse_at(lines, chrono::DateTime::UNIX_EPOCH).unwrap();
    let sample_lines = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(
        parsed.samples.len(),
        sample_lines,
        "every sample line parses:\n{text}"
    );
    parsed
}
