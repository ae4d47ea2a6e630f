//! Kubernetes object envelope: `apiVersion`, `kind`, `metadata`, `spec`, `status`.

use std::collections::BTreeMap;

use crate::decode::{Obj, Result, Val};
use crate::names::{self, Rule};

/// The `ObjectMeta` fields a user's manifest (or `kubectl get -o yaml`) may carry.
pub const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "finalizers",
    "ownerReferences",
    "selfLink",
    "generateName",
];

/// Top-level fields of a Kubernetes object.
pub const OBJECT_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];

/// What meshtwin uses of `metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub name: String,
    /// `default` when not written, as `kubectl apply` would.
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
}

/// Read `metadata` (name required; namespace defaults to `default`). The name is checked as
/// the API server checks a custom resource's (`IsDNS1123Subdomain`), the namespace as a
/// namespace's (`IsDNS1123Label`).
pub fn metadata(object: &Obj<'_>) -> Result<Meta> {
    let meta = object.req("metadata")?.map(OBJECT_META_FIELDS)?;
    let name = names::name(&meta.req("name")?, Rule::Subdomain)?.to_string();
    let namespace = meta
        .opt("namespace", |v| {
            names::name(v, Rule::Label).map(str::to_string)
        })?
        .unwrap_or_else(|| "default".to_string());
    let labels = meta.opt("labels", Val::string_map)?.unwrap_or_default();
    if let Some(a) = meta.get("annotations") {
        a.string_map()?;
    }
    Ok(Meta {
        name,
        namespace,
        labels,
    })
}

/// Check `apiVersion` is one of `supported`.
pub fn api_version(object: &Obj<'_>, kind: &str, supported: &[&str]) -> Result<()> {
    let v = object.req("apiVersion")?;
    let s = v.str()?;
    if !supported.contains(&s) {
        return Err(v.error(format!(
            "unsupported apiVersion {s:?} for {kind} (supported: {})",
            supported.join(", ")
        )));
    }
    Ok(())
}
