//! Where each lowered setting came from: the file, line, field path and value as written, or
//! the mesh default that applies because nothing was written. Reports cite these when they
//! explain a failure ("pending queue full: `http1MaxPendingRequests: 1` at
//! `policies/istio/httpbin-circuit-breaking.yaml:52`").
//!
//! Provenance is not part of a setting's value: [`Origins`] compare equal whatever they hold,
//! so two lowered policies with the same values are equal wherever they were written — as
//! Envoy compares the cluster and route protos it receives, which carry no source. Origins are
//! not serialized either: the lowered model's JSON is the configuration, not its history.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub mod defaults;

/// A lowered setting that can decide whether a request fails, named after the Envoy field it
/// becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// `circuit_breakers.thresholds.max_connections`.
    MaxConnections,
    /// `circuit_breakers.thresholds.max_pending_requests`.
    MaxPendingRequests,
    /// `circuit_breakers.thresholds.max_requests`.
    MaxRequests,
    /// `circuit_breakers.thresholds.max_retries`.
    MaxRetries,
    /// `max_requests_per_connection`.
    MaxRequestsPerConnection,
    /// `connect_timeout`.
    ConnectTimeout,
    /// `outlier_detection.consecutive_5xx`.
    Consecutive5xx,
    /// `outlier_detection.consecutive_gateway_failure`.
    ConsecutiveGatewayFailure,
    /// `outlier_detection.consecutive_local_origin_failure`.
    ConsecutiveLocalOriginFailure,
    /// `outlier_detection.interval`.
    OutlierInterval,
    /// `outlier_detection.base_ejection_time`.
    BaseEjectionTime,
    /// `outlier_detection.max_ejection_percent`.
    MaxEjectionPercent,
    /// `common_lb_config.healthy_panic_threshold`.
    HealthyPanicThreshold,
    /// `health_checks[0].interval`.
    HealthCheckInterval,
    /// `health_checks[0].timeout`.
    HealthCheckTimeout,
    /// `health_checks[0].healthy_threshold`.
    HealthyThreshold,
    /// `health_checks[0].unhealthy_threshold`.
    UnhealthyThreshold,
    /// `health_checks[0].http_health_check.path`.
    HealthCheckPath,
    /// The route's `timeout`.
    RouteTimeout,
    /// `retry_policy.num_retries`.
    RetryAttempts,
    /// `retry_policy.retry_on` (and `retriable_status_codes`).
    RetryOn,
    /// `retry_policy.per_try_timeout`.
    PerTryTimeout,
    /// The fault filter's `delay.fixed_delay`.
    FaultDelay,
    /// The fault filter's `delay.percentage`.
    FaultDelayPercentage,
    /// The fault filter's `abort.http_status`.
    FaultAbortStatus,
    /// The fault filter's `abort.percentage`.
    FaultAbortPercentage,
}

/// Whose default a setting nobody wrote takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DefaultBy {
    /// istiod fills it in when it builds the cluster or route.
    Istio,
    /// The mesh leaves the field unset and Envoy's own default applies.
    Envoy,
    /// App Mesh's control plane fills it in.
    AppMesh,
}

impl fmt::Display for DefaultBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DefaultBy::Istio => "Istio",
            DefaultBy::Envoy => "Envoy",
            DefaultBy::AppMesh => "App Mesh",
        })
    }
}

/// Written in a file, or a default.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// The user wrote it.
    Written {
        /// The file as the user named it.
        file: String,
        /// 1-based line of the field.
        line: u32,
        /// Field path inside the document (`spec.trafficPolicy.connectionPool.tcp.maxConnections`).
        path: String,
    },
    /// Nobody wrote it; this default applies.
    Default { by: DefaultBy },
}

/// Where one lowered setting came from, and its value as written (or the default's value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    /// The field's user-facing name (`http1MaxPendingRequests`, `maxServerErrors`).
    pub field: String,
    /// The value as written (`1`, `3m`, `{unit: s, value: 10}`), or the default's value.
    pub value: String,
    pub provenance: Provenance,
    /// What a reader should also know (a legacy field that was written but is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Origin {
    /// A setting written at `file:line`, field `path` (its last segment names the field).
    pub fn written(file: &str, line: u32, path: &str, value: impl Into<String>) -> Self {
        let field = path.rsplit('.').next().unwrap_or(path);
        Self {
            field: field.to_string(),
            value: value.into(),
            provenance: Provenance::Written {
                file: file.to_string(),
                line,
                path: path.to_string(),
            },
            note: None,
        }
    }

    /// A default of `by` for `field`.
    pub fn default_of(by: DefaultBy, field: &str, value: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            value: value.into(),
            provenance: Provenance::Default { by },
            note: None,
        }
    }

    /// The same origin with a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// `file:line` of a written setting.
    pub fn location(&self) -> Option<String> {
        match &self.provenance {
            Provenance::Written { file, line, .. } => Some(format!("{file}:{line}")),
            Provenance::Default { .. } => None,
        }
    }
}

