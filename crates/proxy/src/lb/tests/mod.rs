//! Load balancer tests.
