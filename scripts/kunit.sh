#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the shadow_epoll KUnit suites with tools/testing/kunit/kunit.py.
#
# The project is overlaid into an unpacked Debian linux-source tree kept in a
# cache directory: drivers/misc/shadow_epoll is a symlink to this repository,
# drivers/misc/Kconfig sources our Kconfig and drivers/misc/Makefile descends
# into shadow_epoll/.  The edits are made once and are idempotent.  kunit.py
# builds with O=<build dir> in the cache, so no object lands in the repository
# or in the source tree, and re-runs are incremental.
#
# Several checkouts share the cache.  The kernel's objects are shared; the
# project's own (<build dir>/drivers/misc/shadow_epoll) follow the sources by
# content, not by file times: a hash of the project's sources is kept in
# <build dir>/.sep-sources, and when the checkout running now has other
# sources those objects are removed first, so kbuild rebuilds them and
# relinks.  The cache lock is held for the whole run, so concurrent runs from
# different checkouts take turns, each with its own link and objects.
#
# Usage: scripts/kunit.sh [--arch um|x86_64] [--tree 6.12|6.1] [--lockdep] [-- KUNIT_ARGS...]
#   --arch ARCH   kunit.py architecture (default: um, or $SHADOW_EPOLL_KUNIT_ARCH)
#   --tree VER    kernel tree (default: 6.12, or $SHADOW_EPOLL_KUNIT_TREE); the
#                 tree comes from /usr/src/linux-source-VER.tar.xz
#   --lockdep     also enable CONFIG_PROVE_LOCKING (own build dir; about 20%
#                 more build CPU), or set SHADOW_EPOLL_KUNIT_LOCKDEP=1
#   -- ARGS       passed to "kunit.py run" (e.g. a filter glob 'shadow_epoll_readylist*')
#
# Environment: SHADOW_EPOLL_CACHE (default ~/.cache/shadow-epoll),
#              SHADOW_EPOLL_KUNIT_TIMEOUT (seconds, default 600).
#
# Prints per-suite counts and a final line "kunit: N passed, N failed,
# N skipped".  Exits non-zero if a test failed, crashed, or none ran, or if
# the kernel log shows a lockdep report, a BUG or a WARNING from our code.

set -euo pipefail

die() {
	echo "kunit.sh: $*" >&2
	exit 1
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck disable=SC1091 # scripts/kernels.sh
source "$REPO/scripts/kernels.sh"
CACHE=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}
ARCH=${SHADOW_EPOLL_KUNIT_ARCH:-um}
TREE=${SHADOW_EPOLL_KUNIT_TREE:-6.12}
TIMEOUT=${SHADOW_EPOLL_KUNIT_TIMEOUT:-600}
LOCKDEP=${SHADOW_EPOLL_KUNIT_LOCKDEP:-0}
EXTRA=()

while (($#)); do
	case $1 in
	--arch)
		(($# >= 2)) || die "--arch needs a value"
		ARCH=$2
		shift 2
		;;
	--arch=*)
		ARCH=${1#--arch=}
		shift
		;;
	--tree)
		(($# >= 2)) || die "--tree needs a value"
		TREE=$2
		shift 2
		;;
	--tree=*)
		TREE=${1#--tree=}
		shift
		;;
	--lockdep)
		LOCKDEP=1
		shift
		;;
	-h | --help)
		sed -n '3,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--)
		shift
		EXTRA=("$@")
		break
		;;
	*)
		die "unknown argument: $1 (try --help)"
		;;
	esac
done

[[ $ARCH =~ ^[a-z0-9_]+$ ]] || die "bad --arch: $ARCH"
[[ $TREE =~ ^[0-9]+\.[0-9]+$ ]] || die "bad --tree: $TREE"

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd -P)
SRC=$CACHE/linux-source-$TREE
TARBALL=/usr/src/linux-source-$TREE.tar.xz
BUILD_DIR=$CACHE/kunit-$ARCH
[[ $TREE == 6.12 ]] || BUILD_DIR+=-$TREE
KCONFIG_ADD=()
if [[ $LOCKDEP == 1 ]]; then
	BUILD_DIR+=-lockdep
	KCONFIG_ADD=(--kconfig_add CONFIG_DEBUG_KERNEL=y --kconfig_add CONFIG_PROVE_LOCKING=y)
fi
JSON=$BUILD_DIR.json

# Serialise the one-time unpack, the overlay and the whole build and run
# between parallel runs (from this or another checkout).
exec 9>"$CACHE/.kunit-overlay.lock"
flock 9

if [[ ! -f $SRC/Makefile ]]; then
	[[ -f $TARBALL ]] ||
		die "$SRC is missing and $TARBALL is not installed (apt-get install linux-source-$TREE)"
	echo "kunit.sh: unpacking $TARBALL into $CACHE"
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	tar -xf "$TARBALL" -C "$tmp"
	[[ -d $tmp/linux-source-$TREE ]] || die "unexpected tarball layout in $TARBALL"
	rm -rf "$SRC"
	mv "$tmp/linux-source-$TREE" "$SRC"
	rmdir "$tmp"
