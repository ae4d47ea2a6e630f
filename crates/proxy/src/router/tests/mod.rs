//! The router engines against the rules of `source/common/router/router.cc` `Filter`, one file per engine.

use std::collections::BTreeMap;

use http::HeaderMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::matcher::RequestHead;

mod backoff;
mod domains;
mod fault;
mod matching;
mod mirror;
mod retry;
mod retry_headers;
mod retry_state;
mod timeout;
mod weighted;

/// A seeded stream, as the twin derives one per component.
fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A "random" generator that returns the given values in turn (Envoy's mock random), and
/// counts the draws.
struct Fixed {
    values: Vec<u64>,
    draws: usize,
}

impl Fixed {
    fn new(values: &[u64]) -> Self {
        Self {
            values: values.to_vec(),
            draws: 0,
        }
    }
}

impl rand::RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        let v = self.values[self.draws % self.values.len()];
        self.draws += 1;
        v
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for b in dst {
            *b = self.next_u64() as u8;
        }
    }
}

/// An owned request for building [`RequestHead`]s.
struct Req {
    method: &'static str,
    authority: &'static str,
    path: &'static str,
    headers: HeaderMap,
    port: u16,
    labels: BTreeMap<String, String>,
}

impl Req {
    fn get(path: &'static str) -> Self {
        Self {
            method: "GET",
            authority: "reviews:9080",
            path,
            headers: HeaderMap::new(),
            port: 9080,
            labels: BTreeMap::new(),
        }
    }

    fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers
            .append(name, http::HeaderValue::from_static(value));
        self
    }

    fn head(&self) -> RequestHead<'_> {
        RequestHead {
            method: self.method,
            authority: self.authority,
            scheme: "http",
            path: self.path,
            headers: &self.headers,
            port: self.port,
            source_labels: &self.labels,
        }
    }
}
