//! One `http[]` rule → [`HttpRoute`] (`TranslateRoute`, `validateHTTPRoute`).

use meshtwin_model::traffic::http::{HttpAction, HttpRoute};
use meshtwin_model::traffic::IstioCompat;

use super::http_action::{direct_response, redirect, rewrite};
use super::{checks, destination, fault, http_match, mirror, retries, route_origins};
use crate::decode::{Obj, Result, Val};
use crate::warning::CORS_NOT_MODELLED;

const HTTP_ROUTE_FIELDS: &[&str] = &[
    "name",
    "match",
    "route",
    "redirect",
    "directResponse",
    "delegate",
    "rewrite",
    "timeout",
    "retries",
    "fault",
    "mirror",
    "mirrors",
    "mirrorPercentage",
    "mirrorPercent",
    "mirror_percent",
    "corsPolicy",
    "headers",
];

/// `validateHTTPRouteConflict`: which of route / redirect / direct response the rule has.
fn check_conflicts(v: &Val<'_>, r: &Obj<'_>) -> Result<()> {
    if let Some(d) = r.get("delegate") {
        return Err(d.error("delegate VirtualServices are not supported by meshtwin"));
    }
    let route = !r.list("route")?.is_empty();
    let conflict = |a: &str, b: &str, rule: &str| {
        Err(v.error(format!("HTTP {rule} cannot contain both {a} and {b}")))
    };
    if r.has("redirect") {
        if route {
            return conflict("route", "redirect", "route");
        }
        if r.has("fault") {
            return conflict("fault", "redirect", "route");
        }
        if r.has("rewrite") {
            return conflict("rewrite", "redirect", "route rule");
        }
        if r.has("directResponse") {
            return conflict("direct_response", "redirect", "route rule");
        }
    } else if r.has("directResponse") {
        if route {
            return conflict("route", "direct_response", "route");
        }
        if r.has("fault") {
            return conflict("fault", "direct_response", "route");
        }
        if r.has("rewrite") {
            return conflict("rewrite", "direct_response", "route rule");
        }
    } else if !route {
        return Err(v.error("HTTP route, redirect or direct_response is required"));
    }
    if r.has("mirror") && r.has("mirrors") {
        return conflict("mirror", "mirrors", "route");
    }
    Ok(())
}

/// Decode one rule.
pub fn decode(v: &Val<'_>, compat: &IstioCompat) -> Result<HttpRoute> {
    let r = v.map(HTTP_ROUTE_FIELDS)?;
    check_conflicts(v, &r)?;
    let matches = r
        .list("match")?
        .iter()
        .map(http_match::decode)
        .collect::<Result<Vec<_>>>()?;
    if let Some(c) = r.ignored("corsPolicy", CORS_NOT_MODELLED) {
        c.entries()?;
    }
    let action = if let Some(x) = r.get("redirect") {
        HttpAction::Redirect(redirect(&x)?)
    } else if let Some(x) = r.get("directResponse") {
        direct_response(&x)?
    } else {
        HttpAction::Route(destination::route(&r.req("route")?, true, compat)?)
    };
    Ok(HttpRoute {
        name: r.opt("name", |n| n.str().map(str::to_string))?,
        matches,
        action,
        timeout: r.opt("timeout", checks::duration)?,
        retries: match r.get("retries") {
            Some(x) => retries::decode(&x, compat)?,
            None => Some(retries::default_policy(compat)),
        },
        fault: r.opt("fault", fault::decode)?.flatten(),
        mirrors: mirror::decode(&r, compat)?,
        rewrite: r.opt("rewrite", rewrite)?,
        headers: r
            .opt("headers", destination::header_operations)?
            .unwrap_or_default(),
        origins: route_origins::origins(&r, compat)?,
    })
}
