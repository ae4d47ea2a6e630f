//! What differs between two variants' proxy configurations, as a reviewer reads it:
//! `fortio-0: clusters[outbound|8000||httpbin.default.svc.cluster.local].circuit_breakers
//! .max_pending_requests: 1 → 100`. Each configuration comes as its pretty `Debug` text
//! (`{:#?}`), flattened to one `path: value` per leaf — list elements are named by their
//! `name` (or `node`) field when they have one — and the two flattenings are compared.
//! Proxies with the same differences are listed together.

use std::collections::BTreeMap;

/// One configuration value that differs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// Field path inside the proxy's configuration.
    pub path: String,
    /// `None` when the baseline has no such field (added).
    pub baseline: Option<String>,
    /// `None` when the candidate has no such field (removed).
    pub candidate: Option<String>,
}

/// A set of changes and the proxies that have exactly that set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProxyChanges {
    pub proxies: Vec<String>,
    pub changes: Vec<Change>,
}

/// Changes per proxy between `baseline` and `candidate` (pod → pretty Debug text of its
/// configuration), grouped by identical change sets, in the order of their first proxy. A
/// proxy only one side has is reported as added or removed whole.
pub fn diff_configs(
    baseline: &BTreeMap<String, String>,
    candidate: &BTreeMap<String, String>,
) -> Vec<ProxyChanges> {
    let mut groups: Vec<ProxyChanges> = Vec::new();
    let pods: std::collections::BTreeSet<&String> =
        baseline.keys().chain(candidate.keys()).collect();
    for pod in pods {
        let changes = match (baseline.get(pod), candidate.get(pod)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => diff_flat(&flatten(a), &flatten(b)),
            (Some(_), None) => vec![whole("(proxy)", Some("present"), None)],
            (None, Some(_)) => vec![whole("(proxy)", None, Some("present"))],
            (None, None) => continue,
        };
        if changes.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|g| g.changes == changes) {
            Some(g) => g.proxies.push(pod.clone()),
            None => groups.push(ProxyChanges {
                proxies: vec![pod.clone()],
                changes,
            }),
        }
    }
    groups
}

fn whole(path: &str, a: Option<&str>, b: Option<&str>) -> Change {
    Change {
        path: path.to_string(),
        baseline: a.map(str::to_string),
        candidate: b.map(str::to_string),
    }
}

fn diff_flat(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<Change> {
    let mut out = Vec::new();
    for (path, va) in a {
        match b.get(path) {
            Some(vb) if vb == va => {}
            vb => out.push(Change {
                path: path.clone(),
                baseline: Some(va.clone()),
                candidate: vb.cloned(),
            }),
        }
    }
    for (path, vb) in b {
        if !a.contains_key(path) {
            out.push(Change {
                path: path.clone(),
                baseline: None,
                candidate: Some(vb.clone()),
            });
        }
    }
    out.sort();
    out
}

/// One pretty-Debug line: its indent and text without the trailing comma.
fn parts(line: &str) -> (usize, &str) {
    let indent = line.len() - line.trim_start().len();
    (indent, line.trim().trim_end_matches(','))
}

/// The name a list element opening at `lines[i]` goes by: its own `name:` / `node:` field.
fn element_name(lines: &[&str], i: usize) -> Option<String> {
    let (indent, _) = parts(lines[i]);
    for l in &lines[i + 1..] {
        let (ind, text) = parts(l);
        if ind <= indent {
            break;
        }
        if ind == indent + 4 {
            for key in ["name: ", "node: "] {
                if let Some(v) = text.strip_prefix(key) {
                    if !v.ends_with('{') && !v.ends_with('[') && !v.ends_with('(') {
                        return Some(v.trim_matches('"').to_string());
                    }
                }
            }
        }
    }
    None
}

/// An open container of the Debug text.
struct Open {
    segment: String,
    /// A list or tuple: its elements are named by index (or their `name` field).
    is_list: bool,
    next: usize,
    /// The values of its elements while they are all plain values (a list of scalars reads
    /// as one value, `[503, 504]`); `None` once one is a container.
    scalars: Option<Vec<String>>,
}

/// Flattens pretty `Debug` text into `path → value` for every leaf.
pub fn flatten(debug: &str) -> BTreeMap<String, String> {
    let lines: Vec<&str> = debug.lines().collect();
    let mut out = BTreeMap::new();
    let mut stack: Vec<Open> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let (_, text) = parts(line);
        if text.is_empty() {
            continue;
        }
        if text.starts_with('}') || text.starts_with(']') || text.starts_with(')') {
            let closed = stack.pop().expect("a container is open");
            if let (true, Some(values)) = (closed.is_list, closed.scalars) {
                let prefix = path_of(&stack, &closed.segment);
                out.retain(|k: &String, _| {
                    !(k.starts_with(&prefix) && k[prefix.len()..].starts_with('['))
                });
                out.insert(prefix, format!("[{}]", values.join(", ")));
            }
            if let Some(parent) = stack.last_mut() {
                parent.scalars = None;
            }
            continue;
        }
        let opens = text.ends_with('{') || text.ends_with('[') || text.ends_with('(');
        let in_list = stack.last().is_some_and(|o| o.is_list);
        let (segment, value) = if in_list {
            let parent = stack.last_mut().expect("in a list");
            parent.next += 1;
            let name = if opens { element_name(&lines, i) } else { None };
            let seg = format!(
                "[{}]",
                name.unwrap_or_else(|| (parent.next - 1).to_string())
            );
            (seg, text)
        } else {
            match text.split_once(": ") {
                Some((key, v)) => (key.trim_matches('"').to_string(), v),
                None => (String::new(), text),
            }
        };
        if opens {
            stack.push(Open {
                segment,
                is_list: text.ends_with('[') || text.ends_with('('),
                next: 0,
                scalars: Some(Vec::new()),
            });
        } else {
            if let Some(values) = stack.last_mut().and_then(|o| o.scalars.as_mut()) {
                values.push(value.to_string());
            }
            out.insert(path_of(&stack, &segment), value.to_string());
        }
    }
    out
}

