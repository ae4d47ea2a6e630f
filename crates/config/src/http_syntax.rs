//! What an HTTP/1 request can carry as it is written on the wire, checked where the user's
//! files name it (a load's URL and headers, an app's calls), so that nothing the files say is
//! dropped or turned into a failed call during the run. The rules are those of RFC 9110
//! (`tchar`, field values) and of the `http` crate's URI parser (the WHATWG URL standard's
//! path and query states), which the twin's HTTP stack uses.

/// The longest request target the HTTP stack takes, plus one (`http::uri` stores its
/// offsets in 16 bits).
const MAX_TARGET: usize = u16::MAX as usize;

/// A header name: an HTTP token.
pub fn header_name(name: &str) -> Result<(), String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(tchar) {
        return Err(format!(
            "{name:?} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)"
        ));
    }
    Ok(())
}

/// A header value: no control characters but tab.
pub fn header_value(text: &str) -> Result<(), String> {
    if text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err("a header value cannot hold control characters".into());
    }
    Ok(())
}

/// A request target (`/path?query`, a `#fragment` is not sent): no spaces, control
/// characters, `<` or `>`; no `` ` `` in the path and no `"` in the query; under 64 KiB.
pub fn request_target(target: &str) -> Result<(), String> {
    let target = target.split('#').next().unwrap_or("");
    if target.len() >= MAX_TARGET {
        return Err(format!(
            "a URL's path and query are at most {} bytes (this one has {})",
            MAX_TARGET - 1,
            target.len()
        ));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let bad = |c: char| c.is_ascii_control() || matches!(c, ' ' | '<' | '>');
    if let Some(c) = path.chars().find(|&c| bad(c) || c == '`') {
        return Err(format!(
            "{c:?} cannot appear in a URL's path as it is sent: percent-encode it"
        ));
    }
    if let Some(c) = query.chars().find(|&c| bad(c) || c == '"') {
        return Err(format!(
            "{c:?} cannot appear in a URL's query as it is sent: percent-encode it"
        ));
    }
    Ok(())
}