fi

# Overlay: a symlink to this checkout and two one-line edits, each made once.
LINK=$SRC/drivers/misc/shadow_epoll
if [[ -L $LINK ]]; then
	[[ $(readlink "$LINK") == "$REPO" ]] || ln -sfn "$REPO" "$LINK"
elif [[ -e $LINK ]]; then
	die "$LINK exists and is not a symlink; remove it by hand"
else
	ln -s "$REPO" "$LINK"
fi

KCONFIG=$SRC/drivers/misc/Kconfig
KCONFIG_LINE='source "drivers/misc/shadow_epoll/Kconfig"'
if ! grep -qxF "$KCONFIG_LINE" "$KCONFIG"; then
	last=$(grep -n '^endmenu' "$KCONFIG" | tail -n 1 | cut -d: -f1)
	[[ -n $last ]] || die "no endmenu in $KCONFIG"
	sed -i "${last}i $KCONFIG_LINE" "$KCONFIG"
fi

MAKEFILE=$SRC/drivers/misc/Makefile
# shellcheck disable=SC2016 # a literal make variable
MAKEFILE_LINE='obj-$(CONFIG_SHADOW_EPOLL) += shadow_epoll/'
grep -qxF "$MAKEFILE_LINE" "$MAKEFILE" || echo "$MAKEFILE_LINE" >>"$MAKEFILE"

# The project's objects must come from these sources (see the top).
STAMP=$BUILD_DIR/.sep-sources
sources=$(sep_sources_hash "$REPO")
if [[ ! -f $STAMP || $(<"$STAMP") != "$sources" ]]; then
	[[ ! -d $BUILD_DIR/drivers/misc/shadow_epoll ]] ||
		echo "kunit.sh: other sources than the last build: rebuilding the project's objects"
	rm -rf "$BUILD_DIR/drivers/misc/shadow_epoll"
	rm -f "$STAMP"
fi

# kunit.py refuses O= builds from a tree that was configured in place.
[[ ! -e $SRC/.config ]] || die "$SRC/.config exists: the source tree must stay clean"

rm -f "$JSON"
start=$(date +%s)
rc=0
(
	cd "$SRC"
	./tools/testing/kunit/kunit.py run \
		--kunitconfig=drivers/misc/shadow_epoll/kunit/.kunitconfig \
		--arch="$ARCH" \
		--build_dir="$BUILD_DIR" \
		--jobs="$(nproc)" \
		--timeout="$TIMEOUT" \
		--json="$JSON" \
		"${KCONFIG_ADD[@]}" \
		"${EXTRA[@]}"
) || rc=$?
end=$(date +%s)
echo "kunit.sh: kunit.py exited $rc after $((end - start)) s (arch $ARCH, tree $TREE)"
# Built (the run produced results): the objects are these sources'.
[[ ! -s $JSON ]] || echo "$sources" >"$STAMP"

[[ -s $JSON ]] || {
	echo "kunit: 0 passed, 0 failed, 0 skipped"
	die "no results (build or boot failed; see the kunit.py output above)"
}

# Splats do not fail a KUnit case by themselves: look for them in the log.
splats=0
if [[ -f $BUILD_DIR/test.log ]] &&
	grep -E 'possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|BUG: |WARNING: .* at drivers/misc/shadow_epoll/' \
		"$BUILD_DIR/test.log"; then
	echo "kunit.sh: kernel splat in $BUILD_DIR/test.log" >&2
	splats=1
fi

summary=0
python3 - "$JSON" <<'EOF' || summary=$?
import json
import sys

with open(sys.argv[1]) as f:
    root = json.load(f)

total = {"PASS": 0, "FAIL": 0, "SKIP": 0}


def leaves(group):
    """Yield (name, status) of every leaf case, parameters included."""
    for case in group.get("test_cases", []):
        yield case["name"], case["status"]
    for sub in group.get("sub_groups", []):
        for name, status in leaves(sub):
            yield sub["name"] + "." + name, status


for suite in root.get("sub_groups", []):
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for name, status in leaves(suite):
        key = status if status in ("PASS", "SKIP") else "FAIL"
        counts[key] += 1
        if key == "FAIL":
            print(f"  FAILED: {suite['name']}:{name} ({status})")
    for k in total:
        total[k] += counts[k]
    print(f"{suite['name']}: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['SKIP']} skipped")

print(f"kunit: {total['PASS']} passed, {total['FAIL']} failed, {total['SKIP']} skipped")
ran = total["PASS"] + total["FAIL"]
sys.exit(1 if total["FAIL"] or ran == 0 else 0)
EOF

if ((summary != 0 || rc != 0 || splats != 0)); then
	exit 1
fi
