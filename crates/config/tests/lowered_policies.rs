//! Every bundled policy file under `policies/`, lowered, as an insta snapshot: a change to a
//! policy or to the lowering shows up as a reviewed diff.

use std::path::{Path, PathBuf};

/// Policy files under `dir`, recursively, in sorted order.
fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            policy_files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

#[test]
fn every_bundled_policy_lowers_to_its_snapshot() {
    // Tests run in the crate directory; a relative path keeps `source.file` machine-independent.
    let root = Path::new("../../policies");
    let mut files = Vec::new();
    policy_files(root, &mut files);
    assert!(
        files.len() >= 6,
        "expected the bundled policies, found {files:?}"
    );
    for file in files {
        let lowered = meshtwin_config::load_policies(&file)
            .unwrap_or_else(|e| panic!("{e}"))
            .value;
        let name = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace(['/', '\\'], "__");
        insta::assert_yaml_snapshot!(name, lowered);
    }
}
