//! The `--calls FILE` of `meshtwin import kubernetes`: which services each workload's app
//! calls for every request it serves, which manifests cannot tell.
//!
//! ```yaml
//! calls:
//!   - from: productpage          # a workload: Deployment / StatefulSet / DaemonSet name,
//!                                #   or `namespace/name`
//!     to: reviews                # a Service: `name` (the caller's namespace) or `name.namespace`
//!     port: 9080                 # the Service port; optional when it has only one
//!     path: /reviews/0           # optional, default `/`
//!     timeout: 3s                # the app's own timeout per try; optional, default none
//!     retries: 1                 # further tries after a failed one; optional, default 0
//! ```
//!
//! Every call is checked against the imported workloads and Services; a mistake is a located
//! error (`calls.yaml:4: calls[1].to: no Service 'reviewz' in namespace bookinfo; Services
//! there: details, productpage, ratings, reviews`). The calls are written into the topology's
//! `app.calls` of the calling workload (each of its zones), so the starter scenario's apps make
//! them.

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_config::decode::{Ctx, Result, Val};
use meshtwin_config::source;
use meshtwin_config::ConfigError;

use crate::plan::Plan;
use crate::InputFile;

/// One call as the file writes it, with where.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEdge {
    /// The file it was read from, and where in it (`calls[1]`) for messages.
    pub file: String,
    pub field: String,
    pub line: u32,
    pub from: String,
    pub to: String,
    pub port: Option<u16>,
    pub path: String,
    pub timeout: Option<Duration>,
    pub retries: u32,
}

/// A call resolved against the import: the topology's `app.calls` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCall {
    /// As the caller addresses the Service: `name` or `name.namespace`.
    pub host: String,
    pub port: u16,
    pub path: String,
    pub timeout: Option<Duration>,
    pub retries: u32,
}

fn edge(file: &str, index: usize, v: &Val<'_>) -> Result<CallEdge> {
    let o = v.map(&["from", "to", "port", "path", "timeout", "retries"])?;
    let port = o.opt("port", |p| p.u32_in(1, 65535))?;
    let path = o.opt("path", |p| p.str().map(str::to_string))?;
    if let Some(p) = path.as_deref().filter(|p| !p.starts_with('/')) {
        let v = o.req("path")?;
        return Err(v.error(format!("expected a path starting with '/', found {p:?}")));
    }
    Ok(CallEdge {
        file: file.to_string(),
        field: format!("calls[{index}]"),
        line: v.line(),
        from: o.req_name("from")?.to_string(),
        to: o.req_name("to")?.to_string(),
        port: port.map(|p| u16::try_from(p).unwrap_or(u16::MAX)),
        path: path.unwrap_or_else(|| "/".to_string()),
        timeout: o.opt("timeout", |t| t.positive_duration())?,
        retries: o.opt("retries", |r| r.u32_in(0, 10))?.unwrap_or(0),
    })
}

/// Read a calls file: one YAML document with a `calls:` list.
pub fn parse_calls(f: &InputFile) -> Result<Vec<CallEdge>> {
    let docs = source::parse_documents(&f.name, &f.text)?;
    let [doc] = docs.as_slice() else {
        return Err(ConfigError::file(
            &f.name,
            1,
            format!(
                "expected one YAML document with a `calls:` list, found {}",
                docs.len()
            ),
        ));
    };
    let ctx = Ctx::new(&f.name);
    let root = ctx.root(&doc.root);
    let o = root.map(&["calls"])?;
    o.list("calls")?
        .iter()
        .enumerate()
        .map(|(i, v)| edge(&f.name, i, v))
        .collect()
}

fn located(e: &CallEdge, field: &str, message: String) -> ConfigError {
    Ctx::new(&e.file).error(e.line, &format!("{}.{field}", e.field), message)
}

