//! `DestinationRule` → [`DestinationPolicy`].

use std::collections::BTreeSet;

use meshtwin_model::policy::{DestinationPolicy, Subset};
use meshtwin_model::traffic::IstioCompat;
use meshtwin_model::SourceRef;

use super::checks;
use super::traffic_policy::{self, RawPolicy};
use crate::decode::{Obj, Result, Val};
use crate::k8s;
use crate::names::shorten;
use crate::warning::EXPORT_TO_NOT_MODELLED;

/// The `apiVersion`s a DestinationRule may have.
pub const API_VERSIONS: &[&str] = &[
    "networking.istio.io/v1alpha3",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1",
];
const SPEC_FIELDS: &[&str] = &[
    "host",
    "trafficPolicy",
    "subsets",
    "exportTo",
    "workloadSelector",
];
const SUBSET_FIELDS: &[&str] = &["name", "labels", "trafficPolicy"];
const WORKLOAD_SELECTOR_FIELDS: &[&str] = &["matchLabels"];

/// Lower one DestinationRule object (its envelope already opened as `object`) as the Istio
/// release of `compat` does.
pub fn lower(object: &Obj<'_>, compat: &IstioCompat) -> Result<DestinationPolicy> {
    k8s::api_version(object, "DestinationRule", API_VERSIONS)?;
    let meta = k8s::metadata(object)?;
    let spec = object.req("spec")?.map(SPEC_FIELDS)?;
    let host_val = spec.req("host")?;
    let host = host_val.name()?.to_string();
    checks::wildcard_domain(&host_val, &host)?;
    if let Some(e) = spec.ignored("exportTo", EXPORT_TO_NOT_MODELLED) {
        e.strings()?;
    }
    if let Some(ws) = spec.ignored(
        "workloadSelector",
        "the rule applies to every client in the mesh, not only to the selected workloads",
    ) {
        let ws = ws.map(WORKLOAD_SELECTOR_FIELDS)?;
        ws.opt("matchLabels", Val::string_map)?;
    }
    let top = spec
        .opt("trafficPolicy", |v| traffic_policy::decode(v, compat))?
        .unwrap_or_default();
    let mut subsets = Vec::new();
    let mut names = BTreeSet::new();
    for s in spec.list("subsets")? {
        let s = s.map(SUBSET_FIELDS)?;
        let name_val = s.req("name")?;
        let name = name_val.name()?.to_string();
        // `validateSubsetName`.
        if !checks::is_dns1123_label(&name) {
            return Err(name_val.error(format!("subset name is invalid: {}", shorten(&name))));
        }
        if !names.insert(name.clone()) {
            return Err(name_val.error(format!("duplicate subset name {name:?}")));
        }
        let own = s.opt("trafficPolicy", |v| traffic_policy::decode(v, compat))?;
        subsets.push(Subset {
            name,
            labels: s.opt("labels", Val::string_map)?.unwrap_or_default(),
            traffic_policy: RawPolicy::lower_subset(&top, own.as_ref()),
        });
    }
    Ok(DestinationPolicy {
        name: meta.name,
        namespace: meta.namespace,
        host,
        traffic_policy: top.lower(),
        subsets,
        source: SourceRef {
            file: object.val.ctx.file.clone(),
            line: object.line(),
        },
        host_line: host_val.line(),
    })
}
