#!/usr/bin/env bash
# `make agents`: the conformance agent for target hosts, cross-compiled
# without cgo (pure Go: golang.org/x/sys/unix for the kernel's sockets) into
# bin/agents/tcpregress-agent-OS-ARCH. A build without cgo is tcpregress
# with `list` and `agent` (kernel sockets), but not `run` (its tester
# captures with libpcap); copy the binary to the target and start it there
# with `tcpregress-agent-OS-ARCH agent --listen :7000`.
#
# Usage: scripts/agents.sh [OS/ARCH ...]   (default: linux, freebsd, darwin
# on amd64 and arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
LDFLAGS="-s -w -X tcpregress.dev/tools/cli.Version=${VERSION}"
out=bin/agents

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(linux/amd64 linux/arm64 freebsd/amd64 freebsd/arm64 darwin/amd64 darwin/arm64)
fi

mkdir -p "$out"
status=0
for t in "${targets[@]}"; do
  os=${t%/*} arch=${t#*/}
  bin="$out/tcpregress-agent-$os-$arch"
  if CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "$LDFLAGS" \
      -o "$bin" ./conformance/cmd/tcpregress; then
    echo "agents: $bin"
  else
    echo "agents: $os/$arch failed" >&2
    status=1
  fi
done
exit $status
