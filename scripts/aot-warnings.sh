#!/usr/bin/env bash
# The trim/AOT warnings of a Native AOT publish, against the list of those accounted for (docs/aot-warnings.md says,
# for each, which of our paths reaches it and which process test proves that path in the AOT binary).
#   scripts/aot-warnings.sh PUBLISH_LOG BASELINE            fails when the log has a warning BASELINE does not list
#   scripts/aot-warnings.sh PUBLISH_LOG BASELINE --write    rewrites BASELINE's entries from the log (keeps its comments)
# A warning is identified by its code, the method that warns and the member it uses: no file, line or path, so the
# same warning from a rebuilt dependency matches.
set -euo pipefail
log="$1"; baseline="$2"
found="$(grep -oE "warning IL[0-9]+: [^']*'[^']*'([^']*'[^']*')?" "$log" | sed -E 's/^warning //' | LC_ALL=C sort -u || true)"

if [ "${3:-}" = "--write" ]; then
  { grep '^#' "$baseline" 2>/dev/null || true; printf '%s\n' "$found"; } > "$baseline.new"
  mv "$baseline.new" "$baseline"
  echo "aot-warnings: wrote $(printf '%s\n' "$found" | grep -c . || true) warnings to $baseline"
  exit 0
fi

known="$(grep -v '^#' "$baseline" | grep . | LC_ALL=C sort -u)"
new="$(LC_ALL=C comm -23 <(printf '%s\n' "$found" | grep .) <(printf '%s\n' "$known") || true)"
gone="$(LC_ALL=C comm -13 <(printf '%s\n' "$found" | grep .) <(printf '%s\n' "$known") || true)"
if [ -n "$gone" ]; then
  echo "aot-warnings: no longer reported (remove from $(basename "$baseline") and docs/aot-warnings.md):"
  printf '  %s\n' "$gone"
fi
if [ -n "$new" ]; then
  echo "aot-warnings: trim/AOT warnings not accounted for in $(basename "$baseline") and docs/aot-warnings.md:" >&2
  printf '  %s\n' "$new" >&2
  exit 1
fi
echo "aot-warnings: $(printf '%s\n' "$found" | grep -c . || true) trim/AOT warnings, all accounted for"
