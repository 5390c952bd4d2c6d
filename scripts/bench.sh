#!/usr/bin/env bash
# npm run bench: every measurement of issue 7 (compute, the seed end to end in JupyterLab +
# Chromium, explorer interaction, bytes on the wire, kernel memory, tfjs backends) with the
# baselines run on the same machine in the same invocation; prints one table and writes it to
# bench-results/<timestamp>.json. Needs the set-up of npm test (venv, Chromium, built kernel
# helpers and widget extension). BENCH_RUNS / BENCH_SWITCHES / BENCH_ONLY: see bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
export PATH="$PWD/.venv/bin:$PATH"

node --import tsx bench/run.ts
