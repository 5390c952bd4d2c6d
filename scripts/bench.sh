#!/usr/bin/env bash
# npm run bench: speed targets as ratios against a reference measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
export PATH="$PWD/.venv/bin:$PATH"

echo "== compute: featureMaps vs Keras"
node --import tsx bench/compute.ts "${BENCH_RUNS:-7}"
