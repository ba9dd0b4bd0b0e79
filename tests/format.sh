#!/usr/bin/env bash
# format.sh - the C sources of host/ and tests/ follow .clang-format (clang-format 14's
# --dry-run --Werror); skipped (77) where clang-format is not installed.
set -u
src=${SB_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
command -v clang-format >/dev/null || { echo "clang-format not found: skipping"; exit 77; }
cd "$src" || exit 1
files=$(ls host/*/*.c host/*/*.h tests/*.c tests/*.h)
bad=0 good=0
for f in $files; do
    if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then good=$((good+1))
    else bad=$((bad+1)); echo "FAIL $f is not formatted (clang-format -i $f)"; fi
done
echo "$good passed, $bad failed"
[ "$bad" -eq 0 ]
