#!/usr/bin/env bash
# TypeScript unit tests (node's test runner): the app's DOM-free modules, compiled by tsc to
# CommonJS in artifacts/unit (node 20 runs no TypeScript itself).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf artifacts/unit
npx tsc -p tsconfig.unit.json
echo '{"type": "commonjs"}' > artifacts/unit/package.json
node --test artifacts/unit/tests/unit/
