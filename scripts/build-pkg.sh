#!/usr/bin/env bash
# Builds the npm package in pkg/ from three wasm32 (+simd128) builds of the crate, JS glue and
# TypeScript types from wasm-bindgen:
#   pkg/                  `kindling`: the CPU module (burn flex) — what a CPU-only page downloads
#   pkg/web/              `kindling/web`: the same CPU module bound for plain ES modules (no
#                         bundler: `<script type="module">`, a CDN), with an `init()` to call;
#                         pkg/kindling_relaxed_bg.wasm is its relaxed-SIMD build (same glue)
#   pkg/webgpu/           `kindling/webgpu`: the same API with the WebGPU backend added (it runs
#                         on the CPU too), for pages that choose WebGPU
#   pkg/webgpu/web/       `kindling/webgpu/web`: the WebGPU module for plain ES modules (`init()`)
#   pkg/worker/           `kindling/worker`: `WorkerSession`, sessions in a Web Worker (inside it
#                         `kindling/web`, `kindling/webgpu/web` or `kindling/threads`, as each
#                         session's device and threads ask), compiled by tsc from js/worker/
#   pkg/threads/          `kindling/threads`: the CPU module with wasm threads (+atomics, a rayon
#                         pool on Web Workers; `--target web`, for a Web Worker of a cross-origin
#                         isolated page). Built with the nightly toolchain (-Z build-std) in its
#                         own target directory ($CARGO_TARGET_DIR-threads).
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
# Both stable variants are written to the same kindling.wasm, so each is bound right after its build.
variant() {
  local out="$1" web="$2"; shift 2
  step "cargo build (wasm32, $PROFILE, $*)"
  cargo build -p kindling --lib --target wasm32-unknown-unknown --profile "$PROFILE" "$@"
  bind "$out" bundler "$WASM"
  if [ -n "$web" ]; then bind "$web" web "$WASM"; fi
}

# Binds (wasm-bindgen) and optionally optimizes a built module into the folder $1.
# Extra arguments go to wasm-opt (the features of a build beyond the common ones).
bind() {
  local out="$1" target="$2" wasm="$3"; shift 3
  step "wasm-bindgen --target $target → $out"
  wasm-bindgen --target "$target" --out-dir "$out" --out-name kindling "$wasm"
  if [ "$OPT" = 1 ]; then
    step "wasm-opt -O3 (npm binaryen) $out"
    node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue "$@" \
      "$out/kindling_bg.wasm" -o "$out/kindling_bg.wasm"
  fi
}
variant pkg pkg/web --no-default-features --features cpu

# Ships a relaxed-SIMD build's wasm $1 as $3, bound by the SIMD128 build's glue $2: fails unless
# its own wasm-bindgen glue is the same code up to the numbering of wasm-bindgen's generic
# intrinsics (closures made for JS), which can differ between the two builds — the wasm's
# imports are then renamed to the SIMD128 glue's numbering (scripts/relaxed-glue.mjs). Extra
# arguments go to wasm-opt.
ship_relaxed() {
  local wasm="$1" glue="$2" dest="$3"; shift 3
  local tmp; tmp="$(mktemp -d)"
  bind "$tmp" web "$wasm" --enable-relaxed-simd "$@"
  node scripts/relaxed-glue.mjs "$tmp" "$glue"
  mv "$tmp/kindling_bg.wasm" "$dest"
  rm -rf "$tmp"
}

# The same CPU module with relaxed SIMD (`f32x4.relaxed_madd`: one fused multiply-add in the
# kernels) for engines that validate it (`cpuWasmUrl()` of kindling/worker picks it): only the
# kindling crate gets +relaxed-simd (`cargo rustc --`), so the dependencies stay the SIMD128
# build's (one crate recompiles; macerator's own relaxed path does not build). Same JS glue as
# kindling/web, checked: only the wasm ships, as pkg/kindling_relaxed_bg.wasm.
step "cargo rustc (wasm32, $PROFILE, cpu, +relaxed-simd)"
cargo rustc -p kindling --lib --target wasm32-unknown-unknown --profile "$PROFILE" \
  --no-default-features --features cpu -- -C target-feature=+simd128,+relaxed-simd
ship_relaxed "$WASM" pkg/web/kindling.js pkg/kindling_relaxed_bg.wasm

variant pkg/webgpu pkg/webgpu/web --features webgpu

