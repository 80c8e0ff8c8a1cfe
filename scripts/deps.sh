#!/usr/bin/env bash
# Installs what building and testing tcpregress needs, when it is missing.
# On Debian/Ubuntu as root it uses apt-get (one `apt-get update` first);
# elsewhere it says what to install.
set -euo pipefail

pkgs=(gcc libc6-dev make libpcap-dev tcpdump iproute2 ethtool xxd bsdextrautils
      netcat-openbsd curl iperf3 util-linux procps)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
else
  # Not a Debian system: check for the commands and headers instead.
  for c in gcc tcpdump ip ethtool xxd hexdump nc curl; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [ -e /usr/include/pcap/pcap.h ] || [ -e /usr/local/include/pcap/pcap.h ] || missing+=("libpcap headers")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: missing: ${missing[*]}" >&2
    echo "deps: install libpcap (with headers), tcpdump, iproute2, ethtool, xxd, hexdump, netcat and curl with your package manager" >&2
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
