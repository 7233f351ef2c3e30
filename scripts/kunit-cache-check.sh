#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Proves that two checkouts sharing the KUnit build cache each test their own
# sources (scripts/kunit.sh keys the project's objects by a hash of the
# sources, not by file times):
#
#  1. two scratch clones of HEAD: B first (then its files are made two days
#     old), A second with one deliberate difference, a KUnit expectation
#     turned false (newer files);
#  2. A runs the changed case: it must fail (1 failed);
#  3. B runs the same case: it must pass.  With objects reused by file
#     times, B's older sources look up to date and B reports A's failure;
#  4. A again: it must fail again (B's objects must not pass for A's).
#
# Prints "kunit-cache: N passed, N failed" (one result per step 2-4) and exits
# non-zero on any failure.  Uses the same cache as scripts/kunit.sh.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CASE=shadow_epoll_nesting.nesting_watcher_list_follows_links
FILE=kunit/instance_kunit.c
GOOD='sepi_nrefs(bep), 2);'
BAD='sepi_nrefs(bep), 3);'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sep-kunit-cache.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-hardlinks "$REPO" "$tmp/b"
find "$tmp/b" -path "$tmp/b/.git" -prune -o -exec touch -h -d '2 days ago' {} +
git clone -q --no-hardlinks "$REPO" "$tmp/a"
grep -qF "$GOOD" "$tmp/a/$FILE" || { echo "kunit-cache-check.sh: $FILE has no '$GOOD'" >&2; exit 1; }
sed -i "s/$GOOD/$BAD/" "$tmp/a/$FILE"	# no regex metacharacters in either
grep -qF "$BAD" "$tmp/a/$FILE" || { echo "kunit-cache-check.sh: could not change $FILE" >&2; exit 1; }

P=0 F=0
step() { # NAME CLONE EXPECTED-FAILED
	local out line
	out=$("$tmp/$2/scripts/kunit.sh" -- "$CASE" 2>&1 || true)
	line=$(grep -E '^kunit: [0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	if [[ $line == "kunit: $((1 - $3)) passed, $3 failed"* ]]; then
		P=$((P + 1))
		echo "kunit-cache: $1: $line (as expected)"
	else
		F=$((F + 1))
		echo "kunit-cache: $1: '$line', expected $3 failed"
		tail -n 30 <<<"$out"
	fi
}
step "A (changed) first" a 1
step "B (older files) after A" b 0
step "A again after B" a 1
echo "kunit-cache: $P passed, $F failed"
((F == 0))
