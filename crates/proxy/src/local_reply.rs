//! Envoy's local replies and response flags (`source/common/router/router.cc` `Filter::onUpstreamReset`, `source/common/stream_info/utility.cc` `ResponseFlagUtils`, `source/common/router/router.cc` local replies).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::router::retry::UpstreamReset;

pub use meshtwin_model::event::{ResponseFlag, ResponseFlags};

/// The response flag of an upstream reset.
pub trait ResetFlag {
    /// The flag for an attempt that ended without response headers.
    fn for_reset(r: UpstreamReset) -> Self;
}

impl ResetFlag for ResponseFlag {
    fn for_reset(r: UpstreamReset) -> Self {
        match r {
            UpstreamReset::Overflow => ResponseFlag::UO,
            UpstreamReset::LocalConnectionFailure
            | UpstreamReset::RemoteConnectionFailure
            | UpstreamReset::ConnectionTimeout => ResponseFlag::UF,
            UpstreamReset::ConnectionTermination => ResponseFlag::UC,
            UpstreamReset::LocalReset | UpstreamReset::LocalRefusedStreamReset => ResponseFlag::LR,
            UpstreamReset::RemoteReset
            | UpstreamReset::RemoteRefusedStreamReset
            | UpstreamReset::ProtocolError => ResponseFlag::UR,
        }
    }
}

/// A local reply as Envoy's router sends it: `content-type: text/plain`, `server`, the body.
pub fn local_reply(status: u16, body: &str, server: &str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    *resp.status_mut() = StatusCode::from_u16(status).expect("local replies use valid codes");
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain"),
    );
    if let Ok(v) = HeaderValue::from_str(server) {
        h.insert(http::header::SERVER, v);
    }
    resp
}

/// The local reply for a reset before response headers: 503 (502 for a protocol error),
/// `upstream connect error or disconnect/reset before headers. [retried and the latest ]reset
/// reason: <reason>`; an overflow adds `x-envoy-overloaded: true`.
pub fn reset_before_headers(
    reason: UpstreamReset,
    retried: bool,
    server: &str,
) -> Response<Full<Bytes>> {
    let body = format!(
        "upstream connect error or disconnect/reset before headers. {}reset reason: {}",
        if retried {
            "retried and the latest "
        } else {
            ""
        },
        reason.as_str()
    );
    let status = if reason == UpstreamReset::ProtocolError {
        502
    } else {
        503
    };
    let mut resp = local_reply(status, &body, server);
    if reason == UpstreamReset::Overflow {
        resp.headers_mut()
            .insert("x-envoy-overloaded", HeaderValue::from_static("true"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_in_envoy_order() {
        let mut f = ResponseFlags::default();
        assert_eq!(f.to_string(), "-");
        f.set(ResponseFlag::URX);
        f.set(ResponseFlag::UF);
        f.set(ResponseFlag::UF);
        assert_eq!(f.to_string(), "UF,URX");
    }

    #[test]
    fn overflow_reply_is_marked_overloaded() {
        let r = reset_before_headers(UpstreamReset::Overflow, false, "envoy");
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["x-envoy-overloaded"], "true");
        let r = reset_before_headers(UpstreamReset::RemoteConnectionFailure, true, "envoy");
        assert!(r.headers().get("x-envoy-overloaded").is_none());
    }
}
