//! Loader fuzzing, on stable and within CI's time: every bundled scenario, topology and policy
//! file is mutated — bytes flipped, the text cut short, lines deleted, duplicated or swapped,
//! values swapped between keys, values replaced by ones of another type, indentation shifted
//! — and each mutant is loaded the way `meshtwin run` loads it (the scenario, its topology and
//! policies, then [`RunInputs`]'s cross-checks). Every mutant must either load or be refused
//! with a located error (`file:line: …`, on a line the file has); none may panic, and none may
//! take more than [`MUTANT_TIME_LIMIT`].
//!
//! The mutations are drawn from a SplitMix64 stream seeded by the file's path and the mutant's
//! number: the same mutants every run, on every machine. `MESHTWIN_FUZZ_MUTANTS=N` sets the
//! mutants per file (default [`DEFAULT_MUTANTS`]); a failing mutant is written to
//! `target/fuzz-failures/` with its seed, to be kept under `tests/corpus/`. Every file in
//! `tests/corpus/` (interesting mutants, each headed by `# base: <bundled file>`) is replayed
//! on every run.

mod common;

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;

use meshtwin_config::{parse_scenario, ConfigError, RunInputs};
use meshtwin_model::release::MeshRelease;
use meshtwin_model::scenario::Scenario;
use meshtwin_topology::load_topology;

use common::{workspace_root, TempDir};

/// Mutants per bundled file when `MESHTWIN_FUZZ_MUTANTS` is unset: about 2,400 in all, 15-20 s
/// in a debug build (250 per file, about 18,750 mutants, pass in two minutes).
const DEFAULT_MUTANTS: u64 = 32;
/// The longest one mutant may take to load or be refused (a debug build, a loaded machine).
const MUTANT_TIME_LIMIT: Duration = Duration::from_secs(5);

/// SplitMix64: a small, seeded, portable stream (the mutations need no cryptographic quality).
struct Rng(u64);

