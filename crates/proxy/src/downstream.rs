//! What the HTTP connection manager enforces on downstream clients: header and buffer
//! limits, Envoy's request checks, connection timeouts and the global connection limit.
//!
//! The twin's clients are the scenario's own load generators and app models, so inside the
//! simulation none of this is on ([`DownstreamLimits::default`]: outputs stay as they were).
//! `meshtwin proxy` faces real clients and turns on Envoy's defaults
//! ([`DownstreamLimits::envoy`]).

use std::cell::Cell;
use std::time::Duration;

/// Downstream limits of one proxy (see the module doc).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DownstreamLimits {
    /// The request header block's limit (Envoy's `max_request_headers_kb`, 60 KiB): larger
    /// ones are answered 431 by the codec.
    pub max_request_headers_bytes: Option<usize>,
    /// Envoy's request checks in the connection manager: HTTP/1.0 is answered 426 (Envoy's
    /// default `accept_http_10: false`), a request without Host / `:authority` 400.
    pub envoy_request_checks: bool,
    /// How much of a request body is held for retries and shadows before it is streamed
    /// (Envoy's `per_connection_buffer_limit_bytes`, 1 MiB); `None`: bodies are read whole.
    pub buffer_limit_bytes: Option<usize>,
    /// HTTP/1 listeners also take HTTP/2 with prior knowledge (Envoy's `codec_type: AUTO`,
    /// which Istio's sidecar listeners use).
    pub detect_http2: bool,
    /// Close a connection that has sent part of a request head for this long (Envoy's
    /// `request_headers_timeout`; Envoy's default: none).
    pub request_headers_timeout: Option<Duration>,
    /// Close a connection with no request for this long (Envoy's `common_http_protocol_options
    /// .idle_timeout`, 1 hour by default).
    pub idle_timeout: Option<Duration>,
    /// Reset a request that sees no bytes either way for this long (Envoy's
    /// `stream_idle_timeout`, 5 minutes by default).
    pub stream_idle_timeout: Option<Duration>,
    /// Accept and close at once any connection over this many open downstream connections
    /// (Envoy's `overload.global_downstream_max_connections`; the admin listener is exempt,
    /// `source/common/network/tcp_listener_impl.cc` `TcpListenerImpl::rejectCxOverGlobalLimit`).
    pub max_connections: Option<u64>,
}

impl DownstreamLimits {
    /// Envoy's defaults for a sidecar facing real clients (see each field), with
    /// `max_connections` left to the caller (it depends on the file descriptors available).
    pub fn envoy() -> Self {
        Self {
            max_request_headers_bytes: Some(60 * 1024),
            envoy_request_checks: true,
            buffer_limit_bytes: Some(1024 * 1024),
            detect_http2: true,
            request_headers_timeout: None,
            idle_timeout: Some(Duration::from_secs(3600)),
            stream_idle_timeout: Some(Duration::from_secs(300)),
            max_connections: None,
        }
    }

    /// Whether any connection timeout is set (then connections are watched).
    pub fn watches_connections(&self) -> bool {
        self.request_headers_timeout.is_some()
            || self.idle_timeout.is_some()
            || self.stream_idle_timeout.is_some()
    }
}

/// Counters of the real-client defences (a request the client abandons is the connection
/// manager's `http.<prefix>.downstream_rq_rx_reset`, charged by its `ActiveStream`), reported only when limits are on (Envoy's names:
/// `listener.<addr>.downstream_global_cx_overflow`, `downstream_rq_header_timeout`, `downstream_cx_idle_timeout`, `downstream_rq_idle_timeout`).
#[derive(Debug, Default)]
pub struct DownstreamStats {
    /// Connections open now (for the global limit).
    pub open_connections: Cell<u64>,
    pub global_cx_overflow: Cell<u64>,
    /// Accept calls that failed (file descriptors exhausted, …); each one backs off.
    pub accept_errors: Cell<u64>,
    pub rq_header_timeout: Cell<u64>,
    pub cx_idle_timeout: Cell<u64>,
    pub rq_idle_timeout: Cell<u64>,
}

impl DownstreamStats {
    /// Add one to `c`.
    pub fn inc(c: &Cell<u64>) {
        c.set(c.get() + 1);
    }

    /// Write the counters under `downstream.*` (the proxy-wide scope of these defences).
    pub fn write(&self, out: &mut crate::stats::StatsWriter) {
        for (name, c) in [
            ("downstream_global_cx_overflow", &self.global_cx_overflow),
            ("downstream_cx_accept_error", &self.accept_errors),
            ("downstream_rq_header_timeout", &self.rq_header_timeout),
            ("downstream_cx_idle_timeout", &self.cx_idle_timeout),
            ("downstream_rq_idle_timeout", &self.rq_idle_timeout),
        ] {
            out.counter(format!("listener_manager.{name}"), c.get());
        }
        out.gauge_value(
            "listener_manager.downstream_cx_open".to_string(),
            self.open_connections.get(),
        );
    }
}

/// How long to wait after the `n`th consecutive failed accept: 5 ms doubling to 1 s. Envoy
/// retries on the listener's next (level-triggered) socket event, which fires again at once
/// while the descriptor table is full; like Go's `net/http` `Server.Serve`, the real proxy
/// sleeps instead of spinning.
pub fn accept_backoff(n: u32) -> Duration {
    Duration::from_millis(5u64.saturating_mul(1 << n.min(8)).min(1000))
}
