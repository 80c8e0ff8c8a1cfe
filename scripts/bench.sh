#!/usr/bin/env bash
# `make bench`: the side-by-side benchmarks, one section at a time, each
# printing a Markdown table of medians and ratios (benchmarks/cmd/benchtable)
# that the README quotes.
#
#   bash scripts/bench.sh              every section
#   bash scripts/bench.sh pcapread     only the named sections
#
# Environment:
#   BENCHDIR     inputs and results (default: .bench at the repository root);
#                raw go test output and tables go to $BENCHDIR/results/
#   BENCH_COUNT  rounds: runs of every benchmark, of which the tables show
#                the median (default 10)
#   BENCH_TIME   go test -benchtime of one run (default 1s)
#
# Benchmarks want quiet cores: run nothing else meanwhile. Everything is
# compiled before the first measurement, so the build does not compete with
# it. To add a section, write a function section_NAME and append NAME to
# sections.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
GO=${GO:-go}
export CGO_ENABLED=1

BENCHDIR=${BENCHDIR:-$repo/.bench}
mkdir -p "$BENCHDIR/results" "$BENCHDIR/bin"
BENCHDIR=$(cd "$BENCHDIR" && pwd)
export BENCHDIR
results=$BENCHDIR/results
bin=$BENCHDIR/bin
BENCH_COUNT=${BENCH_COUNT:-10}
BENCH_TIME=${BENCH_TIME:-1s}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

sections=(pcapread)

# header prints what the numbers were measured on.
header() {
  echo "## tcpregress benchmarks"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- kernel: $(uname -r)"
  echo "- CPU: $(lscpu | grep 'Model name' | head -n1 | sed 's/^Model name:[[:space:]]*//')"
  echo "- nproc: $(nproc)"
  echo "- $("$GO" version)"
  echo "- libpcap: $(pcap_version)"
  echo "- runs: $BENCH_COUNT interleaved rounds of -benchtime=$BENCH_TIME; tables show medians"
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "- load average before: $load"
  if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench: warning: load average $load: other work is running, and the numbers will be noisy" >&2
  fi
  echo
}

pcap_version() {
  dpkg-query -W -f='${Version}' libpcap0.8 2>/dev/null || echo unknown
}

# inputs generates the large capture files when they are missing.
inputs() {
  local f missing=0
  for f in bench-60.pcap bench-1514.pcap; do
    [ -s "$BENCHDIR/$f" ] || missing=1
  done
  if [ "$missing" -eq 1 ]; then
    echo "bench: generating inputs in $BENCHDIR" >&2
    "$GO" run ./benchmarks/cmd/gencaptures -bench -out "$BENCHDIR"
  fi
}

# build compiles the tools and the test binaries of every section that runs.
build() {
  "$GO" build -o "$bin/benchtable" ./benchmarks/cmd/benchtable
  local s
  for s in "$@"; do
    case $s in
      pcapread) "$GO" test -c -o "$bin/pcapread.test" ./benchmarks/pcapread/ ;;
    esac
  done
}

# gotest NAME DIR BENCH runs the compiled test binary $bin/NAME.test in DIR:
# the benchmarks matching BENCH, BENCH_COUNT times, into
# results/NAME-$stamp.txt. This is go test -run '^$' -bench BENCH
# -benchtime $BENCH_TIME -count $BENCH_COUNT, except that the rounds are
# interleaved: every round runs each benchmark once, so a burst of other load
# spreads over all implementations instead of skewing one's median.
gotest() {
  local name=$1 dir=$2 pattern=$3 out=$results/$1-$stamp.txt i
  : >"$out"
  for ((i = 1; i <= BENCH_COUNT; i++)); do
    echo "bench: $name: round $i of $BENCH_COUNT" >&2
    if ! (cd "$dir" && "$bin/$name.test" -test.run '^$' -test.bench "$pattern" \
      -test.benchtime "$BENCH_TIME" -test.count 1) >>"$out"; then
      echo "bench: $name failed; the end of $out:" >&2
      tail -n 20 "$out" >&2
      exit 1
    fi
  done
  echo "bench: $name: raw output in $out" >&2
}

# table NAME ARGS... prints the Markdown table of results/NAME-$stamp.txt and
# keeps it as NAME-$stamp.md, with NAME.txt and NAME.md naming the latest.
table() {
  local name=$1
  shift
  "$bin/benchtable" "$@" "$results/$name-$stamp.txt" | tee "$results/$name-$stamp.md"
  ln -sf "$name-$stamp.txt" "$results/$name.txt"
  ln -sf "$name-$stamp.md" "$results/$name.md"
}

# section_pcapread: reading capture files, ns per packet, ours against
# gopacket/pcap, pcapgo and a C pcap_dispatch loop (the floor), on 60-byte and
# 1514-byte frames; about 3 minutes. Goals on 60-byte frames: ours-batch at
# most 1.3x c-dispatch, and at least 1.8x faster than gopacket-pcap.
section_pcapread() {
  gotest pcapread benchmarks/pcapread .
  table pcapread -metric ns/pkt -floor c-dispatch -ours ours-batch -peer gopacket-pcap \
    -goal file=60 -max-vs-floor 1.3 -min-speedup 1.8 \
    -title "Reading capture files (benchmarks/pcapread)"
  echo
}

main() {
  local s want=("$@")
  [ ${#want[@]} -gt 0 ] || want=("${sections[@]}")
  for s in "${want[@]}"; do
    if ! declare -F "section_$s" >/dev/null; then
      echo "bench: no section $s; the sections are: ${sections[*]}" >&2
      exit 2
    fi
  done
  inputs
  build "${want[@]}"
  {
    header
    for s in "${want[@]}"; do
      "section_$s"
    done
  } | tee "$results/bench-$stamp.md"
  ln -sf "bench-$stamp.md" "$results/bench.md"
  echo "bench: results in $results (bench.md is the latest report)" >&2
}

main "$@"
