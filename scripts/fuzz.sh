#!/usr/bin/env bash
# `make fuzz`: a short run of every fuzz target in the workspace.
# FUZZTIME (first argument) is per target. Minimisation is off: Go's
# minimiser stalls on cgo targets (the pcap reader) while fuzzing itself runs
# at full speed; failing inputs are still written to testdata/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
fuzztime=${1:-10s}
status=0
for dir in $(sed -n 's#^\s*\./\(.*\)$#\1#p' go.work); do
  while IFS= read -r file; do
    pkgdir=$(dirname "$file")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
      echo "fuzz: $pkgdir $target ($fuzztime)"
      (cd "$pkgdir" && "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 .) || status=1
    done
  done < <(grep -rl --include='*_test.go' '^func Fuzz' "$dir" || true)
done
exit $status
