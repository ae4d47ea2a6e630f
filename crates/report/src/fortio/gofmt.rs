//! Go's number formatting, as fortio prints with it: `%g` (shortest), `%.Ng`, and
//! `time.Duration`'s `String()`. Only what fortio's summary uses.

/// A finite, non-zero magnitude as decimal digits `d1 d2 … dn` (no trailing zeros) and the
/// decimal point position `dp`: the value is `0.d1d2…dn × 10^dp`.
struct Digits {
    digits: Vec<u8>,
    dp: i32,
}

impl Digits {
    /// Shortest digits that round-trip (`sig == None`) or correctly rounded to `sig`
    /// significant digits.
    fn of(magnitude: f64, sig: Option<usize>) -> Digits {
        let sci = match sig {
            None => format!("{magnitude:e}"),
            Some(n) => format!("{:.*e}", n.max(1) - 1, magnitude),
        };
        let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
        let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while digits.len() > 1 && digits.last() == Some(&b'0') {
            digits.pop();
        }
        Digits {
            digits,
            dp: exp + 1,
        }
    }

    fn digit(&self, i: i32) -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i))
            .map_or('0', |d| char::from(*d))
    }
}

/// Go's `%g` (`sig == None`) or `%.<sig>g`.
pub(crate) fn go_g(value: f64, sig: Option<usize>) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value == 0.0 {
        return format!("{sign}0");
    }
    let d = Digits::of(value.abs(), sig);
    let nd = i32::try_from(d.digits.len()).expect("few digits");
    // Go: the exponent decides between %e and %f; shortest uses 6 as the threshold.
    let (prec, eprec) = match sig {
        None => (nd, 6),
        Some(p) => {
            let p = i32::try_from(p.max(1)).expect("small precision");
            let eprec = if p > nd && nd >= d.dp { nd } else { p };
            (p, eprec)
        }
    };
    let exp = d.dp - 1;
    let body = if exp < -4 || exp >= eprec {
        fmt_e(&d, prec.min(nd) - 1, exp)
    } else {
        let prec = if prec > d.dp { nd } else { prec };
        fmt_f(&d, (prec - d.dp).max(0))
    };
    format!("{sign}{body}")
}

fn fmt_e(d: &Digits, decimals: i32, exp: i32) -> String {
    let mut s = String::new();
    s.push(d.digit(0));
    if decimals > 0 {
        s.push('.');
        (1..=decimals).for_each(|i| s.push(d.digit(i)));
    }
    let exp_sign = if exp < 0 { '-' } else { '+' };
    s.push_str(&format!("e{exp_sign}{:02}", exp.abs()));
    s
}

fn fmt_f(d: &Digits, decimals: i32) -> String {
    let mut s = String::new();
    if d.dp > 0 {
        (0..d.dp).for_each(|i| s.push(d.digit(i)));
    } else {
        s.push('0');
    }
    if decimals > 0 {
        s.push('.');
        (0..decimals).for_each(|i| s.push(d.digit(d.dp + i)));
    }
    s
}

pub(crate) use meshtwin_model::calls::{go_seconds, whole_ns};

/// Go's `time.Duration.String()` of a duration given in milliseconds (rounded to whole
/// nanoseconds; negative durations print as `0s`): `51.51929ms`, `1.5µs`, `5.192197459s`,
/// `1m0s`.
pub(crate) fn go_duration_ms(ms: f64) -> String {
    let ns = whole_ns(ms);
    if ns == 0 {
        return "0s".to_string();
    }
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    if ns < 1_000_000 {
        return format!("{}µs", fixed_trimmed(ns, 3));
    }
    if ns < 1_000_000_000 {
        return format!("{}ms", fixed_trimmed(ns, 6));
    }
    let secs = fixed_trimmed(ns % 60_000_000_000, 9);
    let minutes = ns / 60_000_000_000;
    match (minutes / 60, minutes % 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

/// `value / 10^scale` in decimal, trailing fractional zeros (and a bare point) removed.
fn fixed_trimmed(value: u64, scale: u32) -> String {
    let unit = 10u64.pow(scale);
    let frac = format!("{:0width$}", value % unit, width = scale as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}", value / unit)
    } else {
        format!("{}.{frac}", value / unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_g_matches_go() {
        assert_eq!(go_g(0.000313105, None), "0.000313105");
        assert_eq!(go_g(0.017104987, None), "0.017104987");
        assert_eq!(go_g(5.7049e-05, None), "5.7049e-05");
        assert_eq!(go_g(99.9, None), "99.9");
        assert_eq!(go_g(50.0, None), "50");
        assert_eq!(go_g(1234567.0, None), "1.234567e+06");
        assert_eq!(go_g(0.0, None), "0");
    }

    #[test]
    fn precision_g_matches_go() {
        assert_eq!(go_g(0.004_165_847_2, Some(8)), "0.0041658472");
        assert_eq!(go_g(0.003_982_01, Some(4)), "0.003982");
        assert_eq!(go_g(0.083_316_943, Some(9)), "0.083316943");
        assert_eq!(go_g(388.204_3, Some(5)), "388.2");
        assert_eq!(go_g(1588.48, Some(5)), "1588.5");
        assert_eq!(go_g(0.002_636_363_6, Some(6)), "0.00263636");
        assert_eq!(go_g(0.0035, Some(6)), "0.0035");
        assert_eq!(go_g(100.0, Some(4)), "100");
        assert_eq!(go_g(12345.0, Some(4)), "1.234e+04");
        assert_eq!(go_g(8.86416667e-05, Some(8)), "8.8641667e-05");
        assert_eq!(go_g(0.0, Some(4)), "0");
    }

    #[test]
    fn seconds_are_whole_nanoseconds_divided_like_go() {
        assert_eq!(go_g(go_seconds(0.313105), None), "0.000313105");
        // Whole seconds plus the fraction, as Go sums them (not 1500.25 / 1000).
        assert_eq!(go_seconds(1500.25), 1.0 + 0.50025);
        assert_eq!(go_seconds(-3.0), 0.0);
    }

    #[test]
    fn duration_matches_go() {
        assert_eq!(go_duration_ms(51.51929), "51.51929ms");
        assert_eq!(go_duration_ms(18.885972), "18.885972ms");
        assert_eq!(go_duration_ms(51.0), "51ms");
        assert_eq!(go_duration_ms(0.0015), "1.5µs");
        assert_eq!(go_duration_ms(0.000_5), "500ns");
        assert_eq!(go_duration_ms(5192.197459), "5.192197459s");
        assert_eq!(go_duration_ms(60_000.0), "1m0s");
        assert_eq!(go_duration_ms(3_723_500.0), "1h2m3.5s");
        assert_eq!(go_duration_ms(0.0), "0s");
        assert_eq!(go_duration_ms(-1.0), "0s");
    }
}
