#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The directories "make install" created, so that "make uninstall" removes
# exactly those (and never a directory that was there before, such as
# /usr/local/include).
#
#   install-dirs.sh add MANIFEST ROOT DIR...
#       create ROOT/DIR for each DIR (absolute paths, ROOT is DESTDIR or "")
#       and add to MANIFEST (under ROOT) every directory that did not exist
#       before, up to but not including ROOT itself
#   install-dirs.sh remove MANIFEST ROOT
#       remove the listed directories that are empty, deepest first; the ones
#       still in use stay listed (the manifest is removed first, so its own
#       directory can go too)

set -euo pipefail

cmd=${1:?usage: $0 add|remove MANIFEST ROOT [DIR...]}
manifest=${2:?manifest}
root=${3-}
shift 3
root=${root%/}

case $cmd in
add)
	new=()
	for d in "$@" "${manifest%/*}"; do
		d=${d#"$root"}
		p=$d
		while [[ -n $p && $p != / && ! -d $root$p ]]; do
			new+=("$p")
			p=${p%/*}
		done
		mkdir -p "$root$d"
	done
	m=$root$manifest
	{
		[[ ! -f $m ]] || cat "$m"
		((${#new[@]} == 0)) || printf '%s\n' "${new[@]}"
	} | LC_ALL=C sort -u >"$m.tmp"
	mv "$m.tmp" "$m"
	;;
remove)
	m=$root$manifest
	[[ -f $m ]] || exit 0
	mapfile -t dirs < <(awk -F/ '{ print NF "\t" $0 }' "$m" | sort -t "$(printf '\t')" -k1,1nr | cut -f2-)
	rm -f "$m"
	kept=()
	for d in "${dirs[@]}"; do
		[[ -n $d ]] || continue
		if [[ -d $root$d ]] && ! rmdir "$root$d" 2>/dev/null; then
			kept+=("$d")
		fi
	done
	if ((${#kept[@]})) && [[ -d ${m%/*} ]]; then
		printf '%s\n' "${kept[@]}" | LC_ALL=C sort -u >"$m"
	fi
	;;
*)
	echo "install-dirs.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
