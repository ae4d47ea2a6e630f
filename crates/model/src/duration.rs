//! Serde helpers: `Duration` as milliseconds — a whole number when it is one, else a decimal
//! with microsecond precision (the twin's clock resolves microseconds).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

fn write<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    let us = d.as_micros();
    if us.is_multiple_of(1000) {
        s.serialize_u64((us / 1000) as u64)
    } else {
        s.serialize_f64(us as f64 / 1000.0)
    }
}

fn read(ms: f64) -> Duration {
    Duration::from_micros((ms.max(0.0) * 1000.0).round() as u64)
}

/// `#[serde(with = "meshtwin_model::duration::ms")]`
pub mod ms {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        write(d, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(read(f64::deserialize(d)?))
    }
}

/// `#[serde(with = "meshtwin_model::duration::opt_ms")]` for `Option<Duration>`.
pub mod opt_ms {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => write(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.map(read))
    }
}
