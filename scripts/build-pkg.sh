#!/usr/bin/env bash
# Builds the npm package in pkg/: the crate compiled to wasm32 (+simd128) with the CPU and
# WebGPU backends, JS glue and TypeScript types from wasm-bindgen (bundler target).
#   scripts/build-pkg.sh              the `fast` profile (tests, CI, the demo)
#   scripts/build-pkg.sh --wasm-opt   the same, then wasm-opt -O3 (npm binaryen; never Debian's
#                                     wasm-opt 108, whose output fails to load)
#   scripts/build-pkg.sh --release    fat LTO + wasm-opt -O3 (publishing)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
PROFILE="$KINDLING_PROFILE"
OPT=0
case "${1:-}" in
  --release) PROFILE=release; OPT=1 ;;
  --wasm-opt) OPT=1 ;;
esac

step "cargo build (wasm32, $PROFILE)"
cargo build -p kindling --lib --target wasm32-unknown-unknown --profile "$PROFILE" --features webgpu
WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$PROFILE/kindling.wasm"

step "wasm-bindgen"
rm -rf pkg
wasm-bindgen --target bundler --out-dir pkg --out-name kindling "$WASM"
if [ "$OPT" = 1 ]; then
  step "wasm-opt -O3 (npm binaryen)"
  node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue pkg/kindling_bg.wasm -o pkg/kindling_bg.wasm
fi
VERSION=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
cat > pkg/package.json <<JSON
{
  "name": "kindling",
  "version": "$VERSION",
  "description": "Browser-side ML runtime: burn models on WebGPU or CPU-SIMD in WebAssembly.",
  "type": "module",
  "main": "kindling.js",
  "module": "kindling.js",
  "types": "kindling.d.ts",
  "files": ["kindling.js", "kindling_bg.js", "kindling_bg.wasm", "kindling.d.ts", "kindling_bg.wasm.d.ts", "snippets"],
  "sideEffects": ["./kindling.js", "./snippets/*"],
  "license": "MIT OR Apache-2.0"
}
JSON
RAW=$(stat -c %s pkg/kindling_bg.wasm)
GZ=$(gzip -9 -c pkg/kindling_bg.wasm | wc -c)
echo "pkg/kindling_bg.wasm ($PROFILE$([ "$OPT" = 1 ] && echo ', wasm-opt -O3')): $RAW bytes raw, $GZ bytes gzip -9"
