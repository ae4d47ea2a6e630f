//! What a matching HTTP rule does besides forwarding: `redirect`, `directResponse`, and the
//! `rewrite` applied to forwarded requests (`validateHTTPRedirect`, `validateHTTPRewrite`,
//! `validateHTTPDirectResponse`).

use meshtwin_model::traffic::http::{HttpAction, Redirect, Rewrite};

use super::checks;
use crate::decode::{Result, Val};

const REDIRECT_FIELDS: &[&str] = &[
    "uri",
    "authority",
    "port",
    "derivePort",
    "scheme",
    "redirectCode",
    "prefixRewrite",
];
const REWRITE_FIELDS: &[&str] = &["uri", "authority", "uriRegexRewrite"];
const DIRECT_RESPONSE_FIELDS: &[&str] = &["status", "body"];

/// `redirect` → a 3xx local reply (code 301 unless written).
pub fn redirect(v: &Val<'_>) -> Result<Redirect> {
    let r = v.map(REDIRECT_FIELDS)?;
    for unsupported in ["derivePort", "prefixRewrite"] {
        if let Some(x) = r.get(unsupported) {
            return Err(x.error(format!(
                "redirect `{unsupported}` is not supported by meshtwin yet"
            )));
        }
    }
    let text = |k: &str| {
        r.opt(k, |x| x.str().map(str::to_string))
            .map(|o| o.filter(|s| !s.is_empty()))
    };
    let (uri, authority, scheme) = (text("uri")?, text("authority")?, text("scheme")?);
    let port = r.opt("port", checks::port)?;
    if uri.is_none() && authority.is_none() && port.is_none() && scheme.is_none() {
        return Err(v.error("redirect must specify URI, authority, scheme, or port"));
    }
    let redirect_code = match r.get("redirectCode") {
        Some(c) => {
            let code = checks::int32(&c)?;
            if !(300..=399).contains(&code) {
                return Err(c.error(format!("{code} is not a valid redirect code, must be 3xx")));
            }
            code.unsigned_abs() as u16
        }
        None => 301,
    };
    if let Some(s) = r.get("scheme").filter(|_| scheme.is_some()) {
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(s.error("invalid redirect scheme, must be \"http\" or \"https\""));
        }
    }
    Ok(Redirect {
        uri,
        authority,
        port,
        scheme,
        redirect_code,
    })
}

/// `rewrite` → the path prefix / authority rewrite of forwarded requests.
pub fn rewrite(v: &Val<'_>) -> Result<Rewrite> {
    let r = v.map(REWRITE_FIELDS)?;
    if let Some(x) = r.get("uriRegexRewrite") {
        return Err(x.error("rewrite `uriRegexRewrite` is not supported by meshtwin yet"));
    }
    let text = |k: &str| {
        r.opt(k, |x| x.str().map(str::to_string))
            .map(|o| o.filter(|s| !s.is_empty()))
    };
    let (uri, authority) = (text("uri")?, text("authority")?);
    if uri.is_none() && authority.is_none() {
        return Err(v.error(
            "rewrite must specify at least one of URI, UriRegexRewrite, or authority. \
             Only one of URI or UriRegexRewrite may be specified",
        ));
    }
    Ok(Rewrite { uri, authority })
}

/// `directResponse` → a local reply with the status and body.
pub fn direct_response(v: &Val<'_>) -> Result<HttpAction> {
    let d = v.map(DIRECT_RESPONSE_FIELDS)?;
    let status_val = d.req("status")?;
    let status = checks::int32(&status_val)?;
    if !(200..=600).contains(&status) {
        return Err(status_val.error(format!("HTTP status {status} is not in range 200-599")));
    }
    let body = d.opt("body", |b| {
        let b = b.map(&["string", "bytes"])?;
        Ok(b.opt("string", |s| s.str().map(str::to_string))?
            .or(b.opt("bytes", |s| s.str().map(str::to_string))?))
    })?;
    Ok(HttpAction::DirectResponse {
        status: status.unsigned_abs() as u16,
        body: body.flatten(),
    })
}
