//! Durations as Istio and Kubernetes users write them: Go's `time.ParseDuration` syntax
//! (`1s`, `3m`, `100ms`, `1.5s`, `1h30m`, `180.000s`, `0`), which also covers the protobuf
//! JSON form (`"1.000s"`). Negative durations are errors.

use std::time::Duration;

const UNITS: [(&str, u128); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    // `d` is not Go syntax; listed so the error can say so precisely.
    ("d", 0),
];

/// Parse a duration; the error is a complete message.
pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid duration {text:?}: expected a number with a unit (h, m, s, ms, us, ns), \
             like 1s, 100ms, 1.5s or 3m"
        )
    };
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.starts_with('-') {
        return Err(format!("invalid duration {text:?}: must not be negative"));
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return Err(bad());
    }
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(num_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, n)| *n)
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        nanos = nanos
            .checked_add(scaled(number, scale).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        rest = tail;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// `number` (digits with an optional fraction) times `scale` nanoseconds.
fn scaled(number: &str, scale: u128) -> Option<u128> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if frac.contains('.') {
        return None;
    }
    let int_val: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut total = int_val.checked_mul(scale)?;
    // Fraction digits beyond nanosecond precision are dropped, as Go does.
    let mut unit = scale;
    for digit in frac.bytes().take(30) {
        unit /= 10;
        total = total.checked_add(u128::from(digit - b'0') * unit)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> u128 {
        parse(text).unwrap().as_millis()
    }

    #[test]
    fn parses_istio_and_go_forms() {
        assert_eq!(ms("1s"), 1000);
        assert_eq!(ms("3m"), 180_000);
        assert_eq!(ms("100ms"), 100);
        assert_eq!(ms("1.5s"), 1500);
        assert_eq!(ms("1h"), 3_600_000);
        assert_eq!(ms("1h30m"), 5_400_000);
        assert_eq!(ms("180.000s"), 180_000);
        assert_eq!(ms("0"), 0);
        assert_eq!(ms("0s"), 0);
        assert_eq!(parse("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(parse(".5s").unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in ["", "10", "1x", "s", "1.2.3s", "1d", "ten seconds", "1 s"] {
            let e = parse(bad).unwrap_err();
            assert!(e.starts_with("invalid duration"), "{bad}: {e}");
        }
        assert_eq!(
            parse("-1s").unwrap_err(),
            "invalid duration \"-1s\": must not be negative"
        );
    }
}
