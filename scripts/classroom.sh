#!/usr/bin/env bash
# npm run classroom: set up whatever is missing, then open a local JupyterHub for a class
# (scripts/classroom.py; `npm run classroom -- --help` lists the options).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
case " $* " in
  *" --help "* | *" -h "*) ;;
  *) bash scripts/setup.sh ;;
esac
exec "$VENV/bin/python" scripts/classroom.py "$@"