/// The dotted path of `leaf` under the open containers (the root container has no name).
fn path_of(stack: &[Open], leaf: &str) -> String {
    let mut p = String::new();
    for seg in stack
        .iter()
        .skip(1)
        .map(|o| o.segment.as_str())
        .chain([leaf])
    {
        if seg.is_empty() {
            continue;
        }
        if !seg.starts_with('[') && !p.is_empty() {
            p.push('.');
        }
        p.push_str(seg);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Limits {
        max_pending_requests: u32,
        max_retries: u32,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Cluster {
        name: String,
        limits: Limits,
        timeout: Option<u32>,
        hosts: Vec<&'static str>,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Config {
        node: String,
        clusters: Vec<Cluster>,
    }

    fn config(pending: u32, hosts: Vec<&'static str>) -> String {
        let c = Config {
            node: "fortio-0".into(),
            clusters: vec![
                Cluster {
                    name: "outbound|8000||httpbin".into(),
                    limits: Limits {
                        max_pending_requests: pending,
                        max_retries: 3,
                    },
                    timeout: Some(5),
                    hosts,
                },
                Cluster {
                    name: "BlackHoleCluster".into(),
                    limits: Limits {
                        max_pending_requests: 7,
                        max_retries: 3,
                    },
                    timeout: None,
                    hosts: vec![],
                },
            ],
        };
        format!("{c:#?}")
    }

    #[test]
    fn leaves_are_named_by_field_path_and_list_elements_by_their_name() {
        let flat = flatten(&config(1, vec!["a"]));
        assert_eq!(flat["node"], "\"fortio-0\"");
        assert_eq!(
            flat["clusters[outbound|8000||httpbin].limits.max_pending_requests"],
            "1"
        );
        assert_eq!(flat["clusters[BlackHoleCluster].timeout"], "None");
        // Lists (and tuples) of plain values read as one value.
        assert_eq!(flat["clusters[outbound|8000||httpbin].timeout"], "[5]");
        assert_eq!(flat["clusters[outbound|8000||httpbin].hosts"], "[\"a\"]");
        assert_eq!(flat["clusters[BlackHoleCluster].hosts"], "[]");
    }

    #[test]
    fn a_changed_limit_is_one_change_and_proxies_with_the_same_change_are_grouped() {
        let base: BTreeMap<String, String> = [("a-0", 1), ("b-0", 1), ("c-0", 1)]
            .into_iter()
            .map(|(p, n)| (p.to_string(), config(n, vec!["a"])))
            .collect();
        let mut cand = base.clone();
        cand.insert("a-0".into(), config(100, vec!["a"]));
        cand.insert("b-0".into(), config(100, vec!["a"]));
        let groups = diff_configs(&base, &cand);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].proxies, ["a-0", "b-0"]);
        assert_eq!(
            groups[0].changes,
            [Change {
                path: "clusters[outbound|8000||httpbin].limits.max_pending_requests".into(),
                baseline: Some("1".into()),
                candidate: Some("100".into()),
            }]
        );
        assert!(diff_configs(&base, &base).is_empty());
    }

    #[test]
    fn a_list_of_values_changes_as_one_value() {
        let base = BTreeMap::from([("p".to_string(), config(1, vec!["a"]))]);
        let cand = BTreeMap::from([("p".to_string(), config(1, vec!["a", "b"]))]);
        let groups = diff_configs(&base, &cand);
        assert_eq!(
            groups[0].changes,
            [Change {
                path: "clusters[outbound|8000||httpbin].hosts".into(),
                baseline: Some("[\"a\"]".into()),
                candidate: Some("[\"a\", \"b\"]".into()),
            }]
        );
    }
}
