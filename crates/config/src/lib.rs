//! meshtwin's config layer: the files people already write — Istio and App Mesh resources,
//! as YAML or JSON — and meshtwin's scenario files, lowered into [`meshtwin_model`] the way
//! the control planes lower them into Envoy config. This is the only crate that knows Istio
//! or App Mesh vocabulary.
//!
//! Every mistake in a file is a [`ConfigError`] naming the file, line, object and field path:
//! `policies/x.yaml:14: DestinationRule httpbin: spec.trafficPolicy.connectionPool.tcp.maxConnections: must be > 0`.
//! Bad input never panics. What is understood but not modelled is a [`ConfigWarning`],
//! located the same way; loaders return their value with its warnings as a [`Loaded`].
//!
//! Modules:
//! - [`source`] — files → located documents (the only place a YAML parser is used).
//! - [`decode`] — typed, located reading of documents (unknown fields and wrong types are errors).
//! - [`duration`] — `1s`, `3m`, `100ms`, `1.5s` durations.
//! - [`k8s`] — the Kubernetes object envelope (`apiVersion`, `kind`, `metadata`).
//! - [`kinds`] — every kind meshtwin knows: read, or known and not modelled (a warning).
//! - [`names`] — resource names checked as Kubernetes checks them (DNS-1123).
//! - [`http_syntax`] — header names and values, request paths, as HTTP/1 can send them.
//! - [`suggest`] — "did you mean …?" for misspelt kinds, API versions, fields and names.
//! - [`istio`] — `DestinationRule` → [`meshtwin_model::policy::DestinationPolicy`].
//! - [`appmesh`] — `VirtualNode` / `VirtualGateway` → [`meshtwin_model::policy::AppMeshListener`].
//! - [`tsb`] — Tetrate Service Bridge `Gateway` → [`meshtwin_model::traffic::tsb`].
//! - [`policies`] — [`load_policies`], dispatching documents on `kind`.
//! - [`validate`] — [`validate_against`], policies checked against a topology.
//! - [`mesh`] — `mesh:` blocks: the Istio / App Mesh Envoy release modelled.
//! - [`envoy`] — `envoy:` blocks: Envoy switches set explicitly.
//! - [`envoy_names`] — Envoy's cluster stat names, for checking expectations' stats.
//! - [`scenario`] — [`load_scenario`].
//! - [`run_check`] — [`RunInputs`]: scenario, topology and policies checked against each other;
//!   [`timeline_check`] its timeline part, [`target_check`] where each load goes and
//!   [`expect_check`] what each expectation names.
//! - [`variant`] — a what-if [`meshtwin_model::variant::Variant`] applied to [`RunInputs`].
//! - [`error`] — [`ConfigError`].
//! - [`warning`] — [`ConfigWarning`], [`Loaded`] and the [`warning::Warnings`] decoders fill.
#![forbid(unsafe_code)]

pub mod appmesh;
pub mod decode;
pub mod duration;
pub mod envoy;
pub mod envoy_names;
pub mod error;
pub mod expect_check;
pub mod http_syntax;
pub mod istio;
pub mod k8s;
pub mod kinds;
pub mod mesh;
pub mod names;
pub mod policies;
pub mod run_check;
pub mod scenario;
pub mod source;
pub mod suggest;
pub mod target_check;
pub mod timeline_check;
pub mod tsb;
pub mod validate;
pub mod variant;
pub mod warning;

pub use error::ConfigError;
pub use policies::{load_policies, parse_policies};
pub use run_check::RunInputs;
pub use scenario::{load_scenario, parse_scenario};
pub use validate::validate_against;
pub use warning::{ConfigWarning, Loaded};
