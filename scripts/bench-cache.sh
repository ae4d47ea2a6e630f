#!/usr/bin/env bash
# What a proxied request hop costs in each benchmark world, counted rather than timed:
# instructions, and first- and last-level cache misses, per hop, under valgrind's cachegrind
# with this machine's cache geometry. One run each of `meshtwin bench --world path`,
# `--world one-region` (108 pods) and `--world full` (324 pods); the counts are the same
# whatever else the machine is doing, so two builds can be compared one after the other
# (README, "Benchmark": where the 324-pod world's cost per hop goes).
#
#   scripts/bench-cache.sh [BINARY]    BINARY defaults to target/release/meshtwin (built when
#                                      missing)
#
# The caches simulated are read from /sys/devices/system/cpu/cpu0/cache: the level-1
# instruction and data caches, and the level-2 cache as the last level (cachegrind models
# two levels; the per-core level 2 is where these worlds' working sets part: the 2-pod path's
# fits, the 324-pod world's does not). `LL=size,ways,line` overrides the last level. Needs
# valgrind. Each count includes the world's set-up and teardown, as `bench`'s costs do.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-target/release/meshtwin}
if [ ! -x "$bin" ]; then
  cargo build --release --quiet --bin meshtwin
fi
if ! command -v valgrind >/dev/null; then
  echo "error: valgrind not found (apt-get install valgrind)" >&2
  exit 2
fi

# "size,ways,line" of the cache at `level` of `type` (Data, Instruction, Unified).
cache() {
  local level=$1 type=$2 dir
  for dir in /sys/devices/system/cpu/cpu0/cache/index*; do
    if [ "$(cat "$dir/level")" = "$level" ] && [ "$(cat "$dir/type")" = "$type" ]; then
      local kib
      kib=$(sed 's/K$//' "$dir/size")
      echo "$((kib * 1024)),$(cat "$dir/ways_of_associativity"),$(cat "$dir/coherency_line_size")"
      return
    fi
  done
  echo "error: no level-$level $type cache in /sys/devices/system/cpu/cpu0/cache" >&2
  exit 2
}
i1=$(cache 1 Instruction)
d1=$(cache 1 Data)
ll=${LL:-$(cache 2 Unified)}
echo "cachegrind: I1 $i1, D1 $d1, LL $ll (bytes,ways,line); $bin" >&2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Run `bench --world $1 --json` under cachegrind; print "hops Ir I1mr D1mr DLmr".
measure() {
  local world=$1
  valgrind --tool=cachegrind --cache-sim=yes --I1="$i1" --D1="$d1" --LL="$ll" \
    --cachegrind-out-file="$out/$world.cg" "$bin" bench --world "$world" --requests 20000 \
    --json >"$out/$world.json" 2>"$out/$world.log"
  local hops
  hops=$(sed -n 's/^ *"proxy_hops": \([0-9]*\),\{0,1\}$/\1/p' "$out/$world.json")
  # The summary line lists the events in the order of the file's `events:` line.
  awk -v hops="$hops" '
    /^events:/ { for (i = 2; i <= NF; i++) col[$i] = i - 1 }
    /^summary:/ { print hops, $(col["Ir"] + 1), $(col["I1mr"] + 1),
                  $(col["D1mr"] + 1) + $(col["D1mw"] + 1), $(col["DLmr"] + 1) + $(col["DLmw"] + 1) }
  ' "$out/$world.cg"
}

printf '%-12s %8s %12s %12s %12s %12s\n' world hops "instr/hop" "I1 miss/hop" "D1 miss/hop" \
  "LL miss/hop"
base=""
for world in path one-region full; do
  read -r hops ir i1m d1m llm < <(measure "$world")
  if [ -z "$hops" ] || [ "$hops" -eq 0 ]; then
    echo "error: bench --world $world reported no proxy hops (see its output)" >&2
    cat "$out/$world.log" >&2
    exit 1
  fi
  row=$(awk -v h="$hops" -v a="$ir" -v b="$i1m" -v c="$d1m" -v d="$llm" \
    'BEGIN { printf "%.0f %.0f %.0f %.0f", a / h, b / h, c / h, d / h }')
  read -r ir_h i1_h d1_h ll_h <<<"$row"
  ratio=""
  if [ -n "$base" ]; then
    ratio=$(awk -v r="$row" -v b="$base" 'BEGIN {
      split(r, x, " "); split(b, y, " ");
      printf "  (× path: %.2f, %.1f, %.1f, %.1f)", x[1] / y[1], x[2] / y[2], x[3] / y[3], x[4] / y[4] }')
  else
    base=$row
  fi
  printf '%-12s %8d %12d %12d %12d %12d%s\n' "$world" "$hops" "$ir_h" "$i1_h" "$d1_h" "$ll_h" "$ratio"
done
