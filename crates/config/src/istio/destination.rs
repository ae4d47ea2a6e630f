//! Route destinations and their weights (`source/common/router/config_impl.cc` `RouteEntryImplBase::pickWeightedCluster`): `Destination`, `HTTPRouteDestination`
//! and `RouteDestination`, with Istio's weight validation in both versions (switch I3) and
//! istiod's lowering (one destination: weight ignored; several: weight-0 ones dropped).

use meshtwin_model::traffic::http::{HeaderOperations, HeaderOps};
use meshtwin_model::traffic::{Destination, FieldRef, IstioCompat, RouteDestination};

use super::checks;
use crate::decode::{Result, Val};

const DESTINATION_FIELDS: &[&str] = &["host", "subset", "port"];
const HTTP_ROUTE_DESTINATION_FIELDS: &[&str] = &["destination", "weight", "headers"];
const TCP_ROUTE_DESTINATION_FIELDS: &[&str] = &["destination", "weight"];
const HEADERS_FIELDS: &[&str] = &["request", "response"];
const HEADER_OPS_FIELDS: &[&str] = &["set", "add", "remove"];

/// A `Destination` (`validateDestination`).
pub fn destination(v: &Val<'_>) -> Result<Destination> {
    let d = v.map(DESTINATION_FIELDS)?;
    let host_val = d.req("host")?;
    let host = host_val.name()?.to_string();
    if host == "*" {
        return Err(host_val.error("invalid destination host *"));
    }
    checks::wildcard_domain(&host_val, &host)?;
    let subset_at = d
        .get("subset")
        .map_or_else(FieldRef::default, |s| FieldRef {
            line: s.line(),
            path: s.path.clone(),
        });
    let subset = d.opt("subset", |s| {
        let name = s.str()?;
        if name.is_empty() {
            return Err(s.error("subset name cannot be empty"));
        }
        if !checks::is_dns1123_label(name) {
            return Err(s.error(format!(
                "subset name is invalid: {}",
                crate::names::shorten(name)
            )));
        }
        Ok(name.to_string())
    })?;
    Ok(Destination {
        host,
        subset,
        port: d.opt("port", checks::port_selector)?,
        at: FieldRef {
            line: host_val.line(),
            path: host_val.path.clone(),
        },
        subset_at,
    })
}

/// Istio `Headers` (request / response `set`, `add`, `remove`).
pub fn header_operations(v: &Val<'_>) -> Result<HeaderOperations> {
    let h = v.map(HEADERS_FIELDS)?;
    let ops = |x: &Val<'_>| -> Result<HeaderOps> {
        let o = x.map(HEADER_OPS_FIELDS)?;
        Ok(HeaderOps {
            set: o.opt("set", Val::string_map)?.unwrap_or_default(),
            add: o.opt("add", Val::string_map)?.unwrap_or_default(),
            remove: o.opt("remove", Val::strings)?.unwrap_or_default(),
        })
    };
    Ok(HeaderOperations {
        request: h.opt("request", ops)?.unwrap_or_default(),
        response: h.opt("response", ops)?.unwrap_or_default(),
    })
}

/// A rule's `route` list (`validateHTTPRouteDestinations` / `validateRouteDestinations`),
/// lowered. `route` is the list itself; `http` allows per-destination `headers`.
pub fn route(route: &Val<'_>, http: bool, compat: &IstioCompat) -> Result<Vec<RouteDestination>> {
    let items = route.seq()?;
    let fields = if http {
        HTTP_ROUTE_DESTINATION_FIELDS
    } else {
        TCP_ROUTE_DESTINATION_FIELDS
    };
    let mut out = Vec::new();
    let mut total: i64 = 0;
    for item in &items {
        let r = item.map(fields)?;
        let destination = destination(&r.req("destination")?)?;
        let weight = match r.get("weight") {
            Some(w) => weight(&w, compat)?,
            None => 0,
        };
        total += i64::from(weight);
        out.push(RouteDestination {
            destination,
            weight: u32::try_from(weight).unwrap_or(0),
            headers: r.opt("headers", header_operations)?.unwrap_or_default(),
        });
    }
    if items.len() > 1 {
        if compat.legacy_weight_validation && total != 100 {
            return Err(route.error(format!("total destination weight {total} != 100")));
        }
        if total == 0 {
            return Err(route.error("total destination weight = 0"));
        }
        out.retain(|d| d.weight > 0);
    }
    Ok(out)
}

/// One weight: ≥ 0 (Istio ≥ 1.15) or 0..100 (≤ 1.14).
fn weight(v: &Val<'_>, compat: &IstioCompat) -> Result<i32> {
    let w = checks::int32(v)?;
    if compat.legacy_weight_validation && !(0..=100).contains(&w) {
        return Err(v.error(format!("percentage {w} is not in range 0..100")));
    }
    if w < 0 {
        return Err(v.error(format!("weight {w} < 0")));
    }
    Ok(w)
}
