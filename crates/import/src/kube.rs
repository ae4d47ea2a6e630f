//! Located reading of Kubernetes objects as `kubectl get -o yaml` prints them.
//!
//! Unlike policy files, a dump carries many fields the import does not read (`status`,
//! `managedFields`, container images, probes, …): here a mapping's other keys are allowed,
//! but every field that *is* read must have the type Kubernetes gives it, or the import stops
//! with a [`ConfigError`] at `file:line: Kind name: field.path: what is expected`.

use std::collections::BTreeMap;

use meshtwin_config::decode::{join, Result, Val};
use meshtwin_config::source::Value;

/// A field of the mapping `v` (`None` when absent or `null`); `v` must be a mapping.
pub fn field<'a>(v: &Val<'a>, key: &str) -> Result<Option<Val<'a>>> {
    let Value::Map(entries) = &v.node.value else {
        return Err(v.error(format!(
            "expected a mapping, found {}",
            v.node.value.describe()
        )));
    };
    Ok(entries
        .get(key)
        .filter(|n| n.value != Value::Null)
        .map(|node| Val {
            node,
            path: join(&v.path, key),
            ctx: v.ctx,
        }))
}

/// Follow `a.b.c` through nested mappings; `None` as soon as one is absent.
pub fn path<'a>(v: &Val<'a>, dotted: &str) -> Result<Option<Val<'a>>> {
    let mut cur = v.clone();
    for key in dotted.split('.') {
        match field(&cur, key)? {
            Some(next) => cur = next,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// A string field at `dotted`, if present.
pub fn string(v: &Val<'_>, dotted: &str) -> Result<Option<String>> {
    path(v, dotted)?
        .map(|s| s.str().map(str::to_string))
        .transpose()
}

/// A string-to-string mapping at `dotted` (labels, annotations, selectors); empty if absent.
pub fn string_map(v: &Val<'_>, dotted: &str) -> Result<BTreeMap<String, String>> {
    Ok(match path(v, dotted)? {
        Some(m) => m.string_map()?,
        None => BTreeMap::new(),
    })
}

/// The items of a list at `dotted`; empty if absent.
pub fn list<'a>(v: &Val<'a>, dotted: &str) -> Result<Vec<Val<'a>>> {
    Ok(match path(v, dotted)? {
        Some(l) => l.seq()?,
        None => Vec::new(),
    })
}

/// A port number (1–65535).
pub fn port(v: &Val<'_>) -> Result<u16> {
    Ok(u16::try_from(v.int_in(1, 65535)?).unwrap_or(u16::MAX))
}

/// A Kubernetes `IntOrString` port reference (`targetPort: 9080` or `targetPort: http`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

/// Read an `IntOrString` port.
pub fn port_ref(v: &Val<'_>) -> Result<PortRef> {
    match &v.node.value {
        Value::Int(_) => Ok(PortRef::Number(port(v)?)),
        Value::Str(s) => match s.parse::<u16>() {
            Ok(n) if n > 0 => Ok(PortRef::Number(n)),
            _ if !s.is_empty() => Ok(PortRef::Name(s.clone())),
            _ => Err(v.error("expected a port number or a port name, found \"\"")),
        },
        other => Err(v.error(format!(
            "expected a port number or a port name, found {}",
            other.describe()
        ))),
    }
}

/// A `LabelSelector`: `matchLabels` and `matchExpressions` (`In`, `NotIn`, `Exists`,
/// `DoesNotExist`), as `k8s.io/apimachinery/pkg/apis/meta/v1` `LabelSelectorAsSelector`
/// reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    pub values: Vec<String>,
}

/// A `matchExpressions` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    /// Whether `labels` satisfy every requirement (an empty selector matches everything).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.op {
                    SelectorOp::In => value.is_some_and(|v| r.values.contains(v)),
                    SelectorOp::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    SelectorOp::Exists => value.is_some(),
                    SelectorOp::DoesNotExist => value.is_none(),
                }
            })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }
}

