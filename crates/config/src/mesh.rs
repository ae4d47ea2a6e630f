//! `mesh:` blocks — the mesh release modelled — in a topology and in a scenario (which wins):
//!
//! ```yaml
//! mesh:
//!   istio: "1.23"                     # 1.1 … 1.30, as a string; a patch ("1.23.4") is ignored
//!   pilotEnv:                         # optional: istiod switches of that release
//!     EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY: false   # Istio 1.24–1.26
//!     DISABLE_SHADOW_HOST_SUFFIX: false              # Istio 1.28+
//!   appMesh: {envoy: "v1.27.2.0-prod"}              # App Mesh's Envoy image (or "1.27")
//! ```
//!
//! What each release changes is [`meshtwin_model::release`]'s table.

use meshtwin_model::release::{
    IstioRelease, MeshRelease, PilotEnv, Version, ENVOY_NEWEST, ENVOY_OLDEST, ISTIO_NEWEST,
    ISTIO_OLDEST, PILOT_SWITCHES,
};

use crate::decode::{Result, Val};
use crate::source::Value;

pub const MESH_FIELDS: &[&str] = &["istio", "pilotEnv", "appMesh"];
const APP_MESH_FIELDS: &[&str] = &["envoy"];

/// Decode a `mesh:` block.
pub fn decode(v: &Val<'_>) -> Result<MeshRelease> {
    let m = v.map(MESH_FIELDS)?;
    let istio = m.opt("istio", istio_version)?;
    let pilot_env = match (m.get("pilotEnv"), istio) {
        (None, _) => PilotEnv::default(),
        (Some(env), None) => {
            return Err(env.error("pilotEnv needs the Istio release it applies to (mesh.istio)"))
        }
        (Some(env), Some(version)) => pilot_env(&env, version)?,
    };
    let app_mesh_envoy = match m.get("appMesh") {
        Some(a) => a.map(APP_MESH_FIELDS)?.opt("envoy", envoy_version)?,
        None => None,
    };
    Ok(MeshRelease {
        istio: istio.map(|version| IstioRelease { version, pilot_env }),
        app_mesh_envoy,
    })
}

/// The text of a version value; YAML numbers are refused (`1.20` would read as 1.2).
fn version_text<'a>(v: &Val<'a>) -> Result<&'a str> {
    match &v.node.value {
        Value::Float(_) | Value::Int(_) => Err(v.error(
            "write the release as a quoted string, e.g. \"1.20\" (unquoted, YAML reads 1.20 as \
             the number 1.2)",
        )),
        _ => v.str(),
    }
}

/// `istio: "1.23"`, within the releases the twin models.
fn istio_version(v: &Val<'_>) -> Result<Version> {
    let text = version_text(v)?;
    let version = Version::parse(text).ok_or_else(|| {
        v.error(format!(
            "{text:?} is not an Istio release: expected \"major.minor\" such as \"1.23\""
        ))
    })?;
    if version < ISTIO_OLDEST || version > ISTIO_NEWEST {
        return Err(v.error(format!(
            "Istio {version} is not modelled: the twin models Istio {ISTIO_OLDEST} to \
             {ISTIO_NEWEST}"
        )));
    }
    Ok(version)
}

/// `envoy: "v1.27.2.0-prod"` (App Mesh's image tag) or `"1.27"`.
fn envoy_version(v: &Val<'_>) -> Result<Version> {
    let text = version_text(v)?;
    let numbers = text.strip_prefix('v').unwrap_or(text);
    let numbers = numbers.strip_suffix("-prod").unwrap_or(numbers);
    // App Mesh tags are `v<major>.<minor>.<patch>.<build>-prod`: keep major.minor.
    let major_minor: Vec<&str> = numbers.splitn(3, '.').take(2).collect();
    let version = Version::parse(&major_minor.join(".")).ok_or_else(|| {
        v.error(format!(
            "{text:?} is not an Envoy release: expected \"1.27\" or an App Mesh image tag such \
             as \"v1.27.2.0-prod\""
        ))
    })?;
    if version < ENVOY_OLDEST || version > ENVOY_NEWEST {
        return Err(v.error(format!(
            "Envoy {version} is not modelled: the twin models Envoy {ENVOY_OLDEST} to \
             {ENVOY_NEWEST}"
        )));
    }
    Ok(version)
}

/// `pilotEnv: {NAME: bool}`: switches the twin knows, each only in the releases that have it.
fn pilot_env(v: &Val<'_>, version: Version) -> Result<PilotEnv> {
    let mut env = PilotEnv::default();
    for (name, value) in v.entries()? {
        let Some(switch) = PILOT_SWITCHES.iter().find(|s| s.name == name) else {
            let known: Vec<&str> = PILOT_SWITCHES.iter().map(|s| s.name).collect();
            return Err(value.error(format!(
                "{name} is not an istiod switch the twin models (it models {})",
                known.join(", ")
            )));
        };
        if version < switch.first || version > switch.last {
            return Err(value.error(format!(
                "{name} exists in Istio {} to {} only, not in {version} (mesh.istio)",
                switch.first, switch.last
            )));
        }
        env.set(switch, value.bool()?);
    }
    Ok(env)
}

/// An Istio release given on the command line (`--istio 1.24`), within the releases the twin
/// models.
pub fn istio_flag(text: &str) -> std::result::Result<MeshRelease, String> {
    let version = Version::parse(text).ok_or_else(|| {
        format!("{text:?} is not an Istio release: expected \"major.minor\" such as \"1.23\"")
    })?;
    if version < ISTIO_OLDEST || version > ISTIO_NEWEST {
        return Err(format!(
            "Istio {version} is not modelled: the twin models Istio {ISTIO_OLDEST} to \
             {ISTIO_NEWEST}"
        ));
    }
    Ok(MeshRelease::istio(version))
}
