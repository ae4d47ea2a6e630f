//! The closed sets of values trace events carry: outlier and health-check actions, outlier
//! reasons, app-call results, load phases and timeline actions. Each is written in
//! `trace.jsonl` as the same snake_case word it always was.

use serde::{Deserialize, Serialize};

/// Declares a field enum with its trace word per variant: serde, `as_str` and `Display` all
/// write that word.
macro_rules! trace_words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            /// The word `trace.jsonl` writes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            /// The value `trace.jsonl` writes as `s`.
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!("'{s}' is not {}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

trace_words! {
    /// What the outlier detector did to a host (Envoy's outlier event log actions).
    OutlierAction {
        /// The host was ejected (`FAILED_OUTLIER_CHECK` set).
        Ejected = "ejected",
        /// The host came back.
        Unejected = "unejected",
        /// An ejection was detected but not enforced (`enforcing_*` below 100).
        NotEnforced = "not_enforced",
        /// An ejection was detected but `max_ejection_percent` was reached.
        Overflow = "overflow",
    }
}

trace_words! {
    /// Why the outlier detector acted: Envoy's ejection type (the suffix of its
    /// `ejections_detected_*` stats) or what brought a host back.
    OutlierReason {
        Consecutive5xx = "consecutive_5xx",
        ConsecutiveGatewayFailure = "consecutive_gateway_failure",
        ConsecutiveLocalOriginFailure = "consecutive_local_origin_failure",
        SuccessRate = "success_rate",
        SuccessRateLocalOrigin = "local_origin_success_rate",
        FailurePercentage = "failure_percentage",
        FailurePercentageLocalOrigin = "local_origin_failure_percentage",
        /// A sweep found the ejection time over.
        Timer = "Timer",
        /// A successful active health check brought the host back.
        ActiveHealthCheck = "ActiveHealthCheck",
        /// A push replaced the host's cluster: the replaced cluster's ejections end with it.
        ClusterReplaced = "ClusterReplaced",
        /// A push removed the host's cluster.
        ClusterRemoved = "ClusterRemoved",
    }
}

trace_words! {
    /// An active health check's verdict on a host.
    HealthAction {
        Healthy = "healthy",
        Unhealthy = "unhealthy",
    }
}

trace_words! {
    /// How one attempt of an app's call ended.
    AppCallResult {
        /// A 2xx response.
        Ok = "ok",
        /// Any other status.
        ErrorStatus = "error_status",
        /// The app's own timeout expired first.
        Timeout = "timeout",
        /// The connection failed or was reset.
        ConnectionError = "connection_error",
    }
}

trace_words! {
    /// A load generator starting or stopping.
    LoadPhase {
        Start = "start",
        Stop = "stop",
    }
}

trace_words! {
    /// The action of a timeline entry, as its `fault` event names it.
    FaultAction {
        Apply = "apply",
        Delete = "delete",
        App = "app",
        Scale = "scale",
        Crash = "crash",
        Restart = "restart",
        Partition = "partition",
        Link = "link",
        Heal = "heal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_writes_reads_and_prints_its_trace_word() {
        let words = [
            (
                serde_json::to_string(&OutlierAction::NotEnforced),
                "not_enforced",
            ),
            (
                serde_json::to_string(&OutlierReason::SuccessRateLocalOrigin),
                "local_origin_success_rate",
            ),
            (serde_json::to_string(&OutlierReason::Timer), "Timer"),
            (
                serde_json::to_string(&AppCallResult::ConnectionError),
                "connection_error",
            ),
            (serde_json::to_string(&FaultAction::Partition), "partition"),
        ];
        for (json, word) in words {
            assert_eq!(json.unwrap(), format!("\"{word}\""));
        }
        assert_eq!("unhealthy".parse(), Ok(HealthAction::Unhealthy));
        assert_eq!(OutlierReason::Consecutive5xx.to_string(), "consecutive_5xx");
        assert!("TimeElapsed".parse::<OutlierReason>().is_err());
        assert!(serde_json::from_str::<LoadPhase>("\"paused\"").is_err());
    }
}
