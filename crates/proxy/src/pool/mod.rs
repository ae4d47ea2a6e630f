//! Upstream connection pools (`source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase`): the synchronous [`engine`] and the [`action`]s it
//! answers, the async [`driver`] that runs it on real HTTP connections, and what every pool of
//! a cluster [`shared`]s.

pub mod action;
pub mod driver;
pub mod engine;
#[cfg(test)]
mod engine_tests;
pub mod shared;
