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
//! variants: [...]                         # optional, what-if changes (see [`variant`])
//! mesh: {istio: "1.23"}                   # optional, over the topology's (see [`crate::mesh`])
//! ```
//!
//! Paths are stored joined with the scenario file's directory and lexically normalised
//! (`scenarios/../topologies/httpbin.yaml` → `topologies/httpbin.yaml`). Unknown fields are
//! errors. `name` is a DNS-1123 subdomain (it names the default output directory, `out/<name>`,
//! which it therefore cannot leave); the run's limits (`meshtwin_model::limits`: duration,
//! planned calls, timeline entries) are checked here.

pub mod digest;
pub mod expect;
pub mod load;
pub mod timeline;
pub mod variant;

use std::path::{Component, Path, PathBuf};

use meshtwin_model::limits;
use meshtwin_model::scenario::Scenario;

use crate::decode::{Ctx, Result, Val};
use crate::error::ConfigError;
use crate::names::{self, Rule};
use crate::source;
use crate::warning::Loaded;

pub const SCENARIO_FIELDS: &[&str] = &[
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
    "variants",
    "mesh",
    "seeds",
    "digest",
];

/// Every field list the scenario parser accepts, by the section of
/// `docs/reference/scenario.md` that documents it (a test checks the two agree).
pub const REFERENCE: &[(&str, &[&str])] = &[
    ("scenario", SCENARIO_FIELDS),
    ("loads[]", load::LOAD_FIELDS),
    ("expect[]", expect::EXPECT_FIELDS),
    ("codeFraction", expect::METRIC_FIELDS[0].1),
    ("codeCount", expect::METRIC_FIELDS[1].1),
    ("requests", expect::METRIC_FIELDS[2].1),
    ("flagFraction", expect::METRIC_FIELDS[3].1),
    ("counter", expect::METRIC_FIELDS[4].1),
    ("gaugeMax", expect::METRIC_FIELDS[5].1),
    ("latencyMs", expect::METRIC_FIELDS[6].1),
    ("bodyContains", expect::METRIC_FIELDS[7].1),
    ("reached", expect::METRIC_FIELDS[8].1),
    ("priorityLoad", expect::METRIC_FIELDS[9].1),
    ("priorityPanic", expect::METRIC_FIELDS[10].1),
    ("failoverMs", expect::METRIC_FIELDS[11].1),
    ("timeline[]", timeline::ENTRY_FIELDS),
    ("timeline[].app", timeline::APP_FIELDS),
    ("timeline[].scale", timeline::SCALE_FIELDS),
    ("timeline[].partition", timeline::PARTITION_FIELDS),
    ("timeline[].link", timeline::LINK_FIELDS),
    ("controlPlane", timeline::CONTROL_PLANE_FIELDS),
    ("mesh", crate::mesh::MESH_FIELDS),
    ("envoy", crate::envoy::ENVOY_FIELDS),
    ("digest", digest::DIGEST_FIELDS),
    ("variants[]", variant::VARIANT_FIELDS),
    ("variants[].workloads[]", variant::WORKLOAD_FIELDS),
];

/// Load and validate a scenario file.
pub fn load_scenario(path: &Path) -> std::result::Result<Loaded<Scenario>, ConfigError> {
    let docs = source::load_documents(path)?;
    scenario_from_documents(path, &docs)
}

/// Like [`load_scenario`], from text; `path` names the file (errors, relative paths).
pub fn parse_scenario(
    path: &Path,
    text: &str,
) -> std::result::Result<Loaded<Scenario>, ConfigError> {
    let docs = source::parse_documents(&path.display().to_string(), text)?;
    scenario_from_documents(path, &docs)
}

fn scenario_from_documents(path: &Path, docs: &[source::Document]) -> Result<Loaded<Scenario>> {
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
    let scenario = decode(&ctx.root(&doc.root), path)?;
    Ok(Loaded {
        value: scenario,
        warnings: ctx.take_warnings(),
    })
}

fn decode(root: &Val<'_>, path: &Path) -> Result<Scenario> {
    let s = root.map(SCENARIO_FIELDS)?;
    let base = path.parent().unwrap_or_else(|| Path::new(""));
    let resolve = |v: &Val<'_>| v.name().map(|p| resolve_path(base, p));
    let duration_val = s.req("duration")?;
    let duration = duration_val.positive_duration()?;
    if duration > limits::MAX_DURATION {
        return Err(duration_val.error(format!(
            "{} is more than 24h, the limit on a run's virtual duration",
            duration_val.str().unwrap_or("the duration")
        )));
    }
    let mut policies = Vec::new();
    for p in s.list("policies")? {
        policies.push(resolve(&p)?);
    }
    let loads = load::decode_all(&s.list("loads")?, duration)?;
    let expectations = expect::decode_all(&s.list("expect")?, &loads, duration)?;
    let timeline_vals = s.list("timeline")?;
    if timeline_vals.len() > limits::MAX_TIMELINE_ENTRIES {
        return Err(s.req("timeline")?.error(format!(
            "{} entries, more than the limit of {}",
            timeline_vals.len(),
            limits::MAX_TIMELINE_ENTRIES
        )));
    }
    let timeline = timeline::decode_all(&timeline_vals, duration, &resolve)?;
    let control_plane = timeline::control_plane(s.get("controlPlane"))?;
    let variants = variant::decode_all(&s.list("variants")?, duration, &resolve)?;
    let seeds = digest::seeds(s.get("seeds"))?;
    Ok(Scenario {
        // It names the default output directory (`out/<name>`): a DNS-1123 subdomain has no
        // `/` and is never `.` or `..`, so the outputs stay inside `out/`.
        name: names::name(&s.req("name")?, Rule::Subdomain)?.to_string(),
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
        variants,
        mesh: s.opt("mesh", crate::mesh::decode)?.unwrap_or_default(),
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
