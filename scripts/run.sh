#!/usr/bin/env bash
# Sets up everything, trains the MNIST model, builds the npm package and the demo, prepares a
# SQLite database with a project of 2,000 digits to label (the trained model published as its
# current version), and serves the API and the demo on http://127.0.0.1:${PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/models.sh
scripts/build-pkg.sh
scripts/build-www.sh
. scripts/env.sh
DB="sqlite://kindling-data/kindling.db"
if [ ! -f kindling-data/kindling.db ]; then
  step "database with a project to label"
  "$KINDLING_BIN" admin user-add admin --db "$DB" >/dev/null
  "$KINDLING_BIN" admin token-create admin --db "$DB" > kindling-data/admin-token
  "$KINDLING_BIN" admin project-create --id mnist --name "MNIST digits" --labels 0,1,2,3,4,5,6,7,8,9 --owner admin --db "$DB" >/dev/null
  "$KINDLING_BIN" admin import --project mnist --data mnist --limit 2000 --db "$DB"
  "$KINDLING_BIN" admin publish --project mnist --bundle artifacts/models/mnist --current --db "$DB"
fi
step "serving"
echo "demo:      http://127.0.0.1:${PORT:-8080}/"
echo "API:       http://127.0.0.1:${PORT:-8080}/api/v1/  (token in kindling-data/admin-token: $(cat kindling-data/admin-token))"
exec "$KINDLING_BIN" serve --db "$DB" --addr "127.0.0.1:${PORT:-8080}" --static-dir www/dist
