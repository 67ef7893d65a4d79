#!/usr/bin/env bash
# The long sync simulation (benchmark, not part of the test run): 30,000 random steps against
# the real server on SQLite and PostgreSQL. KINDLING_SIM_SEED replays a run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
KINDLING_TEST_POSTGRES=$(scripts/postgres.sh start)
export KINDLING_TEST_POSTGRES
export KINDLING_SIM_STEPS="${KINDLING_SIM_STEPS:-30000}"
time cargo test --profile "$KINDLING_PROFILE" -p kindling-server --test sync_sim -- --nocapture
