#!/usr/bin/env bash
# Non-test Rust source files over 400 lines and functions over 80 lines, in the crates the
# house rules cover (proxy, sim, xds, cli, report, config, model, topology, import). Prints one line
# per finding and a count of each; exits 0 (a report, not a gate).
#
#   scripts/sizes.sh [MAX_FILE_LINES] [MAX_FN_LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
max_file=${1:-400}
max_fn=${2:-80}
files=$(find crates -name '*.rs' -not -path '*/tests/*' -not -name 'tests.rs' -not -name '*_tests.rs' | sort)
big=0
for f in $files; do
  n=$(wc -l < "$f")
  if [ "$n" -gt "$max_file" ]; then
    echo "file $f: $n lines"
    big=$((big + 1))
  fi
done
# A function starts at a line `fn name(` (any visibility) and ends at the first line that
# closes it at the same indentation.
long=$(awk -v max="$max_fn" '
  FNR == 1 { infn = 0 }
  /#\[cfg\(test\)\]/ { intest = 1 }
  FNR == 1 { intest = 0 }
  !infn && !intest && match($0, /^[ ]*(pub(\([a-z]+\))? )?(const )?(async )?fn [A-Za-z0-9_]+/) {
    infn = 1; start = FNR; indent = match($0, /[^ ]/) - 1
    name = $0; sub(/^[ ]*(pub(\([a-z]+\))? )?(const )?(async )?fn /, "", name); sub(/[(<].*/, "", name)
    if ($0 ~ /;[ ]*$/) { infn = 0 }
    next
  }
  infn && $0 ~ "^" sprintf("%" indent "s", "") "}" && (match($0, /[^ ]/) - 1) == indent {
    len = FNR - start + 1
    if (len > max) printf "fn %s:%d %s: %d lines\n", FILENAME, start, name, len
    infn = 0
  }
' $files)
[ -n "$long" ] && echo "$long"
nfn=$(printf '%s' "$long" | grep -c '^fn ' || true)
echo "files over $max_file lines: $big; functions over $max_fn lines: $nfn"
