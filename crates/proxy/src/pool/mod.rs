//! Upstream connection pools (spec §2): the synchronous [`engine`] and the async [`driver`]
//! that runs it on real HTTP connections.

pub mod driver;
pub mod engine;
#[cfg(test)]
mod engine_tests;
