#!/usr/bin/env bash
# Runs every test and prints one closing line: "tests: N passed, N failed, N skipped" (parsed from the TRX file).
set -uo pipefail
cd "$(dirname "$0")/.."
results="$(pwd)/TestResults"
rm -rf "$results"
dotnet test SecretRotator.sln --nologo --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "tests: 0 passed, 1 failed (no TRX file: the test run did not complete)"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
total=$(get total); executed=$(get executed); passed=$(get passed); failed=$(get failed)
errors=$(get error); timeouts=$(get timeout); aborted=$(get aborted)
failed=$((failed + ${errors:-0} + ${timeouts:-0} + ${aborted:-0}))
skipped=$((total - executed))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
