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
# drivers/misc/Kconfig.  When that checkout is gone (a CI clone), the link
# dangles and every configure of the tree fails ("can't open file
# drivers/misc/shadow_epoll/Kconfig"), the debug kernel's included; so a
# dangling link is pointed at this checkout.  A live link is left alone:
# the kunit.sh that set it may be running.

set -euo pipefail

TREE=${1:-6.12}
CACHE=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}
SRC=$CACHE/linux-source-$TREE
TARBALL=/usr/src/linux-source-$TREE.tar.xz

if [[ ! -f $SRC/Makefile ]]; then
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.kunit-overlay.lock"
	flock 9
	if [[ ! -f $SRC/Makefile ]]; then
		[[ -f $TARBALL ]] || { echo "ksrc.sh: $TARBALL missing (scripts/deps.sh)" >&2; exit 1; }
		echo "ksrc.sh: unpacking $TARBALL into $CACHE" >&2
		tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
		tar -xf "$TARBALL" -C "$tmp"
		rm -rf "$SRC"
		mv "$tmp/linux-source-$TREE" "$SRC"
		rmdir "$tmp"
	fi
	flock -u 9
fi
LINK=$SRC/drivers/misc/shadow_epoll
if [[ -L $LINK && ! -e $LINK ]]; then
	REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
	echo "ksrc.sh: $LINK pointed at $(readlink "$LINK"), which is gone: now at $REPO" >&2
	ln -sfn "$REPO" "$LINK"
fi
echo "$SRC"
