//! The application inside a pod: an HTTP/1.1 server (hyper) whose service time, errors and
//! worker concurrency follow the topology's [`AppBehaviour`]. It names itself in
//! `x-served-by` so a load generator can tell which pod answered.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_model::topology::{AppBehaviour, LatencyDist};
use meshtwin_proxy::platform::Platform;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::Semaphore;

use crate::platform::SimPlatform;

/// Longest service time an exponential draw may produce, as a multiple of its mean.
const EXP_CAP: f64 = 100.0;

/// Draw a service time.
pub fn sample_latency(dist: &LatencyDist, rng: &mut ChaCha8Rng) -> Duration {
    match dist {
        LatencyDist::Fixed { value } => *value,
        LatencyDist::Uniform { min, max } => {
            if max <= min {
                *min
            } else {
                let us = rng.random_range(min.as_micros() as u64..=max.as_micros() as u64);
                Duration::from_micros(us)
            }
        }
        LatencyDist::Exponential { mean } => {
            let u: f64 = rng.random_range(f64::EPSILON..1.0);
            let x = (-u.ln()).min(EXP_CAP);
            Duration::from_micros((x * mean.as_micros() as f64) as u64)
        }
    }
}

/// Start the app of `pod` listening on `addr`.
pub fn spawn_app(
    platform: SimPlatform,
    pod: String,
    addr: SocketAddr,
    behaviour: AppBehaviour,
    rng: ChaCha8Rng,
) {
    let rng = Rc::new(RefCell::new(rng));
    let workers = Rc::new(Semaphore::new(
        behaviour
            .concurrency
            .map(|c| c as usize)
            .unwrap_or(Semaphore::MAX_PERMITS),
    ));
    let behaviour = Rc::new(behaviour);
    let p = platform.clone();
    platform.spawn(Box::pin(async move {
        let Ok(listener) = p.bind(addr).await else {
            return;
        };
        loop {
            let Ok((stream, _)) = p.accept(&listener).await else {
                continue;
            };
            let (p2, pod, rng, workers, behaviour) = (
                p.clone(),
                pod.clone(),
                rng.clone(),
                workers.clone(),
                behaviour.clone(),
            );
            p.spawn(Box::pin(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (p3, pod, rng, workers, behaviour) = (
                        p2.clone(),
                        pod.clone(),
                        rng.clone(),
                        workers.clone(),
                        behaviour.clone(),
                    );
                    async move {
                        let _ = req.into_body().collect().await;
                        let _permit = workers.acquire().await.expect("semaphore never closed");
                        let (delay, fail) = {
                            let mut r = rng.borrow_mut();
                            let d = sample_latency(&behaviour.latency, &mut r);
                            let fail = behaviour.error_rate > 0.0
                                && r.random::<f64>() < behaviour.error_rate;
                            (d, fail)
                        };
                        p3.sleep(delay).await;
                        let status = if fail { behaviour.error_status } else { 200 };
                        let body = if fail {
                            Bytes::new()
                        } else {
                            Bytes::from(vec![b'x'; behaviour.response_bytes as usize])
                        };
                        let mut resp = Response::new(Full::new(body));
                        *resp.status_mut() = StatusCode::from_u16(status)
                            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                        if let Ok(v) = http::HeaderValue::from_str(&pod) {
                            resp.headers_mut().insert("x-served-by", v);
                        }
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .auto_date_header(false)
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            }));
        }
    }));
}
