#!/usr/bin/env bash
# Builds the npm package in pkg/ from two wasm32 (+simd128) builds of the crate, JS glue and
# TypeScript types from wasm-bindgen (bundler target):
#   pkg/                  `kindling`: the CPU module (burn flex) — what a CPU-only page downloads
#   pkg/webgpu/           `kindling/webgpu`: the same API with the WebGPU backend added (it runs
#                         on the CPU too), for pages that choose WebGPU
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
WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$PROFILE/kindling.wasm"
rm -rf pkg

# Builds one variant with the given cargo feature flags and binds it into the folder $1.
# Both variants are written to the same kindling.wasm, so each is bound right after its build.
variant() {
  local out="$1"; shift
  step "cargo build (wasm32, $PROFILE, $*)"
  cargo build -p kindling --lib --target wasm32-unknown-unknown --profile "$PROFILE" "$@"
  step "wasm-bindgen → $out"
  wasm-bindgen --target bundler --out-dir "$out" --out-name kindling "$WASM"
  if [ "$OPT" = 1 ]; then
    step "wasm-opt -O3 (npm binaryen) $out"
    node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$out/kindling_bg.wasm" -o "$out/kindling_bg.wasm"
  fi
}
variant pkg --no-default-features --features cpu
variant pkg/webgpu --features webgpu
rm -f pkg/webgpu/package.json pkg/.gitignore pkg/webgpu/.gitignore

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
  "exports": {
    ".": { "types": "./kindling.d.ts", "default": "./kindling.js" },
    "./webgpu": { "types": "./webgpu/kindling.d.ts", "default": "./webgpu/kindling.js" },
    "./package.json": "./package.json"
  },
  "files": ["kindling.js", "kindling_bg.js", "kindling_bg.wasm", "kindling.d.ts", "kindling_bg.wasm.d.ts", "snippets", "webgpu"],
  "sideEffects": ["./kindling.js", "./snippets/*", "./webgpu/kindling.js", "./webgpu/snippets/*"],
  "license": "MIT OR Apache-2.0"
}
JSON
step "sizes"
node scripts/wasm-sizes.mjs pkg/kindling_bg.wasm pkg/webgpu/kindling_bg.wasm
