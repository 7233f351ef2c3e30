#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms add && dkms build for Debian's kernels, in scratch trees (not a layer
# of make check: it builds the module once per kernel).
#
#   scripts/dkms-check.sh [-k] [KERNEL...]      default: 6.1 6.12
#
# Installs Debian's dkms with apt-get if it is missing.  "make dkms-src"
# stages the source tree; dkms then works with --sourcetree, --dkmstree and
# --installtree in a scratch directory and with a throw-away signing key
# there (mok_signing_key, mok_certificate), so /usr/src, /var/lib/dkms and
# /lib/modules are not touched: the script checks that /lib/modules/<release>
# is unchanged.  --kernelsourcedir is each kernel's build tree
# (scripts/kernels.sh).  Only "dkms build": nothing is installed.
# One line per check, then "dkms: N passed, N failed"; -k keeps the scratch
# tree.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
# shellcheck disable=SC1091 # scripts/kernels.sh
source scripts/kernels.sh

keep=0
if [[ ${1:-} == -k ]]; then
	keep=1
	shift
fi
kernels=("$@")
((${#kernels[@]})) || kernels=(6.1 6.12)

if ! command -v dkms >/dev/null; then
	SUDO=()
	((EUID == 0)) || SUDO=(sudo -n)
	DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends dkms
fi

# shellcheck disable=SC1091 # result NAME STATUS DETAIL
source scripts/result.sh

make -s dkms-src >/dev/null
version=$(<VERSION)
src=$REPO/build/dkms/shadow-epoll-$version
T=$(mktemp -d "${TMPDIR:-/tmp}/sep-dkms.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() { ((keep)) || rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/src" "$T/dkms" "$T/modules"
trees=(--sourcetree "$T/src" --dkmstree "$T/dkms" --installtree "$T/modules")
export mok_signing_key=$T/mok.key mok_certificate=$T/mok.pub

# What /lib/modules/<release> looks like (names, sizes, times).
snapshot() { find "/lib/modules/$1" -printf '%P %s %T@\n' 2>/dev/null | LC_ALL=C sort | sha256sum; }

st=0
echo "\$ dkms add ${trees[*]} $src"
dkms add "${trees[@]}" "$src" || st=$?
result dkms-add "$st" "$T/src/shadow-epoll-$version"

for k in "${kernels[@]}"; do
	if ! sep_kernel "$k" 2>/dev/null || [[ ! -f $KDIR/Makefile ]]; then
		result "dkms-build-$k" 1 "kernel $k or its headers not installed"
		continue
	fi
	before=$(snapshot "$KVER")
	st=0
	echo "\$ dkms build ${trees[*]} shadow-epoll/$version -k $KVER --kernelsourcedir $KDIR"
	dkms build "${trees[@]}" "shadow-epoll/$version" -k "$KVER" --kernelsourcedir "$KDIR" || st=$?
	ko=$(compgen -G "$T/dkms/shadow-epoll/$version/$KVER/*/module/shadow_epoll.ko*" | head -n 1 || true)
	if ((st == 0)) && [[ -n $ko ]]; then
		magic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
		[[ $magic == "$KVER" ]] || st=1
		detail="$ko (vermagic $magic)"
	else
		st=1 detail="no module built; log: $T/dkms/shadow-epoll/$version/build/make.log"
		keep=1
	fi
	[[ $(snapshot "$KVER") == "$before" ]] || { st=1 detail="$detail; /lib/modules/$KVER changed"; }
	result "dkms-build-$k" "$st" "$detail"
done
dkms status "${trees[@]}" -m shadow-epoll
st=0
dkms remove "${trees[@]}" "shadow-epoll/$version" --all >/dev/null || st=$?
[[ -z $(find "$T/dkms" -mindepth 1 -print -quit) ]] || st=1
result dkms-remove "$st" "dkms tree empty after remove --all"
echo "dkms: $pass passed, $fail failed"
((fail == 0))
