#!/usr/bin/env bash
# `make test`: every module's tests against the real libpcap, kernel and
# tools. Packages with concurrency run under the race detector. Tests that
# need root (network namespaces, live capture) run when this is root; under
# CI=true they fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
export CGO_ENABLED=1

if [ "$(id -u)" -ne 0 ]; then
  echo "test: not root: live-capture and network-namespace tests will be skipped" >&2
fi

# Race-detected packages: the ones with goroutines and shared state.
race=(./pcap/)
# The rest: pure code and CLIs (the sans-IO engine has no goroutines).
plain=(./pcap/hexdump/... ./tools/... ./benchmarks/... ./tcpstack/... ./conformance/...)

status=0
"$GO" test -race -count=1 -timeout 20m "${race[@]}" || status=1
# The stack's goroutines under the race detector, over the in-memory link;
# its kernel interop tests (100 MiB each way) run in the plain pass below.
"$GO" test -race -count=1 -timeout 20m -run 'Pipe|Stack|Config' ./tcpstack/ || status=1
"$GO" test -count=1 -timeout 20m -skip '^TestCorpusIdentical$' "${plain[@]}" || status=1
# pcapcat against tcpdump on tcpdump's own test captures: run apart, and
# verbose, so that the figures (packets and files identical) are printed.
"$GO" test -count=1 -timeout 10m -run '^TestCorpusIdentical$' -v ./tools/cmd/pcapcat/ | grep -v '^=== RUN' || status=1
exit $status
