#!/usr/bin/env bash
# npm start: set up whatever is missing, then serve JupyterLab on the tutorial.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
bash scripts/setup.sh
PORT="${CONVLENS_PORT:-8888}"
args=(--no-browser --port="$PORT" --ServerApp.root_dir="$ROOT/notebooks")
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
say "starting JupyterLab on notebooks/ (the URL with its token follows; Ctrl+C stops it)"
exec "$VENV/bin/jupyter" lab "${args[@]}" "$@"
