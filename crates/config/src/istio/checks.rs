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

/// A DNS-1123 label (`labels.IsDNS1123Label`): 1–63 of `[a-z0-9-]`, alphanumeric ends.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
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
