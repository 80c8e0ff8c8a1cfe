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

sections=(pcapread hexdump pcapcat conns bulk synflood conformance)

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
      hexdump) "$GO" build -o "$bin/hexdump" ./tools/cmd/hexdump ;;
      pcapcat) "$GO" build -o "$bin/pcapcat" ./tools/cmd/pcapcat ;;
      bulk) "$GO" build -o "$bin/bulkbench" ./benchmarks/cmd/bulkbench ;;
      conns) "$GO" build -o "$bin/connbench" ./benchmarks/cmd/connbench ;;
      synflood) "$GO" build -o "$bin/synflood" ./benchmarks/cmd/synflood ;;
      conformance) "$GO" build -o "$bin/tcpregress" ./conformance/cmd/tcpregress ;;
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

# timecmds NAME ROUNDS -- LABEL CMD ... -- LABEL CMD ...: runs every command
# ROUNDS times, interleaved, stdout to /dev/null, and writes one line per run
# ("LABEL SECONDS") to results/NAME-$stamp.txt. Each CMD is one shell string.
timecmds() {
  local name=$1 rounds=$2 out=$results/$1-$stamp.txt i j t0 t1
  shift 2
  local labels=() cmds=()
  while [ $# -gt 0 ]; do
    labels+=("$1")
    cmds+=("$2")
    shift 2
  done
  : >"$out"
  for ((i = 1; i <= rounds; i++)); do
    echo "bench: $name: round $i of $rounds" >&2
    for j in "${!cmds[@]}"; do
      t0=$EPOCHREALTIME
      bash -c "${cmds[$j]}" >/dev/null 2>&1 || { echo "bench: failed: ${cmds[$j]}" >&2; exit 1; }
      t1=$EPOCHREALTIME
      echo "${labels[$j]} $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" >>"$out"
    done
  done
}

# medians NAME BASELINE... prints a Markdown table of median seconds per
# label from results/NAME-$stamp.txt, with the rate (UNITS per second for
# SIZE units) and each label's speed relative to every BASELINE label.
medians() {
  local name=$1 size=$2 unit=$3
  shift 3
  awk -v size="$size" -v unit="$unit" -v bases="$*" '
    { v[$1] = v[$1] " " $2; if (!($1 in seen)) { order[++n] = $1; seen[$1] = 1 } }
    function median(s,   a, k, i, j, t) {
      k = split(s, a, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
      nb = split(bases, b, " ")
      printf "| command | median s | %s/s |", unit
      for (i = 1; i <= nb; i++) printf " speed vs %s |", b[i]
      printf "\n|---|---:|---:|"
      for (i = 1; i <= nb; i++) printf "---:|"
      printf "\n"
      for (i = 1; i <= n; i++) m[order[i]] = median(v[order[i]])
      for (i = 1; i <= n; i++) {
        l = order[i]
        printf "| %s | %.3f | %.3g |", l, m[l], size / m[l]
        for (j = 1; j <= nb; j++) printf " %.2fx |", m[b[j]] / m[l]
        printf "\n"
      }
    }' "$results/$name-$stamp.txt" | tee "$results/$name-$stamp.md"
}

# section_hexdump: 64 MiB of random bytes to /dev/null, our hexdump in each
# style against xxd and util-linux hexdump -C. Goals: at least 3x xxd and
# 20x hexdump -C.
section_hexdump() {
  local f=$BENCHDIR/random-64M.bin
  [ -s "$f" ] || head -c $((64 << 20)) /dev/urandom >"$f"
  echo "### hexdump: 64 MiB to /dev/null (median of 5)"
  echo
  timecmds hexdump 5 \
    "xxd" "xxd $f" \
    "hexdump-C" "hexdump -C $f" \
    "ours-xxd" "$bin/hexdump --style xxd $f" \
    "ours-C" "$bin/hexdump -C $f" \
    "ours-pane" "$bin/hexdump $f" \
    "ours-tcpdump" "$bin/hexdump --style tcpdump $f"
  medians hexdump 64 MiB xxd hexdump-C
  echo
  echo "Goals: ours-xxd at least 3x xxd; ours-C at least 20x hexdump-C."
  echo
}

# section_pcapcat: printing the 1,000,000-packet capture of 60-byte frames,
# pcapcat against tcpdump. Goals: default mode at least 2x tcpdump -nn -r;
# --count within 1.5x of tcpdump -r FILE -w /dev/null.
section_pcapcat() {
  local f=$BENCHDIR/bench-60.pcap
  echo "### pcapcat: 1,000,000 packets of 60 bytes to /dev/null (median of 5)"
  echo
  timecmds pcapcat 5 \
    "tcpdump-nn" "tcpdump -nn -r $f" \
    "pcapcat" "$bin/pcapcat $f" \
    "tcpdump-w-devnull" "tcpdump -r $f -w /dev/null" \
    "pcapcat-count" "$bin/pcapcat --count $f"
  medians pcapcat 1000000 packets tcpdump-nn tcpdump-w-devnull
  echo
  echo "Goals: pcapcat at least 2x tcpdump-nn; pcapcat-count at least 0.67x tcpdump-w-devnull (within 1.5x of its time)."
  echo
}

# section_conns: connection rate (connect, 1-byte request and response,
# close; 1 and 64 clients) and 1-byte round-trip latency, ours against a
# kernel client, both to a kernel server; and 10,000 connections from kernel
# clients held open by our listener: memory per connection and CPU at idle
# (benchmarks/cmd/connbench, on veth pairs between namespaces; needs root;
# about 3 minutes). Goals: ours at least 5,000 connections/s with 64
# clients; at most 16 KiB and 0% CPU per idle connection. CONNBENCH_FLAGS
# adds flags, e.g. "-cpuprofile $BENCHDIR/cpu.pprof -memprofile
# $BENCHDIR/heap.pprof".
section_conns() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: conns: skipped: needs root (network namespaces)" >&2
    echo "### Connections: skipped (needs root)"
    echo
    return
  fi
  local out=$results/conns-$stamp.txt
  # shellcheck disable=SC2086 # CONNBENCH_FLAGS is a list of flags
  "$bin/connbench" -rounds "$BENCH_COUNT" -results "$out" ${CONNBENCH_FLAGS:-}
  ln -sf "conns-$stamp.txt" "$results/conns.txt"
  echo "bench: conns: raw output in $out" >&2
}

# section_bulk: bulk TCP throughput over a veth pair between two throwaway
# namespaces (benchmarks/cmd/bulkbench; needs root, iperf3 for the ceiling):
# kernel→kernel with iperf3 and with Go sockets, ours → kernel, kernel → ours,
# gVisor netstack → kernel and kernel → gVisor, each run BULK_DURATION (30s)
# or 4 GiB, BULK_ROUNDS (3) interleaved rounds; about 10 minutes. Raw numbers
# in results/bulk-$stamp.txt; BULK_CPUPROFILE=DIR keeps a CPU profile of every
# ours and gVisor run. Goals: ours at least 0.4x kernel→kernel (iperf3) and
# 1.0x gVisor, both directions.
section_bulk() {
  local out=$results/bulk-$stamp.txt
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: bulk: skipped: it needs root (network namespaces)" >&2
    echo "### Bulk throughput: skipped (needs root: network namespaces)"
    echo
    return
  fi
  if ! "$bin/bulkbench" -duration "${BULK_DURATION:-30s}" -rounds "${BULK_ROUNDS:-3}" -results "$out" \
    ${BULK_CPUPROFILE:+-cpuprofile "$BULK_CPUPROFILE"} | tee "$results/bulk-$stamp.md"; then
    echo "bench: bulk failed (the table above shows the runs that did not); raw results in $out" >&2
    exit 1
  fi
  ln -sf "bulk-$stamp.txt" "$results/bulk.txt"
  ln -sf "bulk-$stamp.md" "$results/bulk.md"
  echo
}

# section_synflood: a listener under 20,000 spoofed SYNs/s for 10 s while a
# kernel client opens 200 connections, ours (SYN cookies) beside the
# kernel's (benchmarks/cmd/synflood; needs root; about 30 s). Goals: at
# least 198 of 200 complete with ours, peak RSS under 64 MiB. SYNFLOOD_FLAGS
# adds flags (-rate, -duration, -conns).
section_synflood() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: synflood: skipped: needs root (network namespaces)" >&2
    echo "### SYN flood: skipped (needs root)"
    echo
    return
  fi
  # shellcheck disable=SC2086 # SYNFLOOD_FLAGS is a list of flags
  if ! "$bin/synflood" ${SYNFLOOD_FLAGS:-} | tee "$results/synflood-$stamp.md"; then
    echo "bench: synflood: a goal was missed (see the table)" >&2
    exit 1
  fi
  ln -sf "synflood-$stamp.md" "$results/synflood.md"
}

# section_conformance: the wall time of the whole conformance suite with -j 2
# against the local Linux kernel and against our stack (every case that is
# not slow; CONFORMANCE_ROUNDS rounds, default 3). Goal: under 60 s.
section_conformance() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: conformance: skipped: needs root (network namespaces)" >&2
    echo "### Conformance suite: skipped (needs root)"
    echo
    return
  fi
  local rounds=${CONFORMANCE_ROUNDS:-3}
  echo "### Conformance suite wall time, -j 2 (median of $rounds; goal: under 60 s)"
  echo
  timecmds conformance "$rounds" \
    "kernel" "$bin/tcpregress run --target local -j 2 --expect conformance/expect/linux.txt" \
    "tcpstack" "$bin/tcpregress run --target local --stack tcpstack -j 2"
  medians conformance 1 runs kernel
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
