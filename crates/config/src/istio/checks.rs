//! Checks Istio's validation webhook applies in many places (`pkg/config/validation`), with
//! its own messages: durations, ports, percentages, DNS labels, status codes, regexes.

use std::time::Duration;

use crate::decode::{Result, Val};

/// `google.protobuf.Duration` as Istio accepts it (`agent.ValidateDuration`): at least 1 ms,
/// whole milliseconds.
pub fn duration(v: &Val<'_>) -> Result<Duration> {
    let d = v.duration()?;
    if d < Duration::from_millis(1) {
        return Err(v.error("duration must be greater than 1ms"));
    }
    if d.subsec_nanos() % 1_000_000 != 0 {
        return Err(v.error("only durations to ms precision are supported"));
    }
    Ok(d)
}

/// A port number (`agent.ValidatePort`).
pub fn port(v: &Val<'_>) -> Result<u16> {
    let n = v.int()?;
    u16::try_from(n)
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| v.error(format!("port number {n} must be in the range 1..65535")))
}

/// `{number: N}` (Istio `PortSelector`).
pub fn port_selector(v: &Val<'_>) -> Result<u16> {
    port(&v.map(&["number"])?.req("number")?)
}

/// Istio `Percent{value}` (`validatePercentage`): 0, or 0.0001..=100.
pub fn percentage(v: &Val<'_>) -> Result<f64> {
    let value = match v.map(&["value"])?.get("value") {
        Some(x) => x.number()?,
        None => 0.0,
    };
    if !(0.0..=100.0).contains(&value) || (value > 0.0 && value < 0.0001) {
        return Err(v.error(format!(
            "percentage {} is neither 0.0, nor in range [0.0001, 100.0]",
            go_float(value)
        )));
    }
    Ok(value)
}

/// An `int32` field.
pub fn int32(v: &Val<'_>) -> Result<i32> {
    Ok(i32::try_from(v.int_in(i64::from(i32::MIN), i64::from(i32::MAX))?).unwrap_or(0))
}

/// Go's `%v` of a float64: shortest form, exponent below 1e-4 and from 1e21 (`-1`, `0.5`,
/// `150`, `1e-05`).
pub fn go_float(f: f64) -> String {
    if f != 0.0 && (f.abs() < 1e-4 || f.abs() >= 1e21) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
        format!("{mantissa}e{sign}{digits:0>2}")
    } else {
        format!("{f}")
    }
}

/// A DNS-1123 label as Istio checks it (`pkg/config/labels` `IsDNS1123Label`): 1–63 of
/// `[a-zA-Z0-9-]`, alphanumeric ends. Unlike Kubernetes' check, capitals are allowed.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `IsWildcardDNS1123Label`: `*`, or a DNS-1123 label optionally led by `*` or `*-`.
fn is_wildcard_dns1123_label(s: &str) -> bool {
    let rest = s
        .strip_prefix("*-")
        .or_else(|| s.strip_prefix('*'))
        .unwrap_or(s);
    s.len() <= 63 && (s == "*" || is_dns1123_label(rest))
}

/// A host as Istio checks it (`agent.ValidateWildcardDomain`): at most 255 characters, a
/// wildcard first label (`*`, `*.example.com`), DNS-1123 labels after it, a top-level domain
/// that is not all digits; a trailing dot is allowed. Istio's messages; long hosts are cut.
pub fn wildcard_domain(v: &Val<'_>, domain: &str) -> Result<()> {
    let quoted = format!("{:?}", crate::names::shorten(domain).as_ref());
    if domain.len() > 255 {
        return Err(v.error(format!("domain name {quoted} too long (max 255)")));
    }
    if domain.is_empty() {
        return Err(v.error("empty domain name not allowed"));
    }
    let (first, rest) = match domain.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (domain, None),
    };
    let bad_label = |l: &str| {
        v.error(format!(
            "domain name {quoted} invalid (label {l:?} invalid)"
        ))
    };
    if !is_wildcard_dns1123_label(first) {
        return Err(bad_label(first));
    }
    let Some(rest) = rest else { return Ok(()) };
    let labels: Vec<&str> = rest.split('.').collect();
    let tld = labels[labels.len() - 1];
    if !tld.is_empty() && tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err(v.error(format!(
            "domain name {quoted} invalid (top level domain {tld:?} cannot be all-numeric)"
        )));
    }
    for (i, l) in labels.iter().enumerate() {
        // A trailing dot, as in `istio.io.`, is allowed.
        if i == labels.len() - 1 && l.is_empty() {
            break;
        }
        if !is_dns1123_label(l) {
            return Err(bad_label(l));
        }
    }
    Ok(())
}

/// Whether Go's `http.StatusText` knows the code (Istio accepts such codes in `retryOn`).
pub fn is_known_status(code: u16) -> bool {
    matches!(code,
        100..=103 | 200..=208 | 226 | 300..=305 | 307 | 308 | 400..=418 | 421..=426 | 428
        | 429 | 431 | 451 | 500..=508 | 510 | 511)
}

/// A RE2-style regex as Istio validates it (`validateStringRegexp`); `place` names the
/// field in the message (`uri`, `headers`, ...).
pub fn regex(v: &Val<'_>, pattern: &str, place: &str) -> Result<()> {
    if pattern.len() > 1024 {
        return Err(v.error(format!(
            "{place:?}: regex is too large, max length allowed is 1024"
        )));
    }
    if let Err(e) = regex::Regex::new(pattern) {
        // The regex crate's message ends with a line `error: <what>`; keep that part.
        let text = e.to_string();
        let what = text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(text.trim())
            .to_string();
        return Err(v.error(format!(
            "{place:?}: error parsing regexp: {what}: `{pattern}`; Istio uses RE2 style \
             regex-based match (https://github.com/google/re2/wiki/Syntax)"
        )));
    }
    Ok(())
}
