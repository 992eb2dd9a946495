#!/usr/bin/env bash
# Fails when a hand-written C++ file is not clang-format clean. Generated code is checked by the
# codegen drift test instead.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format-14}
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cc' |
  grep -v -e '^src/protocol/generated/' -e '^src/protocol/tests/generated/' || true)
((${#files[@]})) || exit 0
"$fmt" --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
