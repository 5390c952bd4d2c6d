#!/usr/bin/env bash
# npm test: the same set-up as npm start (plus Chromium), then every suite.
# Extra arguments are passed to test/run-all.mjs (e.g. a file-name filter).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
bash scripts/setup.sh --with-browser
exec node test/run-all.mjs "$@"
