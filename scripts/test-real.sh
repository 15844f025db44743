#!/usr/bin/env bash
# The real-server tier: the call scenarios on a real FreeSWITCH 1.10.12 and drachtio-server 0.9.10 (from
# ../shared/peers, extracted by scripts/peers.sh) with sipp callers and phones. Part of `npm test`.
# Without ../shared/peers the tier is skipped, loudly, and the rest of the suite still decides the result.
set -euo pipefail
cd "$(dirname "$0")/.."
set +e
bash scripts/peers.sh install
rc=$?
set -e
if [ "$rc" = 3 ]; then
  cat >&2 <<'MSG'

##########################################################################################
##  REAL-SERVER TIER SKIPPED: no ../shared/peers (FreeSWITCH 1.10.12, drachtio-server 0.9.10).
##  Only the emulator tests ran. Put the peers beside the checkout to run the real tier.
##########################################################################################

MSG
  exit 0
fi
if [ "$rc" != 0 ]; then
  echo "[test-real] the real peers could not be installed (exit $rc)" >&2
  exit "$rc"
fi
# A run that was killed (timeout, Ctrl-C) cannot stop its FreeSWITCH: leftovers of this checkout go first.
pkill -f "$PWD/.cache/realfs/" 2>/dev/null || true
rm -rf .cache/realfs
echo "[test-real] real-server tier: FreeSWITCH 1.10.12 and drachtio-server 0.9.10 from ../shared/peers" >&2
exec npx vitest run --config vitest.real.config.ts "$@"
