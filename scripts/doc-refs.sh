#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Check the repository's references to documents.
#
#  (a) No tracked file may point at a document outside the repository:
#      "shared/", "eventpoll-spec" or "conventions.md" anywhere, or a
#      "design.md" outside docs/ that is not "docs/design.md".
#  (b) Every citation "§N", "§N.N", "§N.N (x)" (and the end of a range
#      "§N.N (x)-(y)") in module/, kunit/, selftests/, tools/, include/,
#      scripts/, docs/ and README.md must name a heading ("## N." or
#      "### N.N") of docs/epoll-semantics.md, or a labelled example
#      ("**(x)" at the start of a line) under that heading.
#
# Prints every offending file:line and the unresolved citations; exits 1 if
# there is any, 0 otherwise.  Usage: scripts/doc-refs.sh [-q]

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
SEM=docs/epoll-semantics.md
SELF=scripts/doc-refs.sh
QUIET=0
[[ ${1:-} == -q ]] && QUIET=1
bad=0

say() { ((QUIET)) || printf '%s\n' "$*"; }

# --- (a) documents outside the repository ------------------------------------
outside=$(git grep -nIE 'shared/|eventpoll-spec|conventions\.md' -- . ":!$SELF" || true)
# Outside docs/, "design.md" must be docs/design.md.
design=$(git grep -nIF 'design.md' -- . ':!docs/' ":!$SELF" |
	awk '{ line = $0; sub(/^[^:]*:[0-9]+:/, "", line)
	       gsub(/docs\/design\.md/, "", line)
	       if (line ~ /design\.md/) print }' || true)
refs=$(printf '%s\n%s\n' "$outside" "$design" | sed '/^$/d' | sort -u)
if [[ -n $refs ]]; then
	say "doc-refs: references to documents outside the repository:"
	while IFS= read -r l; do say "  ${l:0:160}"; done <<<"$refs"
	bad=1
fi

# --- (b) section citations ---------------------------------------------------
[[ -f $SEM ]] || { echo "doc-refs: $SEM missing" >&2; exit 1; }

# Anchors of $SEM: "2", "2.5", "2.5 (a)", ...
anchors=$(awk '
	/^## [0-9]+\./ { sec = $2; sub(/\.$/, "", sec); cur = sec; print sec; next }
	/^### [0-9]+\.[0-9]+/ { cur = $2; print cur; next }
	/^\*\*\([a-z]\)/ { if (cur != "") print cur " " substr($0, 3, 3) }
' "$SEM" | sort -u)

# Citations: file:line:citation, one per line.  A range "(a)-(g)" or
# "(a)–(e)" also cites its end.
cites=$(git grep -nIoE '§[0-9]+(\.[0-9]+)?( \([a-z]\)((-|–)\([a-z]\))?)?' -- \
	module kunit selftests tools include scripts docs README.md ":!$SELF" |
	sed -E 's/^([^:]+:[0-9]+):(§([0-9.]+)) \(([a-z])\)(-|–)\(([a-z])\)$/\1:\3 (\4)\n\1:\3 (\6)/;
		s/^([^:]+:[0-9]+):§(.*)$/\1:\2/' || true)

unresolved=0
total=0
while IFS= read -r c; do
	[[ -n $c ]] || continue
	total=$((total + 1))
	ref=${c#*:}
	ref=${ref#*:}
	if ! grep -qxF -- "$ref" <<<"$anchors"; then
		say "doc-refs: unresolved: ${c%:*}: §$ref"
		unresolved=$((unresolved + 1))
	fi
done <<<"$cites"
if ((unresolved)); then
	bad=1
fi
say "doc-refs: $total citations, $unresolved unresolved; $(wc -l <<<"$anchors") anchors in $SEM"
exit "$bad"
