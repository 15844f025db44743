#!/usr/bin/env bash
# One-shot set-up for a fresh Debian machine with Node 20 and npm: Debian packages, npm deps, a local Redis.
# Safe to run again: every step is skipped when already done.
#   scripts/setup.sh          what the router and the demo need (redis-server)
#   scripts/setup.sh --test   also what the tests drive: Chromium and a CJK font (agent desktop page), sipp (SIP edge)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--test" ]; then
  HOTLINE_SETUP_BROWSER=1
  HOTLINE_SETUP_SIP=1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_pkgs=()
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
if [ "${HOTLINE_SETUP_BROWSER:-0}" = "1" ]; then
  command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
  # The desktop page's screenshots must show Chinese, not boxes.
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_pkgs+=(fonts-noto-cjk)
fi
if [ "${HOTLINE_SETUP_SIP:-0}" = "1" ]; then
  command -v sipp >/dev/null 2>&1 || need_pkgs+=(sip-tester)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile.
stamp=node_modules/.setup-stamp
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# Redis on 127.0.0.1 when none answers.
REDIS_PORT="${HOTLINE_REDIS_PORT:-6379}"
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "[setup] starting redis-server on 127.0.0.1:$REDIS_PORT"
  mkdir -p .cache/redis
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no \
    --dir "$PWD/.cache/redis" --logfile "$PWD/.cache/redis/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null
fi
