#!/usr/bin/env bash
# The memory measurement of README's "Benchmark" section: one virtual hour at 1,000 rps through
# one sidecar pair with `--trace failures`; prints the peak resident set size (/usr/bin/time -v),
# the resident set size at 10 virtual minutes and at the run's end (MESHTWIN_RSS_LOG, sampled by
# the simulator each virtual minute and at the end) and the wall time.
#
#   examples/memory/measure.sh [SCENARIO] [extra run flags…]
#
# MESHTWIN names the binary (default: a release build of this checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:-examples/memory/one-hour-1000rps.yaml}
shift || true
if [ -z "${MESHTWIN:-}" ]; then
  cargo build --release --quiet --bin meshtwin
  MESHTWIN=target/release/meshtwin
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
code=0
MESHTWIN_RSS_LOG="$work/rss.txt" /usr/bin/time -v -o "$work/time.txt" \
  "$MESHTWIN" run "$scenario" -q --trace failures --out "$work/out" "$@" >"$work/stdout.txt" || code=$?
if [ "$code" -gt 1 ]; then
  cat "$work/stdout.txt" >&2
  echo "error: $MESHTWIN run $scenario exited with $code" >&2
  exit 1
fi
peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
at() { awk -v t="$1" '$1 == t {print $2}' "$work/rss.txt"; }
end=$(tail -1 "$work/rss.txt" | cut -d' ' -f1)
echo "scenario:        $scenario (exit $code)"
echo "requests:        $(grep -m1 '"requests"' "$work/out/summary.json" | tr -dc 0-9)"
echo "peak RSS:        $peak kB"
for t in 60 600 1800 "$end"; do
  kb=$(at "$t")
  [ -n "$kb" ] && echo "RSS at ${t} s:$(printf '%*s' $((6 - ${#t})) '') $kb kB (virtual time)"
done
ten=$(at 600)
last=$(at "$end")
if [ -n "$ten" ] && [ -n "$last" ]; then
  awk -v a="$ten" -v b="$last" -v t="$end" 'BEGIN { printf "RSS at %s s / at 600 s: %.3f\n", t, b / a }'
fi
echo "wall time:       $wall"
