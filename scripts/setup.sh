#!/usr/bin/env bash
# Idempotent project setup: Debian packages the project needs (only those missing), then
# node_modules (only when the lockfile changed since the last install). Quiet when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'meshcap setup: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# Debian packages: binary we probe -> package that provides it.
declare -A NEEDED=(
  [iptables]=iptables
  [nft]=nftables
  [ip]=iproute2
  [conntrack]=conntrack
  [curl]=curl
  [ping]=iputils-ping
  [chromium]=chromium
  [haproxy]=haproxy
  [iperf3]=iperf3
  [wrk]=wrk
  [h2load]=nghttp2-client
  [pg_ctlcluster]=postgresql
  [dnsmasq]=dnsmasq-base
  [dig]=bind9-dnsutils
  [dnsperf]=dnsperf
  [openssl]=openssl
)
missing=()
for bin in "${!NEEDED[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ] && [ ! -x "/usr/bin/$bin" ]; then
    missing+=("${NEEDED[$bin]}")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(uname -s)" = Linux ] || fail "meshcap needs Linux (found $(uname -s))"
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and no apt-get to install them; install them by hand"
  if [ "$(id -u)" -ne 0 ]; then
    fail "missing Debian packages: ${missing[*]}. Run 'sudo bash scripts/setup.sh' once, or install them by hand"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  stamp=/var/lib/apt/periodic/meshcap-update-stamp
  if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
    apt-get update -qq || fail "apt-get update failed"
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/meshcap-apt.log 2>&1 \
    || { tail -20 /tmp/meshcap-apt.log >&2; fail "apt-get install ${missing[*]} failed (log: /tmp/meshcap-apt.log)"; }
fi

# Node dependencies: install when the lockfile is newer than the last install.
command -v node >/dev/null 2>&1 || fail "node is not installed"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "Node >= 20.19 required (found $(node -v))"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp_file=node_modules/.meshcap-install-stamp
if [ ! -f "$stamp_file" ] || [ "$(cat "$stamp_file")" != "$lock_sum-$(node -v)" ]; then
  # `npm install` rather than `npm ci`: this npm leaves other platforms' optional packages (turbo's
  # binaries) out of the lockfile, which `npm ci` then rejects. With the lockfile present it
  # installs exactly the locked versions.
  say "installing node modules"
  npm install --no-audit --no-fund --loglevel=error >&2 || fail "npm install failed"
  echo "$lock_sum-$(node -v)" > "$stamp_file"
fi
