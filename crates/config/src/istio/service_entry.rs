//! `ServiceEntry` → [`ServiceEntryPolicy`], checked as istiod's `ValidateServiceEntry` checks
//! it (its messages). Seed 002's entries (`mydb.com`, DNS endpoints with locality and port
//! overrides; the HTTPS variant with `targetPort`) load unmodified.

use std::collections::BTreeMap;
use std::net::IpAddr;

use meshtwin_model::topology::Locality;
use meshtwin_model::traffic::service_entry::{
    EntryEndpoint, EntryPort, Resolution, ServiceEntryPolicy,
};
use meshtwin_model::SourceRef;

use super::checks;
use super::destination_rule::API_VERSIONS;
use crate::decode::{Obj, Result, Val};
use crate::k8s;
use crate::warning::{EXPORT_TO_NOT_MODELLED, TLS_NOT_MODELLED};

const SPEC_FIELDS: &[&str] = &[
    "hosts",
    "addresses",
    "ports",
    "location",
    "resolution",
    "endpoints",
    "workloadSelector",
    "exportTo",
    "subjectAltNames",
];
const PORT_FIELDS: &[&str] = &["number", "protocol", "name", "targetPort"];
const ENDPOINT_FIELDS: &[&str] = &[
    "address",
    "ports",
    "labels",
    "network",
    "locality",
    "weight",
    "serviceAccount",
];
const RESOLUTIONS: &[&str] = &["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"];
const LOCATIONS: &[&str] = &["MESH_EXTERNAL", "MESH_INTERNAL"];

/// Lower one ServiceEntry object (its envelope already opened as `object`).
pub fn lower(object: &Obj<'_>) -> Result<ServiceEntryPolicy> {
    k8s::api_version(object, "ServiceEntry", API_VERSIONS)?;
    let meta = k8s::metadata(object)?;
    let spec_val = object.req("spec")?;
    let spec = spec_val.map(SPEC_FIELDS)?;
    let hosts = hosts(&spec, &spec_val)?;
    warn_ignored(&spec)?;
    let resolution = resolution(&spec)?;
    let mesh_external = spec
        .opt("location", |l| l.one_of(LOCATIONS))?
        .is_none_or(|l| l == "MESH_EXTERNAL");
    check_resolvable(&spec, resolution)?;
    let ports = ports(&spec, &spec_val)?;
    let endpoint_vals = spec.list("endpoints")?;
    check_endpoint_count(&spec, &spec_val, resolution, endpoint_vals.len())?;
    let endpoints = endpoint_vals
        .iter()
        .map(|e| endpoint(e, resolution, &ports))
        .collect::<Result<Vec<_>>>()?;
    Ok(ServiceEntryPolicy {
        name: meta.name,
        namespace: meta.namespace,
        hosts,
        ports,
        resolution,
        mesh_external,
        endpoints,
        source: SourceRef {
            file: object.val.ctx.file.clone(),
            line: object.line(),
        },
    })
}

/// `hosts`: at least one, no full wildcard, every other a (wildcard) domain
/// (`ValidateServiceEntry`).
fn hosts(spec: &Obj<'_>, spec_val: &Val<'_>) -> Result<Vec<String>> {
    let hosts = spec.opt("hosts", Val::strings)?.unwrap_or_default();
    if hosts.is_empty() {
        return Err(spec_val.error("service entry must have at least one host"));
    }
    for (h, host) in spec.req("hosts")?.seq()?.iter().zip(&hosts) {
        if host == "*" {
            return Err(h.error("invalid host *"));
        }
        checks::wildcard_domain(h, host)?;
    }
    Ok(hosts)
}

/// Fields read only to be checked, with a warning saying what is ignored.
fn warn_ignored(spec: &Obj<'_>) -> Result<()> {
    for (key, why) in [
        (
            "addresses",
            "virtual IPs are not modelled: clients reach the entry by its hosts",
        ),
        ("exportTo", EXPORT_TO_NOT_MODELLED),
        ("subjectAltNames", TLS_NOT_MODELLED),
    ] {
        if let Some(v) = spec.ignored(key, why) {
            v.strings()?;
        }
    }
    if let Some(w) = spec.ignored(
        "workloadSelector",
        "selecting pods as the entry's endpoints is not modelled: the entry has only the \
         endpoints it lists",
    ) {
        w.map(&["labels"])?.opt("labels", Val::string_map)?;
    }
    Ok(())
}

/// `resolution` (default `NONE`).
fn resolution(spec: &Obj<'_>) -> Result<Resolution> {
    Ok(match spec.get("resolution") {
        None => Resolution::None,
        Some(r) => match r.one_of(RESOLUTIONS)? {
            "STATIC" => Resolution::Static,
            "DNS" => Resolution::Dns,
            "DNS_ROUND_ROBIN" => Resolution::DnsRoundRobin,
            _ => Resolution::None,
        },
    })
}

