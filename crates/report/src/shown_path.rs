//! The files a scenario reads as outputs name them: never the machine's paths. A path the
//! scenario led to is shown as it was resolved (relative to the working directory, as the
//! user named the scenario); an absolute one — from a scenario named by an absolute path, or
//! the bundled default found in the checkout meshtwin was built from — is shown relative to
//! the scenario's directory, so the same run lists the same files in `summary.json` and
//! `inputs.json` wherever they lie. (The scenario itself stays as the user named it:
//! `meshtwin explain` reads it again from there.)

use std::path::{Component, Path, PathBuf};

/// `path`, a file the scenario `scenario_file` reads, as outputs show it.
pub fn shown(path: &str, scenario_file: &str) -> String {
    let p = Path::new(path);
    if !p.is_absolute() {
        return path.to_string();
    }
    let scenario = Path::new(scenario_file);
    match scenario.parent() {
        Some(dir) if dir.is_absolute() => relative(p, dir).display().to_string(),
        // A relative scenario naming an absolute file: as its author wrote it.
        _ => path.to_string(),
    }
}

/// `path` relative to the directory `base` (both absolute and lexically normal).
fn relative(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn relative_paths_stay_as_resolved() {
        assert_eq!(
            shown("policies/istio/x.yaml", "scenarios/a.yaml"),
            "policies/istio/x.yaml"
        );
    }

    #[test]
    fn absolute_paths_are_shown_from_the_scenarios_directory() {
        let sc = "/home/me/meshtwin/scenarios/a.yaml";
        assert_eq!(
            shown("/home/me/meshtwin/policies/istio/x.yaml", sc),
            "../policies/istio/x.yaml"
        );
        assert_eq!(shown("/home/me/meshtwin/scenarios/p.yaml", sc), "p.yaml");
        assert_eq!(shown("/etc/x.yaml", "scenarios/a.yaml"), "/etc/x.yaml");
    }
}
