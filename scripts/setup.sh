#!/usr/bin/env bash
# One idempotent set-up for `npm start`, `npm test` and `npm run bench`.
# Every step checks whether its result is already in place (a stamp written only
# after the step succeeded), so a second run does nothing expensive, and an
# interrupted run is simply redone the next time.
#
# Usage: scripts/setup.sh [--with-browser]
#   --with-browser  also install Debian's chromium for the browser tests.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh

WITH_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    *) die "unknown option '$arg' (the only option is --with-browser)." ;;
  esac
done

check_prerequisites() {
  command -v node >/dev/null || die "node is not installed: install Node.js 20 or newer (e.g. 'apt-get install nodejs')."
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js $(node --version) is too old: install Node.js 20 or newer."
  command -v python3 >/dev/null || die "python3 is not installed: install Python 3.10+ (e.g. 'apt-get install python3 python3-venv')."
  python3 -c 'import venv, ensurepip' 2>/dev/null ||
    die "python3 has no venv/ensurepip module: install it (e.g. 'apt-get install python3-venv')."
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    die "python3 is $(python3 --version 2>&1 | cut -d' ' -f2); tensorflow-cpu 2.21 needs Python 3.10 to 3.13."
  if ! binding_is_built; then
    command -v g++ >/dev/null || die "no C++ compiler: install one to build tfjs-node's binding (e.g. 'apt-get install g++ make')."
    command -v make >/dev/null || die "make is not installed: install it (e.g. 'apt-get install make')."
    [ -f /usr/include/node/node_api.h ] || [ -f "$(dirname "$(dirname "$(command -v node)")")/include/node/node_api.h" ] ||
      die "Node.js headers are missing (include/node/node_api.h): install the Node.js package that ships them."
  fi
  local free_gb
  free_gb=$(df -Pk "$ROOT" | awk 'NR==2 {print int($4/1024/1024)}')
  if [ ! -d "$VENV" ] && [ "$free_gb" -lt 6 ]; then
    die "only ${free_gb} GB free on $(df -P "$ROOT" | awk 'NR==2 {print $6}'): the venv needs about 6 GB; free some disk space."
  fi
}

setup_venv() {
  local want
  want="$(hash_files requirements.txt)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.convlens-stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  say "creating the Python venv in .venv (JupyterLab 4, ipywidgets 8, tensorflow-cpu; a few minutes the first time)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  quietly "$VENV/bin/python" -m pip install --disable-pip-version-check -r requirements.txt ||
    die "pip could not install requirements.txt (its output is above); fix that and run again."
  echo "$want" > "$VENV/.convlens-stamp"
}

setup_node_modules() {
  local want
  want="$(hash_files package-lock.json package.json kernel-helpers/package.json kernel-helpers/kernel/package.json widgets/package.json)"
  if [ "$(cat node_modules/.convlens-stamp 2>/dev/null)" = "$want" ]; then
    return
  fi
  say "installing npm packages (npm ci)"
  # Install scripts are skipped: tfjs-node's would download libtensorflow from a
  # host this machine cannot reach, failing the whole install. Its binding is
  # built below against the TensorFlow wheel instead; zeromq ships prebuilds.
  quietly npm ci --ignore-scripts --no-audit --no-fund ||
    die "npm ci failed (its output is above); fix that and run again."
  echo "$want" > node_modules/.convlens-stamp
}

binding_is_built() {
  [ -d node_modules/@tensorflow/tfjs-node ] &&
    ls node_modules/@tensorflow/tfjs-node/lib/napi-v*/tfjs_binding.node >/dev/null 2>&1 &&
    [ -e node_modules/@tensorflow/tfjs-node/deps/lib/libtensorflow_cc.so.2 ]
}

# tfjs-node's binding, built with node-pre-gyp against the tensorflow-cpu wheel's libtensorflow_cc.so.2
# and headers (deps/ links into .venv): kernel-helpers/kernel/src/cli/tfjs-binding.ts, which
# `npx convlens install` runs too. It needs the compiled kernel package, so it runs after the build.
setup_tfjs_binding() {
  if binding_is_built && node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1; then
    return
  fi
  say "building tfjs-node's native binding against the tensorflow-cpu wheel (about 30 s)"
  node kernel-helpers/kernel/dist/cli/tfjs-binding.js "$VENV/bin/python" ||
    die "tfjs-node's binding is not working (the reason is above)."
}

