#!/usr/bin/env bash
# Build meshtwin with profile-guided optimisation: an instrumented release build runs every
# bundled scenario (`meshtwin test scenarios/`, the training run), LLVM merges the profiles,
# and a second release build lays out and inlines the code by them. The binary simulates the
# same worlds byte for byte (the training run's digests must all hold); it is faster because
# a request's hot code is packed together and stays in the instruction cache (README,
# "Benchmark").
#
#   scripts/release-pgo.sh    writes target/pgo/release/meshtwin and prints its path
#
# Needs rustup's llvm-tools component for llvm-profdata (added here when missing). The two
# builds use their own target directories (target/pgo-generate, target/pgo), so the ordinary
# `cargo build --release` is neither invalidated nor replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  rustup component add llvm-tools >&2
fi
if [ ! -x "$profdata" ]; then
  echo "error: $profdata not found: install rustup's llvm-tools component" >&2
  exit 2
fi

profiles="$root/target/pgo-generate/profiles"
rm -rf "$profiles"
echo "1/3 instrumented build (target/pgo-generate)" >&2
CARGO_TARGET_DIR="$root/target/pgo-generate" RUSTFLAGS="-Cprofile-generate=$profiles" \
  cargo build --release --quiet --bin meshtwin

echo "2/3 training run: every bundled scenario" >&2
if ! target/pgo-generate/release/meshtwin test scenarios/ --jobs 1 >/dev/null; then
  echo "error: the instrumented build did not reproduce every bundled scenario's digest" >&2
  exit 1
fi
"$profdata" merge -o "$profiles/merged.profdata" "$profiles"

echo "3/3 optimised build (target/pgo)" >&2
CARGO_TARGET_DIR="$root/target/pgo" MESHTWIN_BUILD=pgo \
  RUSTFLAGS="-Cprofile-use=$profiles/merged.profdata" \
  cargo build --release --quiet --bin meshtwin
if ! target/pgo/release/meshtwin test scenarios/ --jobs 2 >/dev/null; then
  echo "error: the optimised build did not reproduce every bundled scenario's digest" >&2
  exit 1
fi
echo "target/pgo/release/meshtwin"