impl Rng {
    fn new(file: &str, mutant: u64) -> Self {
        // FNV-1a of the path, mixed with the mutant's number.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in file.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(h ^ mutant.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes a flipped byte becomes: YAML's structural characters, digits, NUL, invalid UTF-8.
const FLIP_BYTES: &[u8] = b"\0\t\n \":-{}[]'#&*!|>%@`,?019azZ.\\\xff\xc3";

/// Values of every type, and of no sensible type, for type confusion.
const ODD_VALUES: &[&str] = &[
    "true",
    "-1",
    "0",
    "1e309",
    "-0.0",
    "99999999999999999999999",
    "\"x\"",
    "[]",
    "{}",
    "[1, [2, [3]]]",
    "null",
    "~",
    "1h",
    "-5s",
    "0s",
    "1000000000h",
    ".nan",
    "-.inf",
    "*nowhere",
    "&a [*a]",
    "!!binary aGVsbG8=",
    "\"\\u0000\"",
    "|\n  text",
    "'a: b'",
    "http://",
    "tcp://:0",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z",
];

/// One mutant of `text` and a word for what was done.
fn mutate(text: &[u8], rng: &mut Rng) -> (Vec<u8>, &'static str) {
    let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len(); // split yields at least one (possibly empty) line
    let what = match rng.below(8) {
        0 => {
            let mut out = text.to_vec();
            for _ in 0..=rng.below(3) {
                if !out.is_empty() {
                    let at = rng.below(out.len());
                    out[at] = *rng.pick(FLIP_BYTES);
                }
            }
            return (out, "byte flip");
        }
        1 => return (text[..rng.below(text.len().max(1))].to_vec(), "truncation"),
        2 => {
            lines.remove(rng.below(n));
            "deleted line"
        }
        3 => {
            let at = rng.below(n);
            let copies = 1 + rng.below(4);
            for _ in 0..copies {
                lines.insert(at, lines[at].clone());
            }
            "duplicated line"
        }
        4 => {
            let (a, b) = (rng.below(n), rng.below(n));
            lines.swap(a, b);
            "swapped lines"
        }
        5 => {
            let valued: Vec<usize> = (0..lines.len())
                .filter(|i| value_at(&lines[*i]).is_some())
                .collect();
            if valued.len() >= 2 {
                let (a, b) = (*rng.pick(&valued), *rng.pick(&valued));
                let (ka, va) = split_value(&lines[a]);
                let (kb, vb) = split_value(&lines[b]);
                lines[a] = [ka, vb].concat();
                lines[b] = [kb, va].concat();
            }
            "swapped values"
        }
        6 => {
            let valued: Vec<usize> = (0..lines.len())
                .filter(|i| value_at(&lines[*i]).is_some())
                .collect();
            if !valued.is_empty() {
                let i = *rng.pick(&valued);
                let (key, _) = split_value(&lines[i]);
                lines[i] = [key, rng.pick(ODD_VALUES).as_bytes().to_vec()].concat();
            }
            "type confusion"
        }
        _ => {
            let i = rng.below(n);
            if rng.below(2) == 0 {
                lines[i].splice(0..0, *b"  ");
            } else if lines[i].starts_with(b"  ") {
                lines[i].drain(..2);
            } else {
                lines[i].insert(0, b'\t');
            }
            "shifted indentation"
        }
    };
    (lines.join(&b'\n'), what)
}

/// Where a `key: value` line's value starts (after `: `), if the line has one.
fn value_at(line: &[u8]) -> Option<usize> {
    let s = std::str::from_utf8(line).ok()?;
    if s.trim_start().starts_with('#') {
        return None;
    }
    let at = s.find(": ")? + 2;
    (at < s.len()).then_some(at)
}

/// (`key: `, `value`) of a line with a value (see [`value_at`]).
fn split_value(line: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let at = value_at(line).unwrap_or(line.len());
    (line[..at].to_vec(), line[at..].to_vec())
}

/// What a bundled file is read as.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Scenario,
    Topology,
    Policy,
}

/// A bundled file, with a scenario that reads it (for topologies and policies).
struct Base {
    kind: Kind,
    path: PathBuf,
    user: Option<Scenario>,
}

/// Every regular file under `dir` (recursively) ending in one of `exts`, sorted.
fn files_under(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = entry.expect("a directory entry").path();
        if p.is_dir() && !p.ends_with("__digests__") {
            out.extend(files_under(&p, exts));
        } else if exts.iter().any(|e| p.to_string_lossy().ends_with(e)) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The bundled scenarios, topologies and policy files, each topology and policy file with a
/// scenario that reads it.
fn bases() -> Vec<Base> {
    let root = workspace_root();
    let scenarios: Vec<Scenario> = files_under(&root.join("scenarios"), &[".yaml"])
        .iter()
        .map(|p| {
            meshtwin_config::load_scenario(p)
                .unwrap_or_else(|e| panic!("a bundled scenario loads: {e}"))
                .value
        })
        .collect();
    let same = |a: &str, b: &Path| Path::new(a).canonicalize().ok().as_deref() == Some(b);
    let mut out: Vec<Base> = files_under(&root.join("scenarios"), &[".yaml"])
        .into_iter()
        .map(|path| Base {
            kind: Kind::Scenario,
            path,
            user: None,
        })
        .collect();
    for path in files_under(&root.join("topologies"), &[".yaml"]) {
        let user = scenarios.iter().find(|s| same(&s.topology, &path)).cloned();
        out.push(Base {
            kind: Kind::Topology,
            path,
            user,
        });
    }
    for path in files_under(&root.join("policies"), &[".yaml", ".json"]) {
        let user = scenarios
            .iter()
            .find(|s| s.policies.iter().any(|p| same(p, &path)))
            .cloned();
        out.push(Base {
            kind: Kind::Policy,
            path,
            user,
        });
    }
    out
}

/// Load `text` as `base` is loaded by `meshtwin run`; a topology or policy mutant is written
/// to `scratch` and read from there, in place of the bundled file, by a scenario using it.
fn load(base: &Base, text: &[u8], scratch: &Path) -> Result<(), ConfigError> {
    let release = MeshRelease::default();
    let write = |name: &str| {
        let p = scratch.join(name);
        fs::write(&p, text).expect("write a mutant");
        p.display().to_string()
    };
    match base.kind {
        Kind::Scenario => {
            let sc = parse_scenario(&base.path, &String::from_utf8_lossy(text))?;
            let topo = load_topology(Path::new(&sc.value.topology))?;
            let mut warnings = sc.warnings;
            warnings.extend(topo.warnings);
            RunInputs::load(sc.value, topo.value, &release, warnings)?;
        }
        Kind::Topology => {
            let file = write("topology.yaml");
            let topo = load_topology(Path::new(&file))?;
            if let Some(sc) = &base.user {
                let _ = RunInputs::load(sc.clone(), topo.value, &release, topo.warnings)?;
            }
        }
        Kind::Policy => {
            let ext = if base.path.extension().is_some_and(|e| e == "json") {
                "json"
            } else {
                "yaml"
            };
            let file = write(&format!("policy.{ext}"));
            let Some(sc) = &base.user else {
                let _ = meshtwin_config::load_policies(Path::new(&file))?;
                return Ok(());
            };
            let mut sc = sc.clone();
            let original = base.path.canonicalize().expect("a bundled file");
            for p in &mut sc.policies {
                if Path::new(p).canonicalize().ok() == Some(original.clone()) {
                    p.clone_from(&file);
                }
            }
            let topo = load_topology(Path::new(&sc.topology))?;
            RunInputs::load(sc, topo.value, &release, topo.warnings)?;
        }
    }
    Ok(())
}

/// The number of lines a file has (for a mutant, the mutant's own text).
fn lines_of(file: &str, mutant: &[u8], scratch: &Path, base: &Base) -> usize {
    let own = Path::new(file).starts_with(scratch) || Path::new(file) == base.path;
    let text = if own {
        mutant.to_vec()
    } else {
        fs::read(file).unwrap_or_default()
    };
    1 + text.iter().filter(|b| **b == b'\n').count()
}

/// Load one mutant: whether it loaded, or what is wrong with the outcome.
fn verdict(base: &Base, text: &[u8], scratch: &Path) -> Result<bool, String> {
    #[allow(clippy::disallowed_methods, clippy::disallowed_types)]
    // Wall-clock time bounds the test itself, not anything the twin computes.
    let started = std::time::Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| load(base, text, scratch)));
    let took = started.elapsed();
    if took > MUTANT_TIME_LIMIT {
        return Err(format!("took {took:?}, over {MUTANT_TIME_LIMIT:?}"));
    }
    let e = match outcome {
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_default();
            return Err(format!("panicked: {what}"));
        }
        Ok(Ok(())) => return Ok(true),
        Ok(Err(e)) => e,
    };
    let shown = e.to_string();
    let lines = lines_of(&e.file, text, scratch, base);
    if e.file.is_empty() || e.line == 0 || e.line as usize > lines {
        return Err(format!(
            "error not located in the file (1..={lines}): {shown}"
        ));
    }
    let at = match e.column {
        Some(0) => return Err(format!("column 0 (columns count from 1): {shown}")),
        Some(c) => format!("{}:{}:{c}: ", e.file, e.line),
        None => format!("{}:{}: ", e.file, e.line),
    };
    if !shown.starts_with(&at) || e.message.trim().is_empty() {
        return Err(format!("error not shown as `file:line: message`: {shown}"));
    }
    Ok(false)
}