/// A resolved entry (not `NONE`) names no wildcard host.
fn check_resolvable(spec: &Obj<'_>, resolution: Resolution) -> Result<()> {
    if resolution == Resolution::None {
        return Ok(());
    }
    for h in &spec.req("hosts")?.seq()? {
        if h.str()?.contains('*') {
            return Err(h.error(format!(
                "wildcard host {} is not supported with resolution {:?}",
                h.str()?,
                resolution
            )));
        }
    }
    Ok(())
}

/// The endpoint count `ValidateServiceEntry` allows for the entry's resolution.
fn check_endpoint_count(
    spec: &Obj<'_>,
    spec_val: &Val<'_>,
    resolution: Resolution,
    endpoints: usize,
) -> Result<()> {
    if spec.has("workloadSelector") && endpoints > 0 {
        return Err(
            spec_val.error("only one of WorkloadSelector or Endpoints is allowed in Service Entry")
        );
    }
    if resolution == Resolution::None && endpoints > 0 {
        return Err(spec_val.error("no endpoints should be provided for resolution type none"));
    }
    if resolution == Resolution::Static && endpoints == 0 && !spec.has("workloadSelector") {
        return Err(
            spec_val.error("endpoints must be provided if service entry discovery mode is static")
        );
    }
    Ok(())
}

fn ports(spec: &Obj<'_>, spec_val: &Val<'_>) -> Result<Vec<EntryPort>> {
    let vals = spec.list("ports")?;
    if vals.is_empty() {
        return Err(spec_val.error("service entry must have at least one port"));
    }
    let mut out: Vec<EntryPort> = Vec::new();
    for v in &vals {
        let p = v.map(PORT_FIELDS)?;
        let number = checks::port(&p.req("number")?)?;
        let name_val = p.req("name")?;
        let name = name_val.str()?.to_string();
        if name.is_empty() {
            return Err(name_val.error("port name must be set"));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(name_val.error(format!("service entry port name {name:?} already defined")));
        }
        if out.iter().any(|o| o.number == number) {
            return Err(v.error(format!("service entry port {number} already defined")));
        }
        let protocol = p.req("protocol")?.str()?.to_ascii_uppercase();
        let target_port = p.opt("targetPort", checks::port)?;
        out.push(EntryPort {
            number,
            name,
            protocol,
            target_port,
        });
    }
    Ok(out)
}

fn endpoint(v: &Val<'_>, resolution: Resolution, ports: &[EntryPort]) -> Result<EntryEndpoint> {
    let e = v.map(ENDPOINT_FIELDS)?;
    let addr_val = e.req("address")?;
    let address = addr_val.str()?.to_string();
    let is_ip = address.parse::<IpAddr>().is_ok();
    match resolution {
        Resolution::Static if !is_ip && !address.starts_with("unix://") => {
            return Err(addr_val.error(format!(
                "endpoint address {address:?} is not a valid IP address"
            )));
        }
        Resolution::Dns | Resolution::DnsRoundRobin if !is_ip && !is_fqdn(&address) => {
            return Err(addr_val.error(format!(
                "endpoint address {address:?} is not a valid FQDN or an IP address"
            )));
        }
        _ => {}
    }
    let mut port_map = BTreeMap::new();
    if let Some(pv) = e.get("ports") {
        for (name, n) in pv.entries()? {
            if !ports.iter().any(|p| p.name == name) {
                return Err(n.error(format!(
                    "endpoint port {name} is not defined by the service entry"
                )));
            }
            port_map.insert(name.to_string(), checks::port(&n)?);
        }
    }
    let locality = match e.get("locality") {
        None => None,
        Some(l) => Some(locality(&l)?),
    };
    for (key, why) in [
        (
            "network",
            "networks are not modelled: every endpoint is reached directly",
        ),
        ("serviceAccount", TLS_NOT_MODELLED),
    ] {
        if let Some(v) = e.ignored(key, why) {
            v.str()?;
        }
    }
    Ok(EntryEndpoint {
        address,
        ports: port_map,
        locality,
        labels: e.opt("labels", Val::string_map)?.unwrap_or_default(),
        weight: e.opt("weight", |w| w.u32_in(0, u32::MAX))?,
        line: v.line(),
    })
}

/// `region/zone/subzone` (trailing parts optional).
fn locality(v: &Val<'_>) -> Result<Locality> {
    let s = v.str()?;
    let mut parts = s.splitn(3, '/');
    let region = parts.next().unwrap_or_default().to_string();
    if region.is_empty() {
        return Err(v.error(format!("invalid locality {s:?}: the region is empty")));
    }
    Ok(Locality {
        region,
        zone: parts.next().unwrap_or_default().to_string(),
        subzone: parts.next().unwrap_or_default().to_string(),
    })
}

/// A fully qualified domain name: dot-separated RFC 1123 labels.
fn is_fqdn(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.trim_end_matches('.')
            .split('.')
            .all(|l| checks::is_dns1123_label(&l.to_ascii_lowercase()))
}
