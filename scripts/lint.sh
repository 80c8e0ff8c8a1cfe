#!/usr/bin/env bash
# `make lint`: formatting, go vet, and the rules that keep a clone of the
# repository standing alone:
#   - no Go, shell or make file reaches outside the checkout (a relative
#     path that climbs above the repository root, or the reference folder
#     that sits beside the developers' checkout);
#   - no tracked file is an executable binary or larger than 2 MiB;
#   - every command's `go build` output is ignored by git.
# Each failure names the file and how to fix it.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
status=0
fail() { echo "lint: $*" >&2; status=1; }

# gofmt and go vet.
unformatted=$(git ls-files -z '*.go' | xargs -0 -r gofmt -l)
if [ -n "$unformatted" ]; then
  fail "gofmt needed (run: gofmt -w FILE):"
  echo "$unformatted" >&2
fi
"$GO" vet ./pcap/... ./tcpstack/... ./tools/... ./benchmarks/... ./conformance/... || status=1

# No cgo where none is needed: only live captures (pcap, tcpstack/link/pcap,
# the harness, capturing tools) need libpcap.
CGO_ENABLED=0 "$GO" build ./tcpstack/tcp/ ./tcpstack/probe/ ./conformance/suite/ ./conformance/cases/ ./conformance/report/ ./conformance/agent/ ./conformance/cmd/tcpregress ||
  fail "CGO_ENABLED=0 go build failed (above): these packages must build without cgo; if one now imports libpcap (tcpregress.dev/pcap, tcpstack/link/pcap, the harness), keep that behind //go:build cgo"

# The agent and tcpregress run on the BSDs and macOS too (the agent's
# kernel_darwin.go, kernel_freebsd.go): their code and tests must vet there.
for goos in darwin freebsd; do
  GOOS=$goos CGO_ENABLED=0 "$GO" vet ./conformance/agent/ ./conformance/cmd/tcpregress/ ||
    fail "GOOS=$goos go vet failed (above): the agent must build on $goos with its tests; put Linux-only code and test helpers in _linux.go files or behind //go:build linux"
done

# Paths outside the checkout. The reference folder's name is assembled so
# this file does not name it.
beside='\.\./'"shared"
while IFS= read -r hit; do
  fail "$hit: names the folder beside the developers' checkout; a clone has nothing beside it: copy what is needed into the repository (testdata/)"
done < <(git grep -nIE "$beside" -- ':!*.md' 2>/dev/null)
while IFS= read -r hit; do
  fail "$hit: names the folder beside the developers' checkout, which a clone does not have: link to a file in the repository instead"
done < <(git grep -nIE "$beside" -- '*.md' 2>/dev/null)

# A relative path climbs above the root when it has more leading ".."
# elements than the directory it is read from is deep. Go code is read from
# its package directory (go test's working directory); shell and make files
# from the repository root, where the scripts cd first (the one ".." they
# may use is that cd, from their own directory).
while IFS= read -r f; do
  [ -f "$f" ] || continue
  depth=0
  case "$f" in
    *.go)
      dir=$(dirname "$f")
      [ "$dir" = . ] || depth=$(($(tr -cd / <<<"$dir" | wc -c) + 1)) ;;
  esac
  while IFS=: read -r line text; do
    text=${text//'$(dirname "$0")/..'/}
    # "../../x" in strings and comments, and filepath.Join("..", "..", ...).
    n=$(grep -oE '(^|[ "'"'"'=(:/])(\.\./)*\.\.(/|[ "'"'"')]|$)' <<<"$text" | awk '{ c = gsub(/\.\./, ""); if (c > m) m = c } END { print m + 0 }')
    j=$(grep -oE '"\.\."(, *"\.\.")*' <<<"$text" | awk '{ c = gsub(/\.\./, ""); if (c > m) m = c } END { print m + 0 }')
    [ "$j" -gt "$n" ] && n=$j
    if [ "$n" -gt "$depth" ]; then
      fail "$f:$line: a relative path climbs $n levels from a directory $depth deep, out of the repository: keep what it reads inside the checkout"
    fi
  done < <(grep -nE '(^|[^.])\.\.(/|[ "'"'"')]|$)' "$f" || true)
done < <(git ls-files '*.go' '*.sh' 'Makefile' '.ci/*' ':!scripts/lint.sh')

# Binaries and large files.
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  size=$(stat -c %s "$f")
  if [ "$size" -gt $((2 * 1024 * 1024)) ]; then
    fail "$f: $size bytes is over the 2 MiB limit for a tracked file: generate it in a script (as benchmarks/cmd/gencaptures does) or keep it out of git"
  fi
  magic=$(od -An -tx1 -N4 "$f" | tr -d ' \n')
  case "$magic" in
    7f454c46|cffaedfe|cefaedfe|feedfacf|feedface|cafebabe|4d5a*)
      fail "$f: an executable binary is tracked: git rm --cached '$f' and let .gitignore cover it" ;;
  esac
done < <(git ls-files -z)

# Every package main's `go build` output (named after its directory) is ignored.
while IFS= read -r dir; do
  name=$(basename "$dir")
  for bin in "$dir/$name" "${dir%%/*}/$name" "$name"; do
    git check-ignore -q --no-index "$bin" ||
      fail "$bin: 'go build' writes this binary and .gitignore does not cover it: add the line $name to .gitignore"
  done
done < <(git grep -l '^package main$' -- '*.go' | xargs -r -n1 dirname | sort -u)

if [ $status -eq 0 ]; then
  echo "lint: ok"
fi
exit $status