# A `web` binding's wasm is the bundler binding's, byte for byte: ship it once, and point the
# web glue's default URL at the bundler folder's copy (bundlers follow `new URL(…, import.meta.url)`).
share_wasm() {
  local web="$1"
  cmp -s "$web/kindling_bg.wasm" "$web/../kindling_bg.wasm" || { echo "$web: wasm differs from ../kindling_bg.wasm" >&2; exit 1; }
  rm "$web/kindling_bg.wasm" "$web/kindling_bg.wasm.d.ts"
  sed -i "s|new URL('kindling_bg.wasm', import.meta.url)|new URL('../kindling_bg.wasm', import.meta.url)|" "$web/kindling.js"
  grep -q "new URL('../kindling_bg.wasm', import.meta.url)" "$web/kindling.js" || { echo "$web: wasm URL not found in the glue" >&2; exit 1; }
}
share_wasm pkg/web
share_wasm pkg/webgpu/web

# The threaded CPU module: std rebuilt with atomics (nightly), shared memory up to 4 GiB, imported
# (wasm-bindgen gives every thread the same memory); the link args apply to kindling alone.
THREADS_TARGET="$CARGO_TARGET_DIR-threads"
THREADS_WASM="$THREADS_TARGET/wasm32-unknown-unknown/$PROFILE/kindling.wasm"
# Builds the threaded module; extra arguments go to rustc for the kindling crate alone.
threads_build() {
  CARGO_TARGET_DIR="$THREADS_TARGET" \
    RUSTFLAGS='-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals --cfg getrandom_backend="wasm_js" -C link-arg=--max-memory=4294967296' \
    cargo +nightly rustc -p kindling --lib --target wasm32-unknown-unknown --profile "$PROFILE" \
    --no-default-features --features threads -Z build-std=panic_abort,std -- \
    -C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--export=__wasm_init_tls \
    -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align -C link-arg=--export=__tls_base "$@"
}
step "cargo +nightly build (wasm32, $PROFILE, threads)"
threads_build
bind pkg/threads web "$THREADS_WASM" --enable-threads
# Its relaxed-SIMD build, as for the one-thread module: pkg/threads/kindling_relaxed_bg.wasm.
step "cargo +nightly build (wasm32, $PROFILE, threads, +relaxed-simd)"
threads_build -C target-feature=+relaxed-simd
ship_relaxed "$THREADS_WASM" pkg/threads/kindling.js pkg/threads/kindling_relaxed_bg.wasm --enable-threads
# wasm-bindgen-rayon's worker imports the module as '../../..' (the folder): name its entry.
# No "type": "module" here: that would make bundlers require a fully specified '../../..'.
echo '{ "main": "kindling.js" }' > pkg/threads/package.json
rm -f pkg/webgpu/package.json pkg/web/package.json pkg/webgpu/web/package.json pkg/.gitignore pkg/webgpu/.gitignore pkg/web/.gitignore pkg/webgpu/web/.gitignore pkg/threads/.gitignore

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
    "./web": { "types": "./web/kindling.d.ts", "default": "./web/kindling.js" },
    "./worker": { "types": "./worker/client.d.ts", "default": "./worker/client.js" },
    "./webgpu": { "types": "./webgpu/kindling.d.ts", "default": "./webgpu/kindling.js" },
    "./webgpu/web": { "types": "./webgpu/web/kindling.d.ts", "default": "./webgpu/web/kindling.js" },
    "./threads": { "types": "./threads/kindling.d.ts", "default": "./threads/kindling.js" },
    "./package.json": "./package.json"
  },
  "files": ["kindling.js", "kindling_bg.js", "kindling_bg.wasm", "kindling_relaxed_bg.wasm", "kindling.d.ts", "kindling_bg.wasm.d.ts", "snippets", "web", "worker", "webgpu", "threads", "README.md"],
  "sideEffects": ["./kindling.js", "./snippets/*", "./webgpu/kindling.js", "./webgpu/snippets/*", "./threads/kindling.js", "./threads/snippets/**"],
  "license": "MIT OR Apache-2.0"
}
JSON
step "tsc: kindling/worker (js/worker → pkg/worker)"
npx tsc -p tsconfig.package.json
cp docs/package-readme.md pkg/README.md
step "sizes"
node scripts/wasm-sizes.mjs pkg/kindling_bg.wasm pkg/kindling_relaxed_bg.wasm pkg/webgpu/kindling_bg.wasm pkg/threads/kindling_bg.wasm pkg/threads/kindling_relaxed_bg.wasm
