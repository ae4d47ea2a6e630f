//! `http[].match[]` → [`HttpMatch`], as `TranslateRouteMatch` builds Envoy's `RouteMatch`
//! and `validateHTTPRouteMatchRequest` checks it.

use meshtwin_model::traffic::http::{
    HeaderMatch, HttpMatch, PathMatch, QueryParamMatch, StringMatch,
};

use super::checks;
use crate::decode::{Result, Val};

const MATCH_FIELDS: &[&str] = &[
    "name",
    "uri",
    "scheme",
    "method",
    "authority",
    "headers",
    "port",
    "sourceLabels",
    "gateways",
    "queryParams",
    "ignoreUriCase",
    "withoutHeaders",
    "sourceNamespace",
    "statPrefix",
];
const STRING_MATCH_FIELDS: &[&str] = &["exact", "prefix", "regex"];

/// A `StringMatch` with Istio's checks; `place` names it in messages. An empty match (and
/// `regex: "*"`) is Envoy's `present_match`. The uri may have an empty prefix.
fn string_match(v: &Val<'_>, place: &str) -> Result<StringMatch> {
    let m = v.map(STRING_MATCH_FIELDS)?;
    let set = m.present(STRING_MATCH_FIELDS);
    if set.len() > 1 {
        return Err(v.error(format!(
            "only one of exact, prefix, regex may be set, found {}",
            set.join(", ")
        )));
    }
    let Some(kind) = set.first() else {
        return Ok(StringMatch::Present);
    };
    let val = m.req(kind)?;
    let s = val.str()?.to_string();
    Ok(match *kind {
        "exact" => StringMatch::Exact(s),
        "prefix" => {
            if s.is_empty() && place != "uri" {
                return Err(val.error(format!(
                    "{place:?}: prefix string match should not be empty"
                )));
            }
            StringMatch::Prefix(s)
        }
        // `*` is not RE2: in `withoutHeaders` Istio reads it as "present".
        _ if s == "*" && place == "withoutHeaders" => StringMatch::Present,
        _ => {
            if s.is_empty() {
                return Err(val.error(format!("{place:?}: regex string match should not be empty")));
            }
            checks::regex(&val, &s, place)?;
            StringMatch::Regex(s)
        }
    })
}

/// A `map<string, StringMatch>`, sorted by name.
fn named_matches(v: Option<Val<'_>>, place: &str) -> Result<Vec<(String, StringMatch)>> {
    let mut out = Vec::new();
    if let Some(v) = v {
        for (name, m) in v.entries()? {
            let matcher = if m.node.value != crate::source::Value::Null {
                string_match(&m, place)?
            } else if place == "withoutHeaders" {
                StringMatch::Present
            } else {
                return Err(m.error(format!("header match {name} cannot be null")));
            };
            out.push((name.to_string(), matcher));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Decode one match block.
pub fn decode(v: &Val<'_>) -> Result<HttpMatch> {
    let m = v.map(MATCH_FIELDS)?;
    let path = match m.opt("uri", |u| string_match(u, "uri"))? {
        Some(StringMatch::Exact(p)) => PathMatch::Exact(p),
        Some(StringMatch::Prefix(p)) => PathMatch::Prefix(p),
        Some(StringMatch::Regex(r)) => PathMatch::Regex(r),
        Some(StringMatch::Present) | None => PathMatch::Prefix("/".into()),
    };
    let mut headers: Vec<HeaderMatch> = named_matches(m.get("headers"), "headers")?
        .into_iter()
        .map(|(name, matcher)| HeaderMatch {
            name,
            matcher,
            invert: false,
            treat_missing_as_empty: false,
        })
        .collect();
    for (name, matcher) in named_matches(m.get("withoutHeaders"), "withoutHeaders")? {
        let treat_missing_as_empty = matcher != StringMatch::Present;
        headers.push(HeaderMatch {
            name,
            matcher,
            invert: true,
            treat_missing_as_empty,
        });
    }
    headers.sort_by(|a, b| a.name.cmp(&b.name));
    for (field, pseudo) in [
        ("method", ":method"),
        ("authority", ":authority"),
        ("scheme", ":scheme"),
    ] {
        if let Some(s) = m.opt(field, |x| string_match(x, field))? {
            headers.push(HeaderMatch {
                name: pseudo.into(),
                matcher: s,
                invert: false,
                treat_missing_as_empty: false,
            });
        }
    }
    let query_params = named_matches(m.get("queryParams"), "queryParams")?
        .into_iter()
        .map(|(name, matcher)| QueryParamMatch { name, matcher })
        .collect();
    if let Some(s) = m.ignored(
        "statPrefix",
        "route stats are not kept: the twin's stats are per cluster and listener",
    ) {
        s.str()?;
    }
    Ok(HttpMatch {
        name: m.opt("name", |n| n.str().map(str::to_string))?,
        path,
        case_sensitive: !m.opt("ignoreUriCase", Val::bool)?.unwrap_or(false),
        headers,
        query_params,
        port: m.opt("port", checks::port)?,
        source_labels: m.opt("sourceLabels", Val::string_map)?.unwrap_or_default(),
        source_namespace: m.opt("sourceNamespace", |s| s.name().map(str::to_string))?,
        gateways: m.opt("gateways", Val::strings)?.unwrap_or_default(),
    })
}

/// Whether the block matches every request on every proxy (istiod stops emitting routes
/// after such a block: `IsCatchAllRoute` with no per-proxy condition).
pub fn is_unconditional_catch_all(m: &HttpMatch) -> bool {
    let catch_all_path = match &m.path {
        PathMatch::Prefix(p) => p == "/",
        PathMatch::Regex(r) => r == ".*",
        PathMatch::Exact(_) => false,
    };
    catch_all_path
        && m.headers.is_empty()
        && m.query_params.is_empty()
        && m.port.is_none()
        && m.source_labels.is_empty()
        && m.source_namespace.is_none()
        && m.gateways.is_empty()
}
