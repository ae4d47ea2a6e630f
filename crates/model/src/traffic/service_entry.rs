//! Istio `ServiceEntry`, lowered: hosts outside (or added to) the mesh's registry, their ports
//! and endpoints with locality (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`; seed 002).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::topology::Locality;
use crate::SourceRef;

/// How the endpoints' addresses become hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resolution {
    /// Pass-through to the address the client asked for (not modelled: no endpoints).
    None,
    /// Endpoint addresses are IP addresses.
    Static,
    /// Envoy resolves each endpoint's name (`STRICT_DNS`): every address it resolves to is a
    /// host with that endpoint's locality and ports.
    Dns,
    /// Like DNS, but only the first address of each name is used (`LOGICAL_DNS`).
    DnsRoundRobin,
}

/// One port of the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPort {
    pub number: u16,
    pub name: String,
    /// Upper-case protocol (`HTTP`, `TCP`, ...).
    pub protocol: String,
    /// Port on the endpoints when they do not override it (`targetPort`, default `number`).
    pub target_port: Option<u16>,
}

/// One `endpoints[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryEndpoint {
    /// An IP address (STATIC) or a DNS name (DNS).
    pub address: String,
    /// Port overrides by port name (`ports: {http: 81}`).
    pub ports: BTreeMap<String, u16>,
    /// `region/zone/subzone` as written, parsed.
    pub locality: Option<Locality>,
    pub labels: BTreeMap<String, String>,
    pub weight: Option<u32>,
    /// 1-based line of the endpoint in the file.
    pub line: u32,
}

/// An Istio `ServiceEntry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceEntryPolicy {
    pub name: String,
    pub namespace: String,
    pub hosts: Vec<String>,
    pub ports: Vec<EntryPort>,
    pub resolution: Resolution,
    /// `MESH_EXTERNAL` (default) or `MESH_INTERNAL`.
    pub mesh_external: bool,
    pub endpoints: Vec<EntryEndpoint>,
    pub source: SourceRef,
}

impl EntryPort {
    /// The port on an endpoint: its override for this port's name, else `targetPort`, else
    /// the port number.
    pub fn endpoint_port(&self, ep: &EntryEndpoint) -> u16 {
        ep.ports
            .get(&self.name)
            .copied()
            .or(self.target_port)
            .unwrap_or(self.number)
    }
}
