//! The request a load's calls send, parsed once per load: each call only adds its
//! `x-request-id`. The headers go out as `Host`, `User-Agent`, `x-request-id`, then the
//! load's own headers by name.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, HOST, USER_AGENT};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::Empty;
use meshtwin_model::scenario::LoadSpec;

use crate::loadgen::LoadTarget;

/// The `User-Agent` the twin's fortio sends.
const FORTIO_USER_AGENT: &str = "fortio.org/fortio-meshtwin";

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A load's request without its id.
pub struct LoadRequest {
    method: Method,
    uri: Uri,
    host: HeaderValue,
    /// The load's headers besides `Host`, by name.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl LoadRequest {
    /// The request of `spec` to `target`. The load's `Host` header, if any, replaces the
    /// URL's authority. The scenario's decoder checked the method and every header
    /// (`meshtwin_config::scenario`), so none fails to parse here.
    pub fn new(spec: &LoadSpec, target: &LoadTarget) -> LoadRequest {
        let is_host = |h: &str| h.eq_ignore_ascii_case("host");
        let host = (spec.headers.iter())
            .find(|(h, _)| is_host(h))
            .map_or(target.authority.as_str(), |(_, v)| v.as_str());
        let value = |v: &str| HeaderValue::from_str(v).expect("a checked header value");
        LoadRequest {
            method: Method::from_bytes(spec.method.as_bytes()).expect("a checked method"),
            uri: target.path.parse().expect("a checked path"),
            host: value(host),
            headers: (spec.headers.iter())
                .filter(|(h, _)| !is_host(h))
                .map(|(h, v)| {
                    let name = HeaderName::from_bytes(h.as_bytes()).expect("a checked name");
                    (name, value(v))
                })
                .collect(),
        }
    }

    /// The request of the call `request_id`.
    pub fn with_id(&self, request_id: &str) -> Request<Empty<Bytes>> {
        let mut headers = HeaderMap::with_capacity(3 + self.headers.len());
        headers.append(HOST, self.host.clone());
        headers.append(USER_AGENT, HeaderValue::from_static(FORTIO_USER_AGENT));
        if let Ok(id) = HeaderValue::from_str(request_id) {
            headers.append(X_REQUEST_ID, id);
        }
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        let mut req = Request::new(Empty::new());
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = headers;
        req
    }
}
