#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build shadow_epoll.ko out of tree for one kernel without writing objects
# into the source tree.
#
#   scripts/build-module.sh 6.1|6.12|7|7.3|KVER [KDIR] [MAKE ARGS...]   e.g. W=1 C=1
#
# The sources (VERSION Kbuild Kconfig module/ kunit/ include/) are mirrored into
# build/mod-$KVER/ (or $SEP_MOD_DIR) and built there with kbuild; the KUnit
# module is added only when $KDIR/.config has CONFIG_KUNIT.
# Result: build/mod-$KVER/module/shadow_epoll.ko, and $OUT/.built.stamp,
# dated from before the sources were copied, after a build that succeeded
# (scripts/vm-run.sh rebuilds when a source is newer).  Fetched kernels (7.x, see
# scripts/kernels.sh) are built with make run in their build root (chroot).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck disable=SC1091 # scripts/kernels.sh
source "$REPO/scripts/kernels.sh"

sel=${1:?usage: $0 6.1|6.12|KVER [KDIR] [MAKE ARGS...]}
shift
kdir=
if (($#)) && [[ $1 != *=* && $1 != -* ]]; then
	kdir=$1
	shift
fi
if sep_kernel "$sel" 2>/dev/null; then
	KDIR=${kdir:-$KDIR}
elif [[ -n $kdir ]]; then
	KVER=$sel KDIR=$kdir KROOT=
else
	sep_kernel "$sel"
fi
[[ -f $KDIR/Makefile ]] || { echo "build-module.sh: no kernel build tree at $KDIR" >&2; exit 1; }
KDIR=$(cd "$KDIR" && pwd -P)
# A fetched kernel (7.x) is built in its build root (scripts/debian-kernel.sh).
if [[ -n ${KROOT:-} ]]; then
	KROOT=$(cd "$KROOT" && pwd -P)
	[[ $KDIR == "$KROOT"/* ]] || KROOT=
fi

OUT=${SEP_MOD_DIR:-$REPO/build/mod-$KVER}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
# One build per output directory at a time (several VM runs may share it);
# SEP_BUILD_LOCKED=1: the caller holds the lock.
if [[ -z ${SEP_BUILD_LOCKED:-} ]]; then
	exec 9>"$OUT/.build.lock"
	flock 9
fi
rm -f "$OUT/.built.stamp"
touch "$OUT/.built.stamp.new"
cd "$REPO"
srcs=()
for s in VERSION Kbuild Kconfig module kunit include; do
	[[ -e $s ]] && srcs+=("$s")
done
# Build products are excluded, so --delete removes stale sources only.
# --checksum: an edit of the same size within the second of the last copy
# has the same size and time, and rsync's default check would skip it.
rsync -a --checksum --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' --exclude='*.symvers' \
	--exclude='modules.order' --exclude='*.dwo' --exclude='.*.d' --exclude='.tmp*' --exclude=.build.lock \
	--exclude=.sep-sources --exclude='.built.stamp*' \
	"${srcs[@]}" "$OUT/"

# Objects follow the sources by content, not by file times (rsync keeps the
# sources' times, and several checkouts may share one SEP_MOD_DIR).
sources=$(sep_sources_hash "$REPO")
if [[ ! -f $OUT/.sep-sources || $(<"$OUT/.sep-sources") != "$sources" ]]; then
	find "$OUT" \( -name '*.o' -o -name '*.ko' -o -name '*.a' -o -name '.*.cmd' \
		-o -name '*.mod' -o -name '*.mod.c' \) -delete
	echo "$sources" >"$OUT/.sep-sources"
fi

args=(CONFIG_SHADOW_EPOLL=m)
grep -qE '^CONFIG_KUNIT=[ym]' "$KDIR/.config" 2>/dev/null && args+=(CONFIG_SHADOW_EPOLL_KUNIT_TEST=m)
if [[ -n ${KROOT:-} ]]; then
	"$REPO/scripts/debian-kernel.sh" make "$KROOT" -C "${KDIR#"$KROOT"}" M="$OUT" \
		"${args[@]}" -j"$(nproc)" "$@" modules
else
	make -C "$KDIR" M="$OUT" "${args[@]}" -j"$(nproc)" "$@" modules
fi
mv "$OUT/.built.stamp.new" "$OUT/.built.stamp"
