//! An app's calls to other services: through its own sidecar when it has one (the sidecar's
//! outbound listener stands for iptables capture), else straight to a pod of the service.
//! Each attempt has the app's own timeout; a failed attempt (error status, timeout, broken
//! connection) is retried as the app's client would. Every attempt is traced.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, HOST};
use http::{HeaderMap, Request, Uri};
use http_body_util::{BodyExt, Empty};
use meshtwin_model::event::{AppCallResult, EventKind};
use meshtwin_model::topology::AppCall;
use meshtwin_proxy::platform::{timeout, Platform};

use crate::app::{notes_of, App};

/// Where a call to (host, port) connects, and the authority it sends.
pub type Resolver = Rc<dyn Fn(&str, u16) -> Option<(SocketAddr, String)>>;

/// Outcome of one attempt.
enum Attempt {
    Ok(u16, Vec<String>),
    Status(u16),
    Timeout,
    Error,
}

/// Make `call` for an incoming request with `headers`; the callee's notes on success.
pub async fn call_with_retries<P: Platform>(
    app: &Rc<App<P>>,
    call: &AppCall,
    headers: &HeaderMap,
) -> Result<Vec<String>, ()> {
    let Some((addr, authority)) = (app.resolver)(&call.host, call.port) else {
        return Err(());
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    for attempt in 1..=call.retries + 1 {
        let started = app.platform.now();
        let outcome = match call.timeout {
            Some(t) => timeout(&app.platform, t, once(app, addr, &authority, call, headers))
                .await
                .unwrap_or(Attempt::Timeout),
            None => once(app, addr, &authority, call, headers).await,
        };
        let (status, result) = match &outcome {
            Attempt::Ok(s, _) => (*s, AppCallResult::Ok),
            Attempt::Status(s) => (*s, AppCallResult::ErrorStatus),
            Attempt::Timeout => (0, AppCallResult::Timeout),
            Attempt::Error => (0, AppCallResult::ConnectionError),
        };
        let now = app.platform.now();
        app.observer.event(
            now,
            EventKind::AppCall {
                pod: app.pod.clone(),
                request_id: request_id.clone(),
                host: authority.clone(),
                path: call.path.clone(),
                attempt,
                status,
                result,
                duration_ms: ms(now.saturating_sub(started)),
            },
        );
        if let Attempt::Ok(_, notes) = outcome {
            return Ok(notes);
        }
    }
    Err(())
}

/// The GET of `call`: `Host` is `authority`, then the incoming request's `x-request-id` and
/// the headers the call propagates, in that order. Written into the request in place: a
/// request builder moves the whole request at every header, into a future's fresh memory.
/// `None` when the path or authority is not a valid URI part or header value (the topology
/// checks both).
fn request(call: &AppCall, authority: &str, headers: &HeaderMap) -> Option<Request<Empty<Bytes>>> {
    let mut req = Request::new(Empty::new());
    *req.uri_mut() = Uri::try_from(call.path.as_str()).ok()?;
    let out = req.headers_mut();
    out.insert(HOST, HeaderValue::from_str(authority).ok()?);
    let propagated = call.propagate.iter().map(String::as_str);
    for name in std::iter::once("x-request-id").chain(propagated) {
        if let Some(v) = headers.get(name) {
            out.append(HeaderName::from_bytes(name.as_bytes()).ok()?, v.clone());
        }
    }
    Some(req)
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// One attempt on a fresh connection (Bookinfo's clients do not pool).
async fn once<P: Platform>(
    app: &Rc<App<P>>,
    addr: SocketAddr,
    authority: &str,
    call: &AppCall,
    headers: &HeaderMap,
) -> Attempt {
    let p = &app.platform;
    let Ok(stream) = p.connect(addr).await else {
        return Attempt::Error;
    };
    let Some(mut sender) = crate::http_client::open(p, stream).await else {
        return Attempt::Error;
    };
    let Some(req) = request(call, authority, headers) else {
        return Attempt::Error;
    };
    let Ok(resp) = sender.send_request(req).await else {
        return Attempt::Error;
    };
    let status = resp.status().as_u16();
    let notes = notes_of(resp.headers());
    if resp.into_body().collect().await.is_err() {
        return Attempt::Error;
    }
    if (200..300).contains(&status) {
        Attempt::Ok(status, notes)
    } else {
        Attempt::Status(status)
    }
}
