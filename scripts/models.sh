#!/usr/bin/env bash
# Writes the model bundles the demo serves into artifacts/models/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
step "cargo build kindling CLI ($KINDLING_PROFILE)"
cargo build -p kindling-server --profile "$KINDLING_PROFILE"
mkdir -p artifacts/models
if [ ! -f artifacts/models/demo/manifest.json ]; then
  step "demo bundle"
  "$KINDLING_BIN" bundle demo --out artifacts/models/demo
fi
