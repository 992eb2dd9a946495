#!/usr/bin/env bash
# npm ci from package-lock.json into node_modules here, only when the lock file changed since the
# last install; lz4's install script builds its native part with node-gyp (the package ships macOS
# binaries). Prints npm's log tail and fails when npm does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -f "$here/node_modules/.package-lock.json" ||
  "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  echo "kafkajs: npm ci in ${here##*/tests/compat/}"
  log=$(mktemp)
  if ! (cd "$here" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
    tail -n 30 "$log"
    rm -f "$log"
    echo "install.sh: npm ci failed in $here" >&2
    exit 2
  fi
  rm -f "$log"
fi