/// `file:line path: value`, or `<Mesh> default: field value`; a note follows in brackets.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.provenance {
            Provenance::Written { file, line, path } => {
                write!(f, "{file}:{line} {path}: {}", self.value)?
            }
            Provenance::Default { by } => write!(f, "{by} default: {} {}", self.field, self.value)?,
        }
        match &self.note {
            Some(n) => write!(f, " ({n})"),
            None => Ok(()),
        }
    }
}

/// The origins of an object's settings, by setting. Always equal to any other `Origins` (see
/// the module docs); never serialized.
#[derive(Debug, Clone, Default)]
pub struct Origins(BTreeMap<Setting, Origin>);

impl Origins {
    /// Record (or replace) where `setting` came from.
    pub fn set(&mut self, setting: Setting, origin: Origin) {
        self.0.insert(setting, origin);
    }

    /// Where `setting` came from, when recorded.
    pub fn get(&self, setting: Setting) -> Option<&Origin> {
        self.0.get(&setting)
    }

    /// Every recorded setting, in [`Setting`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Setting, &Origin)> {
        self.0.iter().map(|(s, o)| (*s, o))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These origins with `other`'s laid over them (`other` wins per setting).
    pub fn merged(mut self, other: &Origins) -> Origins {
        for (s, o) in other.iter() {
            self.set(s, o.clone());
        }
        self
    }

    /// Only the settings `keep` accepts.
    pub fn filtered(&self, keep: impl Fn(Setting) -> bool) -> Origins {
        Origins(
            self.0
                .iter()
                .filter(|(s, _)| keep(**s))
                .map(|(s, o)| (*s, o.clone()))
                .collect(),
        )
    }
}

impl PartialEq for Origins {
    /// Provenance never makes two lowered policies differ.
    fn eq(&self, _: &Origins) -> bool {
        true
    }
}

impl Eq for Origins {}

impl Setting {
    /// The connection-pool and circuit-breaker settings.
    pub fn is_pool(self) -> bool {
        matches!(
            self,
            Setting::MaxConnections
                | Setting::MaxPendingRequests
                | Setting::MaxRequests
                | Setting::MaxRetries
                | Setting::MaxRequestsPerConnection
                | Setting::ConnectTimeout
        )
    }

    /// The outlier-detection settings (the panic threshold included).
    pub fn is_outlier(self) -> bool {
        matches!(
            self,
            Setting::Consecutive5xx
                | Setting::ConsecutiveGatewayFailure
                | Setting::ConsecutiveLocalOriginFailure
                | Setting::OutlierInterval
                | Setting::BaseEjectionTime
                | Setting::MaxEjectionPercent
                | Setting::HealthyPanicThreshold
        )
    }

    /// The active health-check settings.
    pub fn is_health_check(self) -> bool {
        matches!(
            self,
            Setting::HealthCheckInterval
                | Setting::HealthCheckTimeout
                | Setting::HealthyThreshold
                | Setting::UnhealthyThreshold
                | Setting::HealthCheckPath
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_setting_shows_file_line_path_and_value() {
        let o = Origin::written(
            "policies/istio/httpbin-circuit-breaking.yaml",
            52,
            "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests",
            "1",
        );
        assert_eq!(o.field, "http1MaxPendingRequests");
        assert_eq!(
            o.to_string(),
            "policies/istio/httpbin-circuit-breaking.yaml:52 \
             spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1"
        );
        assert_eq!(
            o.location().as_deref(),
            Some("policies/istio/httpbin-circuit-breaking.yaml:52")
        );
    }

    #[test]
    fn a_default_names_whose_default_it_is_and_its_note() {
        let o = Origin::default_of(DefaultBy::Envoy, "consecutive5xxErrors", "5")
            .with_note("the legacy consecutiveErrors at f.yaml:27 is ignored");
        assert_eq!(
            o.to_string(),
            "Envoy default: consecutive5xxErrors 5 (the legacy consecutiveErrors at f.yaml:27 \
             is ignored)"
        );
        assert_eq!(o.location(), None);
    }

    #[test]
    fn origins_never_make_policies_differ_and_later_layers_win() {
        let mut a = Origins::default();
        a.set(
            Setting::MaxConnections,
            Origin::default_of(DefaultBy::Istio, "maxConnections", "4294967295"),
        );
        let mut b = Origins::default();
        b.set(
            Setting::MaxConnections,
            Origin::written("f.yaml", 3, "spec.x.maxConnections", "1"),
        );
        assert_eq!(a, b);
        let m = a.merged(&b);
        assert_eq!(m.get(Setting::MaxConnections).unwrap().value, "1");
        assert!(m.filtered(Setting::is_outlier).is_empty());
    }
}
