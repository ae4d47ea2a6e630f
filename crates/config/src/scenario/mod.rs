//! Scenario files → [`Scenario`].
//!
//! ```yaml
//! name: istio-circuit-breaking
//! description: Istio circuit-breaking task (seed 001, R1)   # optional
//! topology: ../topologies/httpbin.yaml    # relative to this file
//! policies: [../policies/istio/httpbin-circuit-breaking.yaml]   # optional
//! seed: 1                                 # optional, default the first of `seeds`, else 1
//! seeds: [1, 2, 3]                        # optional: the seeds `meshtwin test` runs (see [`digest`])
//! digest: {tolerance: {p99_ms: 5%}}       # optional: see [`digest`]
//! duration: 20s                           # virtual time the run stops at
//! loads: [...]                            # see [`load`]
//! expect: [...]                           # optional, see [`expect`]
//! timeline: [...]                         # optional, see [`timeline`]
//! controlPlane: {pushDelay: 100ms}        # optional
//! envoy: {maxEjectionPercentRule: current}  # optional, over the topology's (see [`crate::envoy`])
//! ```
//!
//! Paths are stored joined with the scenario file's directory and lexically normalised
//! (`scenarios/../topologies/httpbin.yaml` → `topologies/httpbin.yaml`). Unknown fields are
//! errors.

pub mod digest;
pub mod expect;
pub mod load;
pub mod timeline;

use std::path::{Component, Path, PathBuf};

use meshtwin_model::scenario::Scenario;

use crate::decode::{Ctx, Result, Val};
use crate::error::ConfigError;
use crate::source;

const SCENARIO_FIELDS: &[&str] = &[
    "name",
    "description",
    "topology",
    "policies",
    "seed",
    "duration",
    "loads",
    "expect",
    "timeline",
    "controlPlane",
    "envoy",
    "seeds",
    "digest",
];

/// Load and validate a scenario file.
pub fn load_scenario(path: &Path) -> std::result::Result<Scenario, ConfigError> {
    let docs = source::load_documents(path)?;
    scenario_from_documents(path, &docs)
}

/// Like [`load_scenario`], from text; `path` names the file (errors, relative paths).
pub fn parse_scenario(path: &Path, text: &str) -> std::result::Result<Scenario, ConfigError> {
    let docs = source::parse_documents(&path.display().to_string(), text)?;
    scenario_from_documents(path, &docs)
}

fn scenario_from_documents(path: &Path, docs: &[source::Document]) -> Result<Scenario> {
    let file = path.display().to_string();
    let doc = match docs {
        [one] => one,
        [] => {
            return Err(ConfigError::file(
                file,
                1,
                "the file is empty: expected one scenario",
            ))
        }
        [_, second, ..] => {
            return Err(ConfigError::file(
                file,
                second.root.line,
                "expected one scenario per file, found another document",
            ))
        }
    };
    let ctx = Ctx::new(file);
    decode(&ctx.root(&doc.root), path)
}

fn decode(root: &Val<'_>, path: &Path) -> Result<Scenario> {
    let s = root.map(SCENARIO_FIELDS)?;
    let base = path.parent().unwrap_or_else(|| Path::new(""));
    let resolve = |v: &Val<'_>| v.name().map(|p| resolve_path(base, p));
    let duration_val = s.req("duration")?;
    let duration = duration_val.positive_duration()?;
    let mut policies = Vec::new();
    for p in s.list("policies")? {
        policies.push(resolve(&p)?);
    }
    let loads = load::decode_all(&s.list("loads")?, duration)?;
    let expectations = expect::decode_all(&s.list("expect")?, &loads, duration)?;
    let timeline = timeline::decode_all(&s.list("timeline")?, duration, &resolve)?;
    let control_plane = timeline::control_plane(s.get("controlPlane"))?;
    let seeds = digest::seeds(s.get("seeds"))?;
    Ok(Scenario {
        name: s.req_name("name")?.to_string(),
        description: s
            .opt("description", |v| v.str().map(str::to_string))?
            .unwrap_or_default(),
        file: root.ctx.file.clone(),
        topology: resolve(&s.req("topology")?)?,
        policies,
        seed: s
            .opt("seed", |v| v.int_in(0, i64::MAX))?
            .map_or(seeds.first().copied().unwrap_or(1), |n| n.unsigned_abs()),
        duration,
        loads,
        expectations,
        timeline,
        control_plane,
        envoy: s.opt("envoy", crate::envoy::decode)?.unwrap_or_default(),
        seeds,
        digest: digest::digest(s.get("digest"))?,
    })
}

/// `base` joined with `rel` (unless `rel` is absolute), with `.` and `..` resolved lexically.
pub fn resolve_path(base: &Path, rel: &str) -> String {
    let rel = Path::new(rel);
    let joined = if rel.is_absolute() {
        rel.to_path_buf()
    } else {
        base.join(rel)
    };
    let mut out = PathBuf::new();
    let mut depth = 0usize; // normal components that a `..` may cancel
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => {
                out.pop();
                depth -= 1;
            }
            Component::ParentDir if out.has_root() => {}
            Component::ParentDir => out.push(".."),
            Component::Normal(n) => {
                out.push(n);
                depth += 1;
            }
            Component::RootDir | Component::Prefix(_) => out.push(c.as_os_str()),
        }
    }
    out.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::resolve_path;
    use std::path::Path;

    #[test]
    fn paths_resolve_relative_to_the_scenario_and_normalise() {
        let r = |b: &str, p: &str| resolve_path(Path::new(b), p);
        assert_eq!(
            r("scenarios", "../topologies/httpbin.yaml"),
            "topologies/httpbin.yaml"
        );
        assert_eq!(r("", "../topologies/x.yaml"), "../topologies/x.yaml");
        assert_eq!(
            r("../../scenarios", "../topologies/x.yaml"),
            "../../topologies/x.yaml"
        );
        assert_eq!(r("/w/scenarios", "./a/../b.yaml"), "/w/scenarios/b.yaml");
        assert_eq!(r("scenarios", "/abs/t.yaml"), "/abs/t.yaml");
        assert_eq!(r("/", "../../t.yaml"), "/t.yaml");
    }
}
