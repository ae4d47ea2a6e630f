#!/usr/bin/env bash
# Regenerate reports/: the report of every bundled scenario (scenarios/*.yaml) as
# `meshtwin run <scenario> --report` writes it — report.html, report.md and the SVG plots
# report.md links; nothing else of the run's outputs. tests/bundled_reports.rs runs this into a
# temporary directory and fails when reports/ differs.
#
#   scripts/reports.sh [DIR]    write into DIR (default: reports/), replacing it
#
# MESHTWIN names the meshtwin binary (default: a release build of this checkout); JOBS is how
# many scenarios run at once (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-reports}
if [ -z "${MESHTWIN:-}" ]; then
  cargo build --release --quiet --bin meshtwin
  MESHTWIN=target/release/meshtwin
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MESHTWIN work

# One scenario: run it (exit 1, an expectation that did not hold, still writes the report),
# then keep its report and the plots the Markdown links.
one() {
  local scenario=$1 name out code=0
  name=$(basename "$scenario" .yaml)
  out="$work/out/$name"
  "$MESHTWIN" run "$scenario" -q --report --out "$out" >/dev/null || code=$?
  if [ "$code" -gt 1 ]; then
    echo "error: $MESHTWIN run $scenario exited with $code" >&2
    return 1
  fi
  mkdir -p "$work/reports/$name"
  cp "$out/report.html" "$out/report.md" "$work/reports/$name/"
  grep -o '([^()]*\.svg)' "$out/report.md" | tr -d '()' | sort -u | while read -r svg; do
    case $svg in
      */*) echo "error: $scenario: report.md links $svg outside its directory" >&2; return 1 ;;
    esac
    cp "$out/$svg" "$work/reports/$name/"
  done
}
export -f one

printf '%s\n' scenarios/*.yaml |
  xargs -P "${JOBS:-$(nproc)}" -I{} bash -c 'set -euo pipefail; one "$1"' _ {}
rm -rf -- "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$work/reports" "$dest"
echo "wrote $dest/ ($(ls "$dest" | wc -l) scenarios)"
