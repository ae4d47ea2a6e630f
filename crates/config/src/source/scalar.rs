//! Plain scalars typed by the YAML 1.2 core schema: `null`/`~`, `true`/`false`, integers
//! (decimal, `0x`, `0o`), floats (`1.5`, `1e3`, `.inf`, `.nan`); anything else is a string
//! (`1s`, `yes`, `on` stay strings, unlike YAML 1.1).

use super::Value;

/// YAML 1.2 core schema for plain scalars.
pub(super) fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(&text) {
        return Value::Int(i);
    }
    if looks_like_float(&text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text)
}

fn parse_int(s: &str) -> Option<i64> {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn looks_like_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::super::{parse_documents, Value};

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let d = &parse_documents("f.yaml", "a: 10\nb: -3\nc: 1.5\nd: true\ne: ~\nf: '10'\ng: 1s\nh: yes\ni: 0x1F\nj: !!str 7\nk: 1e3\n").unwrap()[0];
        let Value::Map(m) = &d.root.value else {
            panic!()
        };
        let v = |k: &str| m[k].value.clone();
        assert_eq!(v("a"), Value::Int(10));
        assert_eq!(v("b"), Value::Int(-3));
        assert_eq!(v("c"), Value::Float(1.5));
        assert_eq!(v("d"), Value::Bool(true));
        assert_eq!(v("e"), Value::Null);
        assert_eq!(v("f"), Value::Str("10".into()));
        assert_eq!(v("g"), Value::Str("1s".into()));
        assert_eq!(v("h"), Value::Str("yes".into()));
        assert_eq!(v("i"), Value::Int(31));
        assert_eq!(v("j"), Value::Str("7".into()));
        assert_eq!(v("k"), Value::Float(1000.0));
    }
}
