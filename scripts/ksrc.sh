#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the path of the unpacked Debian linux-source-6.12 tree (checkpatch,
# kselftest headers), unpacking /usr/src/linux-source-6.12.tar.xz once into
# ${SHADOW_EPOLL_CACHE:-~/.cache/shadow-epoll}/linux-source-6.12.
# Shares the unpack lock with scripts/kunit.sh.
#
# scripts/kunit.sh overlays the project into the tree: a symlink
# drivers/misc/shadow_epoll to the checkout that ran it, sourced by
# drivers/misc/Kconfig.  When that checkout is gone (a CI clone) or lacks
# the Kconfig (a half re-cloned path), every configure of the tree fails
# ("can't open file drivers/misc/shadow_epoll/Kconfig"), the debug kernel's
# included; so such a link is pointed at this checkout, under the overlay
# lock (a kunit.sh holds it for its run, so its link is never replaced
# under it; SEP_OVERLAY_LOCKED=1: the caller holds it).  A link that
# resolves is left alone.

set -euo pipefail

TREE=${1:-6.12}
CACHE=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}
SRC=$CACHE/linux-source-$TREE
TARBALL=/usr/src/linux-source-$TREE.tar.xz

unpack() {
	[[ ! -f $SRC/Makefile ]] || return 0
	[[ -f $TARBALL ]] || { echo "ksrc.sh: $TARBALL missing (scripts/deps.sh)" >&2; exit 1; }
	echo "ksrc.sh: unpacking $TARBALL into $CACHE" >&2
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	tar -xf "$TARBALL" -C "$tmp"
	rm -rf "$SRC"
	mv "$tmp/linux-source-$TREE" "$SRC"
	rmdir "$tmp"
}
LINK=$SRC/drivers/misc/shadow_epoll
LINE='source "drivers/misc/shadow_epoll/Kconfig"'
broken() {
	[[ ! -e $LINK/Kconfig ]] && grep -qxF "$LINE" "$SRC/drivers/misc/Kconfig" 2>/dev/null
}
if [[ ! -f $SRC/Makefile ]] || broken; then
	mkdir -p "$CACHE"
	if [[ -z ${SEP_OVERLAY_LOCKED:-} ]]; then
		exec 9>"$CACHE/.kunit-overlay.lock"
		flock 9
	fi
	unpack
	if broken && [[ -L $LINK || ! -e $LINK ]]; then
		REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
		was=$(readlink "$LINK" || echo none)
		ln -sfn "$REPO" "$LINK"
		echo "ksrc.sh: $LINK pointed at $was, without a Kconfig: now at $REPO" >&2
	fi
	[[ -n ${SEP_OVERLAY_LOCKED:-} ]] || flock -u 9
fi
echo "$SRC"
