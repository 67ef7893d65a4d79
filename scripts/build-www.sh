#!/usr/bin/env bash
# Type-checks and bundles the front end (www/ → www/dist) against pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
step "tsc --noEmit"
npx tsc --noEmit -p tsconfig.json
step "webpack"
npx webpack --mode production
