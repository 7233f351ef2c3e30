#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Resolve a kernel selector to the installed Debian kernel.
#
#   source scripts/kernels.sh; sep_kernel 6.12   # sets and exports KVER KIMG KDIR
#   scripts/kernels.sh 6.1                       # prints KVER=... KIMG=... KDIR=...
#
# SELECTOR is a series ("6.1", "6.12": the newest /boot/vmlinuz-<series>.*)
# or a full release string ("6.1.0-56-amd64").  Nothing is hard-coded: the
# versions come from /boot at run time.
#
# Kernels of major version 7 and later are not installed: "7", "7.3", "7.3.4"
# or "7.3.4+deb13-amd64" is resolved and fetched into the cache by
# scripts/debian-kernel.sh (newest match in trixie-backports, else sid), and
# KROOT is set to the build root whose compiler and headers build the module
# for it (scripts/build-module.sh runs make there).  KROOT is empty for /boot
# kernels.

sep_kernel() {
	local sel=${1:?usage: sep_kernel 6.1|6.12|7|7.3|KVER} img var val out
	KROOT=
	if [[ -e /boot/vmlinuz-$sel ]]; then
		img=/boot/vmlinuz-$sel
	else
		img=$(compgen -G "/boot/vmlinuz-$sel.*" | sort -V | tail -n 1 || true)
	fi
	if [[ -z $img && $sel =~ ^([7-9]|[1-9][0-9]+)(\.|$) ]]; then
		out=$("$(dirname "${BASH_SOURCE[0]}")/debian-kernel.sh" fetch "$sel") || return 1
		while IFS="=" read -r var val; do
			case $var in
			KVER | KIMG | KDIR | KROOT) printf -v "$var" "%s" "$val" ;;
			esac
		done <<<"$out"
		export KVER KIMG KDIR KROOT
		return 0
	fi
	if [[ -z $img ]]; then
		echo "kernels.sh: no kernel /boot/vmlinuz-$sel* (run scripts/deps.sh)" >&2
		return 1
	fi
	KVER=${img#/boot/vmlinuz-}
	KIMG=$img
	KDIR=/lib/modules/$KVER/build
	export KVER KIMG KDIR KROOT
}

# Hash of the project's kernel sources (paths and contents) under REPO: what
# decides whether objects built from a checkout can be reused.
sep_sources_hash() { # REPO
	(
		cd "${1:?}"
		find VERSION Kbuild Kconfig module kunit include -type f -print0 2>/dev/null |
			LC_ALL=C sort -z | xargs -0 sha256sum
	) | sha256sum | cut -d' ' -f1
}

# The KUnit suites the sources under REPO define: every
# .name = "shadow_epoll_*" in the files kunit/Kbuild lists, one a line.
sep_kunit_suites() { # REPO
	local o
	grep -o '[a-z0-9_]*\.o' "${1:?}/kunit/Kbuild" | sed 's/\.o$//' | sort -u | while read -r o; do
		[[ ! -f $1/kunit/$o.c ]] ||
			sed -n 's/.*\.name *= *"\(shadow_epoll_[a-z0-9_]*\)".*/\1/p' "$1/kunit/$o.c"
	done | sort -u
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	sep_kernel "${1:?usage: $0 6.1|6.12|7|7.3|KVER}"
	printf 'KVER=%s\nKIMG=%s\nKDIR=%s\nKROOT=%s\n' "$KVER" "$KIMG" "$KDIR" "$KROOT"
fi
