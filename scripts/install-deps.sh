#!/usr/bin/env bash
# Installs every Debian 12 package Tandem needs to build, run and test.
# Idempotent and non-interactive; must run as root (or via sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libssl-dev libzstd-dev libsodium-dev libboost1.81-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev  # GET /metrics
  python3 python3-jsonschema python3-prometheus-client
  clang-16 libclang-rt-16-dev libfuzzer-16-dev  # make test: the ThreadSanitizer and libFuzzer builds
  chromium  # make test: the web administration's browser test (tests/web)
)
# Node.js (18, Debian's, or later) and npm run the browser test; `make test`
# installs its npm packages (tests/web). A machine that has Node.js from
# elsewhere keeps it (Debian's npm package would conflict with it).
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E "$0" "$@"
  fi
  echo "install-deps: missing packages (${missing[*]}); run this script as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
