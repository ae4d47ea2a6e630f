//! Istio `Gateway` servers and `VirtualService` TCP rules (istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`), lowered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RouteDestination;
use crate::SourceRef;

/// An Istio `Gateway`: the ports a selected ingress/egress gateway listens on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayPolicy {
    pub name: String,
    pub namespace: String,
    /// Labels of the gateway pods it configures (`istio: ingressgateway`).
    pub selector: BTreeMap<String, String>,
    pub servers: Vec<GatewayServer>,
    pub source: SourceRef,
}

/// One `servers[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayServer {
    pub port: GatewayPort,
    /// Hosts exposed on the port (`*`, `ns/host`, `*.example.com`).
    pub hosts: Vec<String>,
    /// Whether a `tls` block was written (TLS settings are not modelled).
    pub tls: bool,
}

/// A server's port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayPort {
    pub number: u16,
    pub name: String,
    /// Upper-case (`HTTP`, `HTTPS`, `HTTP2`, `GRPC`, `TCP`, `TLS`, ...).
    pub protocol: String,
}

/// One `tcp[]` rule: its match blocks (ORed) and weighted destinations; the destination is
/// picked once per downstream connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpRoute {
    /// Empty = every connection.
    pub matches: Vec<L4Match>,
    pub route: Vec<RouteDestination>,
}

/// An L4 match block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4Match {
    pub port: Option<u16>,
    pub destination_subnets: Vec<String>,
    pub source_labels: BTreeMap<String, String>,
    pub source_namespace: Option<String>,
    pub gateways: Vec<String>,
}
