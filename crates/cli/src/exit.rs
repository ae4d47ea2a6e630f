//! The `meshtwin` command's exit codes, in one place.

/// Ran, and every expectation held (or, for commands that judge nothing, did what was asked).
pub const OK: u8 = 0;
/// Ran, and an expectation (or a gate) failed.
pub const FAILED: u8 = 1;
/// Invalid input: a file, a flag or an output directory the command cannot use.
pub const INVALID_INPUT: u8 = 2;
/// Interrupted (SIGINT / SIGTERM): 128 + SIGINT, as shells report it.
pub const INTERRUPTED: u8 = 130;
