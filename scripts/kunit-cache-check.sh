#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Proves that two checkouts sharing the KUnit build cache each test their own
# sources (scripts/kunit.sh keys the project's objects by a hash of the
# sources, not by file times):
#
#  1. two scratch clones of HEAD, all their files two days old (older than
#     any object in the cache): B as it is, A with one deliberate difference,
#     a KUnit expectation turned false;
#  2. B runs the changed case: it must pass (on a warm cache that last built
#     HEAD's sources this reuses the objects: nothing to rebuild); left out
#     with --after-head, when the cache has just built HEAD's sources;
#  3. A runs it: it must fail.  With objects reused by file times, A's older
#     sources look up to date and A passes on B's objects;
#  4. B again: it must pass.  With file times, B reports A's failure.
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
git clone -q --no-hardlinks "$REPO" "$tmp/a"
grep -qF "$GOOD" "$tmp/a/$FILE" || { echo "kunit-cache-check.sh: $FILE has no '$GOOD'" >&2; exit 1; }
sed -i "s/$GOOD/$BAD/" "$tmp/a/$FILE"	# no regex metacharacters in either
grep -qF "$BAD" "$tmp/a/$FILE" || { echo "kunit-cache-check.sh: could not change $FILE" >&2; exit 1; }
for c in a b; do
	find "$tmp/$c" -path "$tmp/$c/.git" -prune -o -exec touch -h -d '2 days ago' {} +
done

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
# --after-head: the caller's KUnit run just built HEAD's sources (check.sh
# runs the kunit layer first), so step 2 would only repeat it
[[ ${1:-} == --after-head ]] || step "B (HEAD)" b 0
step "A (changed, old files) after B" a 1
step "B (old files) after A" b 0
echo "kunit-cache: $P passed, $F failed"
((F == 0))
