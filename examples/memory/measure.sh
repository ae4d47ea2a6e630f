#!/usr/bin/env bash
# The memory measurement of README's "Benchmark" section: one virtual hour at 1,000 rps through
# one sidecar pair with `--trace failures`; prints the peak resident set size (/usr/bin/time -v),
# the resident set size at 10 virtual minutes and at the run's end (MESHTWIN_RSS_LOG, sampled by
# the simulator each virtual minute and at the end), the wall time and the size of the trace
# file written.
#
#   examples/memory/measure.sh [SCENARIO] [extra run flags…]
#
# MESHTWIN names the binary (default: a release build of this checkout); TRACE the trace level
# (default `failures`; `TRACE=full` measures a full trace, streamed to its file during the run:
# examples/memory/ten-minutes-1000rps.yaml and the one-hour scenario compare 10 and 60 virtual
# minutes; add `--trace-compress` to write it zstd-compressed).
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
  "$MESHTWIN" run "$scenario" -q --trace "${TRACE:-failures}" --out "$work/out" "$@" \
  >"$work/stdout.txt" || code=$?
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
for f in "$work"/out/trace.jsonl*; do
  [ -e "$f" ] && echo "trace file:      $(basename "$f") $(stat -c %s "$f") bytes, $(grep -m1 -A1 '"trace"' "$work/out/summary.json" | tail -1 | tr -dc 0-9) events"
done
dropped=$(grep -A3 '"trace"' "$work/out/summary.json" | awk -F': ' '/"dropped"/ {print $2}' | tr -dc 0-9)
echo "trace dropped:   ${dropped:-0} events (summary.json trace.dropped)"
