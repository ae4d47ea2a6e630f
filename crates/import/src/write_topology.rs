//! The plan → topology YAML text (the format of `meshtwin_topology`), with a comment on
//! every workload and Service saying where it came from, and `# EDIT` on every value the
//! manifests could not tell.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::injection::SidecarChoice;
use crate::plan::{Plan, PlannedWorkload};
use crate::yaml::{flow_list, flow_map, scalar};

/// App behaviour the manifests cannot tell: what every imported app gets.
pub const DEFAULT_LATENCY: &str = "{uniform: [1ms, 5ms]}";
pub const DEFAULT_RESPONSE_BYTES: u32 = 256;

/// Most input pod names listed in a workload's comment.
const MAX_PODS_LISTED: usize = 3;

/// The topology file's text; `sources` describes the input (for the header).
pub fn topology_text(name: &str, sources: &str, plan: &Plan<'_>, clusters: &[String]) -> String {
    let mut out = String::new();
    let calls_given = plan.workloads.iter().any(|w| !w.calls.is_empty());
    header(&mut out, sources, calls_given);
    let _ = writeln!(out, "name: {}", scalar(name));
    out.push_str(
        "# EDIT: one-way latency between pods in the same zone, across zones, across regions \
         (defaults).\nlatency: {sameZone: 100us, crossZone: 500us, crossRegion: 30ms}\nregions:\n",
    );
    let mut tree: BTreeMap<&str, BTreeMap<&str, BTreeMap<usize, Vec<&PlannedWorkload>>>> =
        BTreeMap::new();
    for w in &plan.workloads {
        let cluster = clusters.iter().position(|c| *c == w.cluster).unwrap_or(0);
        tree.entry(&w.zone.0)
            .or_default()
            .entry(&w.zone.1)
            .or_default()
            .entry(cluster)
            .or_default()
            .push(w);
    }
    for (region, zones) in tree {
        let _ = writeln!(out, "  - name: {}\n    zones:", scalar(region));
        for (zone, cs) in zones {
            let _ = writeln!(out, "      - name: {}\n        clusters:", scalar(zone));
            for (c, mut ws) in cs {
                let _ = writeln!(
                    out,
                    "          - name: {}\n            workloads:",
                    scalar(&clusters[c])
                );
                ws.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
                for w in ws {
                    workload(&mut out, w);
                }
            }
        }
    }
    services(&mut out, plan);
    out
}

fn header(out: &mut String, sources: &str, calls_given: bool) {
    let calls = if calls_given {
        "the calls file"
    } else {
        "none are written"
    };
    let _ = write!(
        out,
        "# Imported by `meshtwin import kubernetes` from {sources}.\n\
         # Regions and zones are the nodes' topology.kubernetes.io/region and /zone labels\n\
         # (region-1 / zone-1 where the input does not say); each workload runs where its pods\n\
         # run, or where the scheduler would put its replicas. Lines marked EDIT hold what\n\
         # manifests cannot tell — service times, error rates, response sizes, and the calls\n\
         # each app makes to other services ({calls}): defaults to replace with your\n\
         # apps' behaviour. The format: docs/reference/topology.md.\n"
    );
}

fn workload(out: &mut String, w: &PlannedWorkload) {
    let pad = " ".repeat(14);
    let origin = w
        .origin
        .as_ref()
        .map(|o| format!(" ({o})"))
        .unwrap_or_default();
    let _ = writeln!(out, "{pad}# {}{origin}: {}", w.from, w.how);
    if !w.pods.is_empty() {
        let mut listed: Vec<&str> = w.pods.iter().map(String::as_str).collect();
        listed.sort_unstable();
        let more = listed.len().saturating_sub(MAX_PODS_LISTED);
        listed.truncate(MAX_PODS_LISTED);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(out, "{pad}# pods: {}{tail}", listed.join(", "));
    }
    let _ = writeln!(out, "{pad}- name: {}", scalar(&w.name));
    let pad = " ".repeat(16);
    let _ = writeln!(out, "{pad}namespace: {}", scalar(&w.namespace));
    let _ = writeln!(out, "{pad}replicas: {}", w.replicas);
    if !w.labels.is_empty() {
        let _ = writeln!(out, "{pad}labels: {}", flow_map(&w.labels));
    }
    let _ = writeln!(out, "{pad}# {}", w.sidecar.why);
    let _ = writeln!(out, "{pad}sidecar: {}", sidecar(&w.sidecar.sidecar));
    if !w.dns.is_empty() {
        let _ = writeln!(
            out,
            "{pad}# a name the starter scenario's load enters by (the VirtualService's host)"
        );
        let _ = writeln!(out, "{pad}dns: {}", flow_list(&w.dns));
    }
    match &w.app {
        Some((port, why)) => {
            let _ = write!(
                out,
                "{pad}app:\n\
                 {pad}  port: {port}   # {why}\n\
                 {pad}  latency: {DEFAULT_LATENCY}   # EDIT: service time per request (a default)\n\
                 {pad}  errorRate: 0   # EDIT: share of requests answered with errorStatus\n\
                 {pad}  errorStatus: 500\n\
                 {pad}  responseBytes: {DEFAULT_RESPONSE_BYTES}   # EDIT: response body size\n"
            );
            write_calls(out, &pad, &w.calls);
        }
        None if matches!(
            w.sidecar.sidecar,
            SidecarChoice::IstioGateway | SidecarChoice::AppMeshGateway { .. }
        ) => {}
        None if w.origin.is_none() => {
            let _ = writeln!(out, "{pad}# no app: it only sends the scenario's load");
        }
        None => {
            let _ = writeln!(
                out,
                "{pad}# no app: nothing selects it and its containers declare no port (a client?)"
            );
        }
    }
}

