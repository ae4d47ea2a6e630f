//! Outlier detector tests.