/// Resolve `edges` against `plan`: the calls of each planned workload, by its index in
/// `plan.workloads`. A call given twice (the same Service port from the same workload) is
/// made once, as first given.
pub fn resolve(edges: &[CallEdge], plan: &Plan<'_>) -> Result<BTreeMap<usize, Vec<ResolvedCall>>> {
    let mut out: BTreeMap<usize, Vec<ResolvedCall>> = BTreeMap::new();
    for e in edges {
        let (ns, name) = match e.from.split_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, e.from.as_str()),
        };
        // A workload split over zones is several planned workloads from one object.
        let callers: Vec<usize> = (0..plan.workloads.len())
            .filter(|&i| {
                let w = &plan.workloads[i];
                let object = w.from.rsplit('/').next().unwrap_or("");
                (w.name == name || object == name) && ns.is_none_or(|ns| w.namespace == ns)
            })
            .collect();
        let Some(&first) = callers.first() else {
            let mut known: Vec<&str> = plan.workloads.iter().map(|w| w.name.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            let msg = format!(
                "no workload named '{}'; workloads: {}",
                e.from,
                known.join(", ")
            );
            return Err(located(e, "from", msg));
        };
        let caller = &plan.workloads[first];
        if caller.app.is_none() {
            let msg = format!("workload '{}' has no app to make calls", caller.name);
            return Err(located(e, "from", msg));
        }
        let call = resolve_target(e, &caller.namespace, plan)?;
        for i in callers {
            let calls = out.entry(i).or_default();
            if !calls
                .iter()
                .any(|c| c.host == call.host && c.port == call.port)
            {
                calls.push(call.clone());
            }
        }
    }
    Ok(out)
}

fn resolve_target(e: &CallEdge, from_ns: &str, plan: &Plan<'_>) -> Result<ResolvedCall> {
    let (name, ns) = e.to.split_once('.').unwrap_or((e.to.as_str(), from_ns));
    let Some(svc) = plan
        .services
        .iter()
        .find(|s| s.service.name == name && s.service.namespace == ns)
    else {
        let mut there: Vec<&str> = plan
            .services
            .iter()
            .filter(|s| s.service.namespace == ns)
            .map(|s| s.service.name.as_str())
            .collect();
        there.sort_unstable();
        let msg = format!(
            "no Service '{name}' in namespace {ns}; Services there: {}",
            if there.is_empty() {
                "none".to_string()
            } else {
                there.join(", ")
            }
        );
        return Err(located(e, "to", msg));
    };
    let ports: Vec<u16> = svc.ports.iter().map(|(p, _)| p.port).collect();
    let port = match (e.port, ports.as_slice()) {
        (Some(p), _) if ports.contains(&p) => p,
        (None, [only]) => *only,
        (given, _) => {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            let msg = match given {
                Some(p) => format!(
                    "Service {name} has no port {p}; its ports: {}",
                    list.join(", ")
                ),
                None => format!("Service {name} has ports {}: say which", list.join(", ")),
            };
            return Err(located(e, "port", msg));
        }
    };
    Ok(ResolvedCall {
        host: if ns == from_ns {
            name.to_string()
        } else {
            format!("{name}.{ns}")
        },
        port,
        path: e.path.clone(),
        timeout: e.timeout,
        retries: e.retries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> InputFile {
        InputFile {
            name: "calls.yaml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_calls_file_reads_with_defaults() {
        let edges = parse_calls(&file(
            "calls:\n  - {from: productpage, to: reviews, port: 9080, timeout: 3s, retries: 1}\n  - from: reviews\n    to: ratings\n",
        ))
        .unwrap();
        assert_eq!(edges.len(), 2);
        assert_eq!(edges[0].timeout, Some(Duration::from_secs(3)));
        assert_eq!((edges[0].retries, edges[0].path.as_str()), (1, "/"));
        assert_eq!((edges[1].port, edges[1].line), (None, 3));
    }

    #[test]
    fn an_unknown_field_or_a_relative_path_is_a_located_error() {
        let e = parse_calls(&file("calls:\n  - {from: a, to: b, timout: 3s}\n")).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("calls.yaml:2:"), "{text}");
        assert!(
            text.contains("timout") && text.contains("unknown field"),
            "{text}"
        );
        let e = parse_calls(&file("calls:\n  - {from: a, to: b, path: x}\n")).unwrap_err();
        assert!(e.to_string().contains("starting with '/'"), "{e}");
    }
}
