# Shared by the set-up, start, test and bench scripts (sourced, not run).
VENV="$ROOT/.venv"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

say() { printf 'convlens: %s\n' "$*" >&2; }
die() { printf 'convlens: error: %s\n' "$*" >&2; exit 1; }

# A short fingerprint of the named files' contents (the step stamps compare it).
hash_files() { cat "$@" | sha256sum | cut -c1-16; }

# Runs a noisy command with its output in a log; shows the log's tail only if it fails.
quietly() {
  local log rc=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || tail -n 40 "$log" >&2
  rm -f "$log"
  return "$rc"
}
