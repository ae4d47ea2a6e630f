//! Seeded random streams: the model's one derivation, (run seed, component name) → ChaCha
//! stream, used by every component of the world (see [`meshtwin_model::rng`]).

pub use meshtwin_model::rng::{component_seed, stream};
