#!/usr/bin/env bash
# Installs what a make target needs, when it is missing.
#
#   scripts/deps.sh build   Go's cgo toolchain, libpcap's headers and lwIP (the
#                           conformance suite's lwIP target links it): make build
#   scripts/deps.sh test    build's, plus the reference tools the tests compare
#                           with, the namespace tools and the headless browser
#                           that loads the HTML report: make test, bench,
#                           conformance, fuzz
#
# On Debian/Ubuntu as root it uses apt-get (one `apt-get update` first);
# elsewhere it says what to install.
set -euo pipefail

set_name=${1:-test}
build_pkgs=(gcc libc6-dev make libpcap-dev liblwip-dev)
test_pkgs=(tcpdump iproute2 ethtool xxd bsdextrautils netcat-openbsd curl iperf3
           util-linux procps chromium)
build_cmds=(gcc)
test_cmds=(tcpdump ip tc ethtool xxd hexdump nc curl iperf3 chromium)
case "$set_name" in
  build) pkgs=("${build_pkgs[@]}"); cmds=("${build_cmds[@]}") ;;
  test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}"); cmds=("${build_cmds[@]}" "${test_cmds[@]}") ;;
  *)
    echo "deps: unknown set '$set_name': use 'build' (to compile) or 'test' (to test, benchmark and run the suite)" >&2
    exit 2 ;;
esac

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
else
  # Not a Debian system: check for the commands and headers instead.
  for c in "${cmds[@]}"; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ -e /usr/include/pcap/pcap.h ] || [ -e /usr/local/include/pcap/pcap.h ] || missing+=("libpcap headers")
  [ -e /usr/include/lwip/lwipopts.h ] || missing+=("lwIP 2.1 headers and library in /usr/include/lwip (Debian's liblwip-dev)")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: missing: ${missing[*]}" >&2
    echo "deps: install them with your package manager (libpcap with its headers; for tests also tcpdump, iproute2, ethtool, xxd, hexdump, netcat, curl, iperf3, chromium)" >&2
    echo "deps: (FreeBSD: pkg install libpcap tcpdump; macOS: libpcap ships with the system, brew install iproute2mac)" >&2
    exit 1
  fi
  exit 0
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
