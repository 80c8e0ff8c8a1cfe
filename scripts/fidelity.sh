#!/usr/bin/env bash
# drill's fidelity figures: `tcpregress drill` over the packetdrill scripts
# that real packetdrill passes, as conformance/README.md ("Fidelity") quotes
# them. The scripts are those VERDICTS.txt marks PASS, less those that
# VERDICTS-rerun.txt marks FLAKY (real packetdrill failed them in some of its
# re-runs: they are not among the scripts it passes).
#
#   bash scripts/fidelity.sh [RUNS] [tcpregress drill flags...]
#
# RUNS (default 1) runs one after another, each printing its summary line;
# the flags default to --target local -j 2. Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
corpus=conformance/drill/testdata/packetdrill
runs=${1:-1}
shift || true
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(--target local -j 2)

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
"$GO" build -o "$bin/tcpregress" ./conformance/cmd/tcpregress

mapfile -t flaky < <(awk '$1 == "FLAKY" {print $2}' "$corpus/VERDICTS-rerun.txt")
scripts=()
while read -r verdict path _; do
  [ "$verdict" = PASS ] || continue
  skip=
  for f in "${flaky[@]}"; do
    if [ "$f" = "$path" ]; then skip=1; fi
  done
  if [ -n "$skip" ]; then
    echo "fidelity: $path left out: FLAKY in real packetdrill (VERDICTS-rerun.txt: $(awk -v p="$path" '$2 == p {print $3}' "$corpus/VERDICTS-rerun.txt") runs passed)"
    continue
  fi
  scripts+=("$path")
done < "$corpus/VERDICTS.txt"
echo "fidelity: ${#scripts[@]} scripts real packetdrill passes (VERDICTS.txt's PASS less the FLAKY ones)"

for i in $(seq "$runs"); do
  echo "fidelity: run $i of $runs, $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$corpus" && "$bin/tcpregress" drill "${flags[@]}" "${scripts[@]}" >"$bin/run.txt" 2>&1) || true
  grep -E '^ +(FAIL|ERROR|UNSUPPORTED) ' "$bin/run.txt" || true
  echo "fidelity: $(grep -E '^[0-9]+ passed, ' "$bin/run.txt" || tail -3 "$bin/run.txt")"
done
