//! Which files `meshtwin test` runs: every PATH that is a file, and in every PATH that is a
//! directory, each `.yaml` / `.yml` file below it that is a scenario — a mapping with
//! `topology:` and `loads:`. Other YAML (policies, topologies, Helm charts) is skipped.
//! Hidden directories and `__digests__` are not searched; symbolic links to directories are
//! not followed. Files come in path order.

use std::fs;
use std::path::{Path, PathBuf};

use meshtwin_config::source::{self, Value};

/// The digests' directory beside the scenarios.
pub const DIGESTS_DIR: &str = "__digests__";
/// A limit on everything: directories deeper than this below a PATH are not searched.
const MAX_DEPTH: usize = 32;

/// A file to run, or a PATH that could not be searched (with why).
pub type Found = Result<PathBuf, (PathBuf, String)>;

/// The scenario files in `paths`, in order (each PATH's files sorted), each once.
pub fn scenario_files(paths: &[PathBuf]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in paths {
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                if let Err(e) = search(p, 0, &mut files) {
                    out.push(Err((p.clone(), e)));
                }
                files.sort();
                out.extend(files.into_iter().map(Ok));
            }
            Ok(_) => out.push(Ok(p.clone())),
            Err(e) => out.push(Err((
                p.clone(),
                format!("cannot read {}: {e}", p.display()),
            ))),
        }
    }
    // A file named twice (a directory and a file in it) runs once: two runs would race to
    // write its digest.
    out.retain(|f| match f {
        Ok(path) => seen.insert(fs::canonicalize(path).unwrap_or_else(|_| path.clone())),
        Err(_) => true,
    });
    out
}

/// Digest files in the `__digests__` directories beside `files` that none of `expected`
/// names: left behind by a renamed or removed scenario, or a seed no longer listed.
pub fn stale_digests(files: &[PathBuf], expected: &[PathBuf]) -> Vec<PathBuf> {
    let dirs: std::collections::BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| digest_path(f, None).parent().map(Path::to_path_buf))
        .collect();
    let mut stale = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let is_digest = path.extension().is_some_and(|x| x == "json");
            if is_digest && !expected.contains(&path) {
                stale.push(path);
            }
        }
    }
    stale.sort();
    stale
}

fn search(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != DIGESTS_DIR {
                search(&path, depth + 1, out)?;
            }
        } else if (name.ends_with(".yaml") || name.ends_with(".yml")) && is_scenario(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether the file is a scenario: a mapping with `topology` and `loads`. A file the YAML
/// reader rejects counts as one when its text has both keys at the top level, so a broken
/// scenario is reported rather than skipped.
pub fn is_scenario(path: &Path) -> bool {
    match source::load_documents(path) {
        Ok(docs) => docs.iter().any(|d| match &d.root.value {
            Value::Map(m) => m.contains_key("topology") && m.contains_key("loads"),
            _ => false,
        }),
        Err(_) => fs::read_to_string(path).is_ok_and(|text| {
            let top = |key: &str| {
                text.lines().any(|l| {
                    let l = l.trim_start_matches(['"', '\'']);
                    l.strip_prefix(key)
                        .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
                })
            };
            top("topology") && top("loads")
        }),
    }
}

/// Where the golden digest of `scenario` run under `seed` lives: `__digests__/<stem>.json`
/// beside it, or `__digests__/<stem>.seed-<seed>.json` when the scenario lists `seeds:`.
pub fn digest_path(scenario: &Path, seed: Option<u64>) -> PathBuf {
    let dir = scenario.parent().unwrap_or_else(|| Path::new(""));
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match seed {
        Some(seed) => format!("{stem}.seed-{seed}.json"),
        None => format!("{stem}.json"),
    };
    dir.join(DIGESTS_DIR).join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_live_in_a_folder_beside_the_scenario() {
        let s = Path::new("mesh-tests/payments/breaker.yaml");
        assert_eq!(
            digest_path(s, None),
            Path::new("mesh-tests/payments/__digests__/breaker.json")
        );
        assert_eq!(
            digest_path(s, Some(3)),
            Path::new("mesh-tests/payments/__digests__/breaker.seed-3.json")
        );
        assert_eq!(
            digest_path(Path::new("x.yaml"), None),
            Path::new("__digests__/x.json")
        );
    }
}