build_typescript() {
  say "compiling TypeScript (kernel-helpers: the library and the kernel; widgets)"
  node_modules/.bin/tsc -b kernel-helpers/kernel
  local want
  want="$(hash_files widgets/package.json widgets/tsconfig.json $(find widgets/src -type f | sort))"
  if [ "$(cat widgets/labextension/.convlens-stamp 2>/dev/null)" != "$want" ]; then
    # The builder is called directly: `jupyter labextension build` would run
    # jlpm (yarn) in this npm workspace, which replaces node_modules.
    (cd widgets && "$ROOT/node_modules/.bin/tsc" -p . &&
      quietly node "$ROOT/node_modules/@jupyter/builder/lib/build-labextension.js" \
        --core-package-file "$ROOT/node_modules/@jupyterlab/core-meta/core.package.json" .)
    echo "$want" > widgets/labextension/.convlens-stamp
  fi
}

copy_sample_photos() {
  # Photos that ship inside scikit-image / scikit-learn (licences in notebooks/images/README.md).
  local want
  want="$(hash_files requirements.txt kernel-helpers/src/demo/photos.ts scripts/sample-images.ts)"
  [ "$(cat notebooks/images/.convlens-stamp 2>/dev/null)" = "$want" ] && return
  quietly node --import tsx scripts/sample-images.ts || die "copying the sample photos failed (output above)."
  echo "$want" > notebooks/images/.convlens-stamp
}

build_compile_cache() {
  # The tutorials' cells compiled once, for every kernel to take instead of compiling them
  # (kernel-helpers/kernel/src/compile-cache.ts): in the notebooks' folder (npm start, the lab) and in
  # an empty folder outside the checkout (a copy of a notebook elsewhere), which compile with
  # different type roots. A stale entry is never used (each is checked against the files it read),
  # so the stamp only saves rebuilding when nothing it depends on changed.
  local cache=kernel-helpers/kernel/compile-cache want elsewhere
  want="$( {
    echo "$ROOT $(node --version)"
    cat notebooks/*.ipynb kernel-helpers/kernel/dist/*.js
    find kernel-helpers/dist node_modules/.convlens-stamp -name '*.d.ts' -printf '%p %s %T@\n' -o -name .convlens-stamp -printf '%p %s %T@\n' | sort
  } | sha256sum | cut -c1-16)"
  [ "$(cat "$cache/.convlens-stamp" 2>/dev/null)" = "$want" ] && return
  say "compiling the tutorials' cells once for every kernel"
  rm -rf "$cache"
  elsewhere="$(mktemp -d)"
  local builder="$ROOT/kernel-helpers/kernel/dist/build-compile-cache.js" rc=0
  (cd notebooks && quietly node "$builder" "$ROOT/$cache" "$ROOT"/notebooks/*.ipynb) &
  local here=$!
  (cd "$elsewhere" && quietly node "$builder" "$ROOT/$cache" "$ROOT"/notebooks/*.ipynb) || rc=$?
  wait "$here" || rc=$?
  rm -rf "$elsewhere"
  [ "$rc" = 0 ] || die "compiling the tutorials' cells failed (output above)."
  echo "$want" > "$cache/.convlens-stamp"
}

install_into_jupyter() {
  # What `npx convlens install` does for any Jupyter: the kernelspec, and the prebuilt labextension as
  # a copy (Voila serves an extension's files only from inside the data folder, not through a link).
  quietly node kernel-helpers/kernel/dist/cli/main.js install --prefix "$VENV" --python "$VENV/bin/python" ||
    die "installing the kernelspec and labextension into .venv failed (output above)."
}

setup_browser() {
  command -v chromium >/dev/null && return
  say "installing Debian's chromium for the browser tests"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "chromium is missing: install Debian's 'chromium' package (apt-get install chromium) as root."
  fi
  # Waits for a dpkg lock held by another install rather than failing at once.
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null ||
    die "apt-get could not install chromium; run 'apt-get install chromium' to see why."
}

check_prerequisites
setup_venv
setup_node_modules
build_typescript
setup_tfjs_binding
copy_sample_photos
build_compile_cache
install_into_jupyter
[ "$WITH_BROWSER" = 1 ] && setup_browser
say "set-up complete"
