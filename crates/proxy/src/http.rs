//! The HTTP connection manager (downstream side): stats, `x-request-id`, the request body,
//! Envoy's own processing time, then the router filter; the request's access-log entry is
//! written by its [`ActiveStream`].

use std::convert::Infallible;
use std::rc::Rc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::active_stream::ActiveStream;
use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::router_filter::route_request;

/// Serve one downstream request on `worker` of listener `index`.
pub(crate) async fn handle_request<P: Platform>(
    proxy: Rc<Proxy<P>>,
    index: usize,
    worker: u32,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received = proxy.platform.now();
    let lcfg = proxy.listener(index);
    proxy.worker_active(worker);
    let (mut parts, body) = req.into_parts();
    let request_id = match parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
    {
        Some(id) => id.to_string(),
        None => {
            let id = proxy.new_request_id();
            if let Ok(v) = HeaderValue::from_str(&id) {
                parts.headers.insert("x-request-id", v);
            }
            id
        }
    };
    let mut stream = ActiveStream::new(
        proxy.clone(),
        lcfg.name.clone(),
        proxy.hcm_stats(&lcfg.stat_prefix),
        request_id,
        received,
    );
    // The downstream request is complete once its body is read: the route timeout and
    // `x-envoy-upstream-service-time` start here.
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !proxy.cfg.processing_delay.is_zero() {
        proxy.platform.sleep(proxy.cfg.processing_delay).await;
    }
    let response = route_request(&proxy, index, worker, parts, body, &mut stream.info).await;
    proxy.worker_active(worker);
    stream.answered(response.status().as_u16());
    Ok(response)
}
