#!/usr/bin/env bash
# npm start: set up whatever is missing, then serve JupyterLab on the tutorial.
# CONVLENS_PORT picks the port (default 8888); extra arguments go to `jupyter lab`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
bash scripts/setup.sh
PORT="${CONVLENS_PORT:-8888}"
args=(--no-browser --port="$PORT" --ServerApp.root_dir="$ROOT/notebooks")
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
cd notebooks
# The first tutorial notebook, so the printed URL opens on it.
tutorial="$(ls 0*.ipynb 2>/dev/null | head -n 1 || true)"
say "starting JupyterLab on notebooks/${tutorial:+$tutorial} (the URL with its token follows; Ctrl+C stops it)"
exec "$VENV/bin/jupyter" lab ${tutorial:+"$tutorial"} "${args[@]}" "$@"
