//! Serde helpers: `Duration` as integer milliseconds (the twin's resolution is 1 ms, because
//! tokio timers resolve to 1 ms).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// `#[serde(with = "meshtwin_model::duration::ms")]`
pub mod ms {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// `#[serde(with = "meshtwin_model::duration::opt_ms")]` for `Option<Duration>`.
pub mod opt_ms {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}
