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
#  5. the clones are gone: the tree's overlay link (which they pointed at B)
#     dangles, as after a CI clone is removed.  scripts/ksrc.sh must point it
#     back at this checkout, and the tree must configure (allnoconfig into a
#     scratch O= dir).  A dangling link broke every configure of the tree,
#     the debug kernel's included.
#
# Prints "kunit-cache: N passed, N failed" (one result per step 2-5) and exits
# non-zero on any failure.  Uses the same cache as scripts/kunit.sh, on the
# UML tree of --kernel K (default 6.12; `make check` passes its 7.x kernel,
# whose tree its KUnit layer has just built).
#
#   scripts/kunit-cache-check.sh [--kernel K] [--after-head]

set -euo pipefail

KERNEL=6.12 AFTER_HEAD=0
while (($#)); do
	case $1 in
	--kernel) KERNEL=${2:?--kernel needs a value}; shift 2 ;;
	--after-head) AFTER_HEAD=1; shift ;;
	*) echo "kunit-cache-check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CASE=shadow_epoll_nesting.nesting_watcher_list_follows_links
FILE=kunit/instance_kunit.c
GOOD='sepi_nrefs(bep), 2);'
BAD='sepi_nrefs(bep), 3);'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sep-kunit-cache.XXXXXX")
tmp=$(cd "$tmp" && pwd -P) # as the clones' kunit.sh will name it
# The clones' kunit.sh point the tree's overlay link at themselves: point
# it back at this checkout before they are removed (a dangling link breaks
# every later configure of that tree, the debug kernel's included).
relink() {
	local link
	for link in "${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}"/linux-source-*/drivers/misc/shadow_epoll; do
		[[ -L $link && $(readlink "$link") == "$tmp"/* ]] && ln -sfn "$REPO" "$link"
	done
	rm -rf "$tmp"
}
trap relink EXIT
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
	out=$(SEP_KUNIT_DEBUG_KERNEL=0 "$tmp/$2/scripts/kunit.sh" --kernel "$KERNEL" -- "$CASE" 2>&1 || true)
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
((AFTER_HEAD)) || step "B (HEAD)" b 0
step "A (changed, old files) after B" a 1
step "B (old files) after A" b 0

# Step 5, under the overlay lock (no kunit.sh relinks meanwhile).
dangling() {
	local link src out
	for link in "${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}"/linux-source-*/drivers/misc/shadow_epoll; do
		[[ -L $link && $(readlink "$link") == "$tmp"/* ]] && break
		link=
	done
	[[ -n $link ]] || { echo "no overlay link into the clones"; return 1; }
	src=${link%/drivers/misc/shadow_epoll}
	ln -sfn "$tmp/gone" "$link"
	out=$(SEP_OVERLAY_LOCKED=1 "$REPO/scripts/ksrc.sh" "${src##*/linux-source-}" 2>&1) || { echo "$out"; return 1; }
	[[ $(readlink "$link") == "$REPO" ]] ||
		{ echo "$link -> $(readlink "$link"), not $REPO"; return 1; }
	make -s -C "$src" O="$tmp/cfg" -j"$(nproc)" allnoconfig >"$tmp/cfg.log" 2>&1 ||
		{ tail -n 5 "$tmp/cfg.log"; return 1; }
	grep -qxF '# CONFIG_SHADOW_EPOLL is not set' "$tmp/cfg/.config" ||
		{ echo "the overlay's Kconfig was not read"; return 1; }
}
exec 9>"${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}/.kunit-overlay.lock"
flock 9
if out=$(dangling 2>&1); then
	P=$((P + 1))
	echo "kunit-cache: dangling overlay link repaired, the tree configures (as expected)"
else
	F=$((F + 1))
	echo "kunit-cache: dangling overlay link: $out"
fi
flock -u 9
echo "kunit-cache: $P passed, $F failed"
((F == 0))
