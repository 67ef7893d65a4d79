#!/usr/bin/env bash
# Unit tests (node's test runner): the app's DOM-free TypeScript modules, compiled by tsc to
# CommonJS in artifacts/unit (node 20 runs no TypeScript itself), and the build scripts' own
# logic (tests/scripts/).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf artifacts/unit
npx tsc -p tsconfig.unit.json
echo '{"type": "commonjs"}' > artifacts/unit/package.json
node --test artifacts/unit/tests/unit/
node --test tests/scripts/