/// Keep a failing mutant where a developer can find it, and say where.
fn keep(base: &Base, seed: &str, text: &[u8]) -> String {
    let dir = workspace_root().join("target/fuzz-failures");
    fs::create_dir_all(&dir).expect("create target/fuzz-failures");
    let rel = base
        .path
        .strip_prefix(workspace_root())
        .unwrap_or(&base.path);
    let name = format!("{}-{seed}", rel.display()).replace('/', "_");
    let path = dir.join(name);
    let mut kept = format!("# base: {}\n", rel.display()).into_bytes();
    kept.extend_from_slice(text);
    fs::write(&path, kept).expect("keep a failing mutant");
    path.display().to_string()
}

#[test]
fn every_mutant_of_every_bundled_file_loads_or_is_refused_with_a_located_error() {
    let mutants: u64 = std::env::var("MESHTWIN_FUZZ_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_MUTANTS);
    let tmp = TempDir::new("loader_fuzz", "mutants");
    let scratch = tmp.join("");
    let bases = bases();
    assert!(bases.len() >= 60, "bundled files missing: {}", bases.len());
    let (mut refused, mut loaded, mut failures) = (0, 0, Vec::new());
    for base in &bases {
        let original = fs::read(&base.path).expect("a bundled file");
        let rel = base
            .path
            .strip_prefix(workspace_root())
            .unwrap_or(&base.path);
        for m in 0..mutants {
            let mut rng = Rng::new(&rel.display().to_string(), m);
            let (text, what) = mutate(&original, &mut rng);
            match verdict(base, &text, &scratch) {
                Err(wrong) => {
                    let kept = keep(base, &format!("{m}"), &text);
                    failures.push(format!(
                        "{} mutant {m} ({what}): {wrong}\n  kept: {kept}",
                        rel.display()
                    ));
                }
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing mutant(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The mutations must bite: most mutants are refused, and some survive.
    assert!(refused > loaded, "refused {refused}, loaded {loaded}");
    assert!(loaded > 0, "no mutant loaded: the mutations are all fatal");
}

#[test]
fn every_kept_mutant_in_the_corpus_loads_or_is_refused_with_a_located_error() {
    let root = workspace_root();
    let dir = root.join("tests/corpus");
    let tmp = TempDir::new("loader_fuzz", "corpus");
    let scratch = tmp.join("");
    let bases = bases();
    let corpus = files_under(&dir, &[".yaml", ".json"]);
    assert!(
        corpus.len() >= 10,
        "the corpus is missing: {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for file in corpus {
        let bytes = fs::read(&file).expect("a corpus file");
        let header_end = bytes
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(bytes.len());
        let header = String::from_utf8_lossy(&bytes[..header_end]).to_string();
        let Some(rel) = header.strip_prefix("# base: ") else {
            panic!(
                "{}: the first line must be `# base: <bundled file>`",
                file.display()
            );
        };
        let path = root.join(rel.trim());
        let base = bases
            .iter()
            .find(|b| b.path == path)
            .unwrap_or_else(|| panic!("{}: no bundled file {rel}", file.display()));
        let text = &bytes[(header_end + 1).min(bytes.len())..];
        if let Err(wrong) = verdict(base, text, &scratch) {
            failures.push(format!("{}: {wrong}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
