#!/usr/bin/env bash
# Fuzzes the parsers with cargo-fuzz (libFuzzer, nightly): every target in fuzz/ for a bounded
# time each (default 120 s; `scripts/fuzz.sh 600` for ten minutes, `scripts/fuzz.sh 60
# sync_messages` for one target). Corpora grow in ~/.cache/kindling/fuzz-corpus (outside the
# clone, safe to lose); the seeds in fuzz/seeds start them. A crash stops the run and leaves its
# input in fuzz/artifacts/<target>/: turn it into a regression test before fixing it. Not part
# of scripts/test.sh (it runs for minutes); prints executions and coverage per target.
# KINDLING_FUZZ_RUNS=N stops each target after N executions (the time stays a bound), e.g.
# `KINDLING_FUZZ_RUNS=10000000 scripts/fuzz.sh 7200 sync_messages`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
PER_TARGET="${1:-120}"
ONLY="${2:-}"
RUNS=()
[ -n "${KINDLING_FUZZ_RUNS:-}" ] && RUNS=("-runs=$KINDLING_FUZZ_RUNS")
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-fuzz"
CORPUS="${KINDLING_FUZZ_CORPUS:-$HOME/.cache/kindling/fuzz-corpus}"
cargo +nightly fuzz build -O
for target in $(cargo +nightly fuzz list); do
  [ -n "$ONLY" ] && [ "$ONLY" != "$target" ] && continue
  mkdir -p "$CORPUS/$target" "fuzz/seeds/$target"
  log="$(mktemp)"
  t0=$(date +%s)
  cargo +nightly fuzz run -O "$target" "$CORPUS/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$PER_TARGET" "${RUNS[@]}" -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 > "$log" 2>&1 || {
    tail -40 "$log"
    echo "FUZZ CRASH in $target: the input is in fuzz/artifacts/$target/" >&2
    exit 1
  }
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  corpus=$(ls "$CORPUS/$target" | wc -l)
  printf '%-16s %12s execs in %s s, coverage %s edges, corpus %s inputs\n' "$target" "$execs" "$(( $(date +%s) - t0 ))" "$cov" "$corpus"
  rm -f "$log"
done
