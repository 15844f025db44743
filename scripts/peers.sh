#!/usr/bin/env bash
# The real peers for the real-server test tier and `npm run bench -- realfs`: FreeSWITCH 1.10.12 (with
# mod_callcenter) and drachtio-server 0.9.10, built from their public sources and kept in ../shared/peers
# (never in this repository). This script only extracts them and installs their Debian runtime libraries.
#
#   scripts/peers.sh install     extract both under /opt/peers (their build prefix) when missing; exit 3 when
#                                ../shared/peers is not there (the tier is then skipped, loudly)
#   scripts/peers.sh check       exit 0 when both are installed and runnable, 3 otherwise
#
# HOTLINE_PEERS_SRC overrides where the tarballs are (default: ../shared/peers beside the checkout).
# Starting them (own ports, own conf dir installed by freeswitch-conf/install.sh, normal priority) is done
# per test run by test/real/harness.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC="${HOTLINE_PEERS_SRC:-$(cd .. && pwd)/shared/peers}"
FS_PREFIX=/opt/peers/freeswitch
DR_PREFIX=/opt/peers/drachtio
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

say() { echo "[peers] $*" >&2; }

installed() {
  [ -x "$FS_PREFIX/bin/freeswitch" ] && [ -f "$FS_PREFIX/lib/freeswitch/mod/mod_callcenter.so" ] &&
    [ -x "$DR_PREFIX/bin/drachtio" ] && ! ldd "$FS_PREFIX/bin/freeswitch" | grep -q 'not found' &&
    ! ldd "$FS_PREFIX/lib/freeswitch/mod/mod_sofia.so" "$FS_PREFIX/lib/freeswitch/mod/mod_sndfile.so" | grep -q 'not found' &&
    ! ldd "$DR_PREFIX/bin/drachtio" | grep -q 'not found'
}

case "${1:-install}" in
  check)
    installed && exit 0
    exit 3
    ;;
  install)
    if installed; then exit 0; fi
    if [ ! -f "$SRC/freeswitch-1.10.12.tar.xz" ] || [ ! -f "$SRC/drachtio-0.9.10.tar.xz" ]; then
      say "no real peers at $SRC (freeswitch-1.10.12.tar.xz, drachtio-0.9.10.tar.xz)"
      exit 3
    fi
    pkgs=(libcurl4 libedit2 libsndfile1 libspeex1 libspeexdsp1 libsqlite3-0 libssl3 libtiff6 libjpeg62-turbo
      libpcre3 libuuid1 libopus0
      # drachtio-server's boost libraries (libboost-filesystem comes with log; libcurl4, libssl3 are above)
      libboost-thread1.74.0 libboost-log1.74.0)
    missing=()
    for p in "${pkgs[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      say "installing Debian runtime packages: ${missing[*]}"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # FreeSWITCH was built for this prefix (rpath, module and conf paths): relocated, it crashes at start.
    if [ ! -x "$FS_PREFIX/bin/freeswitch" ]; then
      say "extracting FreeSWITCH 1.10.12 into $FS_PREFIX"
      $SUDO mkdir -p "$FS_PREFIX"
      $SUDO tar -xJf "$SRC/freeswitch-1.10.12.tar.xz" -C "$FS_PREFIX"
    fi
    if [ ! -x "$DR_PREFIX/bin/drachtio" ]; then
      say "extracting drachtio-server 0.9.10 into $DR_PREFIX"
      $SUDO mkdir -p /opt/peers
      $SUDO tar -xJf "$SRC/drachtio-0.9.10.tar.xz" -C /opt/peers
    fi
    if ! installed; then
      say "the peers do not run here:"
      ldd "$FS_PREFIX/bin/freeswitch" | grep 'not found' >&2 || true
      ldd "$DR_PREFIX/bin/drachtio" | grep 'not found' >&2 || true
      exit 1
    fi
    say "FreeSWITCH and drachtio-server installed under /opt/peers"
    ;;
  *)
    echo "usage: scripts/peers.sh install|check" >&2
    exit 2
    ;;
esac
