//! Tetrate Service Bridge resources (`*.tsb.tetrate.io`), as `tctl apply` reads them.
//!
//! - [`gateway`] — `gateway.tsb.tetrate.io/v2` `Gateway` → [`meshtwin_model::traffic::tsb`]:
//!   ingress gateways routing a hostname to a service, edge gateways routing it to other
//!   clusters' ingress gateways (seed 004).

pub mod gateway;

use crate::decode::{Obj, Result};
use crate::names::{self, Rule};

/// The API versions of TSB's gateway group.
pub const GATEWAY_API_VERSIONS: &[&str] = &["gateway.tsb.tetrate.io/v2"];

/// TSB's `metadata`: a name and its place in the hierarchy (tctl form), or a Kubernetes
/// namespace (GitOps form).
pub const META_FIELDS: &[&str] = &[
    "name",
    "organization",
    "tenant",
    "workspace",
    "group",
    "namespace",
    "labels",
    "annotations",
    "resourceVersion",
    "etag",
];

/// `(name, scope)` of a TSB object: `scope` is `organization/tenant/workspace/group`, or the
/// namespace for the GitOps form.
pub fn metadata(object: &Obj<'_>) -> Result<(String, String)> {
    let meta = object.req("metadata")?.map(META_FIELDS)?;
    let name = names::name(&meta.req("name")?, Rule::Subdomain)?.to_string();
    let part = |k: &str| -> Result<String> {
        Ok(meta
            .opt(k, |v| v.name().map(str::to_string))?
            .unwrap_or_default())
    };
    let scope = match meta.get("namespace") {
        Some(ns) => names::name(&ns, Rule::Label)?.to_string(),
        None => [
            part("organization")?,
            part("tenant")?,
            part("workspace")?,
            part("group")?,
        ]
        .join("/"),
    };
    for k in ["labels", "annotations"] {
        if let Some(m) = meta.get(k) {
            m.string_map()?;
        }
    }
    Ok((name, scope))
}
