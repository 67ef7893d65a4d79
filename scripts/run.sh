#!/usr/bin/env bash
# Sets up, builds and serves the demo on http://127.0.0.1:${PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/models.sh --fashion
scripts/build-pkg.sh
scripts/build-www.sh
. scripts/env.sh
step "serving"
exec node scripts/serve-static.mjs www/dist "${PORT:-8080}"