/// Read a `LabelSelector` mapping.
pub fn label_selector(v: &Val<'_>) -> Result<LabelSelector> {
    let mut out = LabelSelector {
        match_labels: string_map(v, "matchLabels")?,
        expressions: Vec::new(),
    };
    for e in list(v, "matchExpressions")? {
        let key = field(&e, "key")?
            .ok_or_else(|| e.error("missing field `key`"))?
            .name()?
            .to_string();
        let op_val = field(&e, "operator")?.ok_or_else(|| e.error("missing field `operator`"))?;
        let op = match op_val.one_of(&["In", "NotIn", "Exists", "DoesNotExist"])? {
            "In" => SelectorOp::In,
            "NotIn" => SelectorOp::NotIn,
            "Exists" => SelectorOp::Exists,
            _ => SelectorOp::DoesNotExist,
        };
        let values = match field(&e, "values")? {
            Some(v) => v.strings()?,
            None => Vec::new(),
        };
        out.expressions.push(Requirement { key, op, values });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshtwin_config::decode::Ctx;
    use meshtwin_config::source::parse_documents;

    fn with_root<T>(text: &str, f: impl FnOnce(&Val<'_>) -> T) -> T {
        let docs = parse_documents("f.yaml", text).unwrap();
        let ctx = Ctx::new("f.yaml").with_object("Deployment x");
        f(&ctx.root(&docs[0].root))
    }

    #[test]
    fn fields_of_any_mapping_are_read_and_other_keys_are_allowed() {
        with_root(
            "spec:\n  replicas: 3\n  paused: false\nstatus: {x: 1}\n",
            |v| {
                let r = path(v, "spec.replicas").unwrap().unwrap();
                assert_eq!(r.int().unwrap(), 3);
                assert_eq!(r.path, "spec.replicas");
                assert!(path(v, "spec.template.metadata").unwrap().is_none());
            },
        );
    }

    #[test]
    fn a_field_of_the_wrong_type_is_a_located_error() {
        let e = with_root("spec:\n  replicas: three\n", |v| {
            path(v, "spec.replicas")
                .unwrap()
                .unwrap()
                .int()
                .unwrap_err()
        });
        assert_eq!(
            e.to_string(),
            "f.yaml:2: Deployment x: spec.replicas: expected an integer, found \"three\""
        );
        let e = with_root("spec: [1]\n", |v| path(v, "spec.replicas").unwrap_err());
        assert_eq!(e.line, 1);
        assert!(e.message.contains("expected a mapping"), "{e}");
    }

    #[test]
    fn target_ports_are_numbers_or_names() {
        with_root("a: 9080\nb: http\nc: '8080'\nd: 70000\n", |v| {
            let get = |k: &str| port_ref(&field(v, k).unwrap().unwrap());
            assert_eq!(get("a").unwrap(), PortRef::Number(9080));
            assert_eq!(get("b").unwrap(), PortRef::Name("http".into()));
            assert_eq!(get("c").unwrap(), PortRef::Number(8080));
            assert!(get("d").unwrap_err().message.contains("<= 65535"));
        });
    }

    #[test]
    fn label_selectors_match_labels_and_expressions() {
        let text = "matchLabels: {app: reviews}\nmatchExpressions:\n  - {key: version, operator: In, values: [v1, v2]}\n  - {key: canary, operator: DoesNotExist}\n";
        with_root(text, |v| {
            let s = label_selector(v).unwrap();
            let labels = |pairs: &[(&str, &str)]| {
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>()
            };
            assert!(s.matches(&labels(&[("app", "reviews"), ("version", "v2")])));
            assert!(!s.matches(&labels(&[("app", "reviews"), ("version", "v3")])));
            assert!(!s.matches(&labels(&[
                ("app", "reviews"),
                ("version", "v1"),
                ("canary", "yes")
            ])));
        });
    }
}