/// The app's `calls:` from the calls file, or a commented example to edit.
fn write_calls(out: &mut String, pad: &str, calls: &[crate::calls::ResolvedCall]) {
    if calls.is_empty() {
        let _ = write!(
            out,
            "{pad}  # EDIT: the services this app calls for every request it serves, e.g.\n\
             {pad}  # calls:\n\
             {pad}  #   - {{host: <service>, port: <port>, path: /, timeout: 3s}}\n"
        );
        return;
    }
    let _ = writeln!(
        out,
        "{pad}  # the services it calls for each request (the calls file)"
    );
    let _ = writeln!(out, "{pad}  calls:");
    for c in calls {
        let timeout = c
            .timeout
            .map(|t| format!(", timeout: {}", duration(t)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{pad}    - {{host: {}, port: {}, path: {}{timeout}, retries: {}}}",
            scalar(&c.host),
            c.port,
            scalar(&c.path),
            c.retries
        );
    }
}

/// A duration as the topology reads it: whole seconds, milliseconds or microseconds.
fn duration(d: std::time::Duration) -> String {
    let us = d.as_micros();
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else if us.is_multiple_of(1_000) {
        format!("{}ms", us / 1_000)
    } else {
        format!("{us}us")
    }
}

fn sidecar(s: &SidecarChoice) -> String {
    match s {
        SidecarChoice::None => "none".into(),
        SidecarChoice::Istio => "istio".into(),
        SidecarChoice::IstioGateway => "istioGateway".into(),
        SidecarChoice::AppMesh { mesh, virtual_node } => format!(
            "{{appMesh: {{mesh: {}, virtualNode: {}}}}}",
            scalar(mesh),
            scalar(virtual_node)
        ),
        SidecarChoice::AppMeshGateway {
            mesh,
            virtual_gateway,
        } => format!(
            "{{appMeshGateway: {{mesh: {}, virtualGateway: {}}}}}",
            scalar(mesh),
            scalar(virtual_gateway)
        ),
    }
}

fn services(out: &mut String, plan: &Plan<'_>) {
    if plan.services.is_empty() {
        out.push_str("services: []\n");
        return;
    }
    out.push_str("services:\n");
    for p in &plan.services {
        let s = p.service;
        let kind = if s.headless {
            format!("{} (headless)", s.service_type)
        } else {
            s.service_type.clone()
        };
        let _ = writeln!(
            out,
            "  # Service {}/{} ({}), {kind}",
            s.namespace, s.name, s.origin
        );
        let _ = writeln!(out, "  - name: {}", scalar(&s.name));
        let _ = writeln!(out, "    namespace: {}", scalar(&s.namespace));
        let _ = writeln!(out, "    selector: {}", flow_map(&s.selector));
        out.push_str("    ports:\n");
        for (port, target) in &p.ports {
            let mut fields = Vec::new();
            if !port.name.is_empty() {
                fields.push(format!("name: {}", scalar(&port.name)));
            }
            fields.push(format!("port: {}", port.port));
            fields.push(format!("targetPort: {target}"));
            if port.app_protocol.is_some() {
                fields.push(format!("protocol: {}", protocol_word(port.protocol())));
            }
            let _ = writeln!(out, "      - {{{}}}", fields.join(", "));
        }
    }
}

fn protocol_word(p: meshtwin_model::topology::Protocol) -> &'static str {
    use meshtwin_model::topology::Protocol;
    match p {
        Protocol::Http => "http",
        Protocol::Http2 => "http2",
        Protocol::Grpc => "grpc",
        Protocol::Tcp => "tcp",
    }
}
