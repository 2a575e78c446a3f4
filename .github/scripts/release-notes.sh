#!/usr/bin/env bash
# release-notes.sh VERSION [CHANGELOG]: prints the CHANGELOG section of
# VERSION (the lines under "## VERSION" or "## VERSION - date", up to the
# next "## " heading), for the GitHub release's notes. A version without a
# section, or with an empty one, fails: a release says what changed.
set -euo pipefail
version="${1:?usage: release-notes.sh VERSION [CHANGELOG]}"
changelog="${2:-CHANGELOG.md}"
notes="$(awk -v v="$version" '
  /^## / { if (found) exit; split($0, f, " "); if (f[2] == v) { found = 1; next } }
  found { print }
' "$changelog")"
if [ -z "$(printf '%s' "$notes" | tr -d '[:space:]')" ]; then
  echo "release-notes.sh: $changelog has no notes for $version (add a \"## $version\" section)" >&2
  exit 1
fi
printf '%s\n' "$notes"
