//! `VirtualService` → [`VirtualServicePolicy`] (`ValidateVirtualService`,
//! `BuildHTTPRoutesForVirtualService`). Rules after the first catch-all HTTP rule are dropped
//! as istiod drops them. Delegate VirtualServices and `tls` rules are not supported.

use std::collections::BTreeMap;

use meshtwin_model::traffic::{IstioCompat, VirtualServicePolicy};
use meshtwin_model::SourceRef;

use super::destination_rule::API_VERSIONS;
use super::{checks, http_match, http_route, tcp_route};
use crate::decode::{Obj, Result, Val};
use crate::k8s;
use crate::warning::EXPORT_TO_NOT_MODELLED;

const SPEC_FIELDS: &[&str] = &["hosts", "gateways", "http", "tls", "tcp", "exportTo"];

/// Lower one VirtualService object (its envelope already opened as `object`).
pub fn lower(object: &Obj<'_>, compat: &IstioCompat) -> Result<VirtualServicePolicy> {
    k8s::api_version(object, "VirtualService", API_VERSIONS)?;
    let meta = k8s::metadata(object)?;
    let spec_val = object.req("spec")?;
    let spec = spec_val.map(SPEC_FIELDS)?;
    let gateways = spec.opt("gateways", Val::strings)?.unwrap_or_default();
    let hosts = hosts(&spec_val, &spec, &gateways)?;
    if let Some(t) = spec
        .get("tls")
        .filter(|t| t.seq().is_ok_and(|s| !s.is_empty()))
    {
        return Err(t.error("tls routes are not supported by meshtwin yet"));
    }
    let http_vals = spec.list("http")?;
    let tcp_vals = spec.list("tcp")?;
    if http_vals.is_empty() && tcp_vals.is_empty() {
        return Err(spec_val.error("http, tcp or tls must be provided in virtual service"));
    }
    let mut http = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut caught_all = false;
    for v in &http_vals {
        // Every rule is validated, as Istio's webhook does, even those istiod will drop.
        let mut rule = http_route::decode(v, compat)?;
        if let Some(name) = &rule.name {
            if let Some(first) = names.insert(name.clone(), v.path.clone()) {
                let at = v.entries()?.into_iter().find(|(k, _)| *k == "name");
                let at = at.map_or_else(|| v.clone(), |(_, val)| val);
                return Err(at.error(format!(
                    "duplicate http route name {name:?} (also used by {first})"
                )));
            }
        }
        if caught_all {
            continue;
        }
        // istiod stops at the first rule (or match block) that catches everything.
        match rule
            .matches
            .iter()
            .position(http_match::is_unconditional_catch_all)
        {
            Some(i) => {
                rule.matches.truncate(i + 1);
                caught_all = true;
            }
            None => caught_all = rule.matches.is_empty(),
        }
        http.push(rule);
    }
    let tcp = tcp_vals
        .iter()
        .map(|v| tcp_route::decode(v, compat))
        .collect::<Result<Vec<_>>>()?;
    Ok(VirtualServicePolicy {
        name: meta.name,
        namespace: meta.namespace,
        hosts,
        gateways: if gateways.is_empty() {
            vec!["mesh".into()]
        } else {
            gateways
        },
        http,
        tcp,
        export_to: spec
            .ignored("exportTo", EXPORT_TO_NOT_MODELLED)
            .map(|v| v.strings())
            .transpose()?
            .unwrap_or_default(),
        source: SourceRef {
            file: object.val.ctx.file.clone(),
            line: object.line(),
        },
    })
}

/// `spec.hosts`: required (no delegates), no `*` for the mesh, no duplicates.
fn hosts(spec_val: &Val<'_>, spec: &Obj<'_>, gateways: &[String]) -> Result<Vec<String>> {
    let Some(list) = spec.get("hosts") else {
        return Err(spec_val.error(
            "missing field `hosts` (delegate VirtualServices are not supported by meshtwin)",
        ));
    };
    let items = list.seq()?;
    if items.is_empty() {
        return Err(list.error("must list at least one host"));
    }
    let mesh = gateways.is_empty() || gateways.iter().any(|g| g == "mesh");
    let mut hosts: Vec<String> = Vec::new();
    for item in &items {
        let h = item.name()?.to_string();
        // An IP address is a valid host even though it is not a domain name.
        if h.parse::<std::net::IpAddr>().is_err() {
            checks::wildcard_domain(item, &h)?;
        }
        if mesh && h == "*" {
            return Err(item.error(
                "wildcard host * is not allowed for virtual services bound to the mesh gateway",
            ));
        }
        if let Some(other) = hosts.iter().find(|o| hosts_overlap(o, &h)) {
            return Err(item.error(format!("duplicate hosts in virtual service: {other} & {h}")));
        }
        hosts.push(h);
    }
    Ok(hosts)
}

/// Istio's `host.Name.Matches`: equal, or one wildcard covers the other.
fn hosts_overlap(a: &str, b: &str) -> bool {
    let covers = |w: &str, h: &str| {
        w == "*"
            || w.strip_prefix('*')
                .is_some_and(|suffix| h.ends_with(suffix))
    };
    a == b || covers(a, b) || covers(b, a)
}
