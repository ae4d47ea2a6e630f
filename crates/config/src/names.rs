//! Names checked as Kubernetes checks them (`k8s.io/apimachinery/pkg/util/validation`), with
//! its messages, so that a name Kubernetes would refuse is refused here too — and a
//! megabyte-long name is a located error, not a slow run.
//!
//! | rule | Kubernetes | used for |
//! |---|---|---|
//! | [`Rule::Subdomain`] | `IsDNS1123Subdomain`: ≤ 253, `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.…)*` | `metadata.name` of custom resources (Istio, App Mesh, TSB), workloads (as Deployments), pods, the scenario's and topology's names |
//! | [`Rule::Label`] | `IsDNS1123Label`: ≤ 63, `[a-z0-9]([-a-z0-9]*[a-z0-9])?` | namespaces (`ValidateNamespaceName`), load names (they name output files) |
//! | [`Rule::Dns1035`] | `IsDNS1035Label`: ≤ 63, `[a-z]([-a-z0-9]*[a-z0-9])?` | services (`ValidateServiceName`) |
//! | [`Rule::LabelValue`] | `IsValidLabelValue`: ≤ 63, `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`, here non-empty | regions, zones, subzones, clusters (node labels `topology.kubernetes.io/region`, `…/zone`, `topology.istio.io/subzone`, `topology.istio.io/cluster`) |

use std::borrow::Cow;

use crate::decode::{Result, Val};

/// Which Kubernetes name rule a name follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Subdomain,
    Label,
    Dns1035,
    LabelValue,
}

impl Rule {
    /// The longest name the rule allows.
    pub fn max_len(self) -> usize {
        match self {
            Rule::Subdomain => 253,
            Rule::Label | Rule::Dns1035 | Rule::LabelValue => 63,
        }
    }

    /// Kubernetes' message for a name of the right length that breaks the rule.
    fn format_message(self) -> &'static str {
        match self {
            Rule::Subdomain => {
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric \
                 characters, '-' or '.', and must start and end with an alphanumeric character \
                 (e.g. 'example.com')"
            }
            Rule::Label => {
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters \
                 or '-', and must start and end with an alphanumeric character (e.g. 'my-name', \
                 or '123-abc')"
            }
            Rule::Dns1035 => {
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
                 start with an alphabetic character, and end with an alphanumeric character \
                 (e.g. 'my-name', or 'abc-123')"
            }
            Rule::LabelValue => {
                "a valid label must consist of alphanumeric characters, '-', '_' or '.', and \
                 must start and end with an alphanumeric character (e.g. 'MyValue', or \
                 'my_value', or '12345')"
            }
        }
    }

    /// Whether `s` follows the rule (length included).
    pub fn accepts(self, s: &str) -> bool {
        if s.is_empty() || s.len() > self.max_len() {
            return false;
        }
        let lower_alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        let label = |l: &[u8]| {
            !l.is_empty()
                && lower_alnum(l[0])
                && lower_alnum(l[l.len() - 1])
                && l.iter().all(|c| lower_alnum(*c) || *c == b'-')
        };
        let b = s.as_bytes();
        match self {
            Rule::Subdomain => b.split(|c| *c == b'.').all(label),
            Rule::Label => label(b),
            Rule::Dns1035 => label(b) && b[0].is_ascii_lowercase(),
            Rule::LabelValue => {
                b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            }
        }
    }

    /// Why `s` breaks the rule, in Kubernetes' words, or `None` when it follows it.
    pub fn violation(self, s: &str) -> Option<String> {
        if s.len() > self.max_len() {
            return Some(format!(
                "invalid name {}: must be no more than {} characters",
                quoted(s),
                self.max_len()
            ));
        }
        (!self.accepts(s)).then(|| format!("invalid name {}: {}", quoted(s), self.format_message()))
    }
}

/// A string value that must be a name following `rule`; the error is at the value.
pub fn name<'a>(v: &Val<'a>, rule: Rule) -> Result<&'a str> {
    let s = v.name()?;
    match rule.violation(s) {
        Some(m) => Err(v.error(m)),
        None => Ok(s),
    }
}

/// Longest name quoted whole in a message or an object label.
const MAX_SHOWN_CHARS: usize = 64;

/// `s`, cut to a length fit for a message (`abc…`), with its length when cut.
pub fn shorten(s: &str) -> Cow<'_, str> {
    if s.chars().count() <= MAX_SHOWN_CHARS {
        return Cow::Borrowed(s);
    }
    let head: String = s.chars().take(MAX_SHOWN_CHARS).collect();
    Cow::Owned(format!("{head}… ({} bytes)", s.len()))
}

fn quoted(s: &str) -> String {
    format!("{:?}", shorten(s).as_ref())
}

#[cfg(test)]
mod tests {
    use super::Rule::*;

    #[test]
    fn subdomains_allow_dots_and_253_characters() {
        assert!(Subdomain.accepts("reviews.prod"));
        assert!(Subdomain.accepts("istio-request-timeout-0.5s"));
        assert!(Subdomain.accepts(&"a".repeat(253)));
        assert!(!Subdomain.accepts(&"a".repeat(254)));
        for bad in [
            "", "..", "../../x", "a..b", "-a", "a-", "A", "a_b", ".a", "a.",
        ] {
            assert!(!Subdomain.accepts(bad), "{bad:?}");
        }
    }

    #[test]
    fn labels_allow_no_dots_and_63_characters() {
        assert!(Label.accepts("default"));
        assert!(Label.accepts("123-abc"));
        assert!(Label.accepts(&"a".repeat(63)));
        assert!(!Label.accepts(&"a".repeat(64)));
        assert!(!Label.accepts("a.b"));
    }

    #[test]
    fn dns_1035_labels_start_with_a_letter() {
        assert!(Dns1035.accepts("httpbin"));
        assert!(!Dns1035.accepts("1httpbin"));
    }

    #[test]
    fn label_values_allow_capitals_and_underscores() {
        assert!(LabelValue.accepts("us-west-2a"));
        assert!(LabelValue.accepts("Zone_1.b"));
        assert!(!LabelValue.accepts("region/zone"));
        assert!(!LabelValue.accepts("_a"));
        assert!(!LabelValue.accepts(&"a".repeat(64)));
    }

    #[test]
    fn violations_say_what_kubernetes_says_and_never_quote_a_huge_name() {
        assert_eq!(
            Label.violation(&"x".repeat(1_000_000)).unwrap(),
            format!(
                "invalid name \"{}… (1000000 bytes)\": must be no more than 63 characters",
                "x".repeat(64)
            )
        );
        assert!(Subdomain
            .violation("Reviews")
            .unwrap()
            .starts_with("invalid name \"Reviews\": a lowercase RFC 1123 subdomain"));
        assert_eq!(Subdomain.violation("reviews"), None);
    }
}
