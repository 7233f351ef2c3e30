#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages shadow-epoll needs, if any are missing.
# A quick no-op when everything is installed (dpkg-query only); otherwise one
# "apt-get update" and one non-interactive "apt-get install".  The 6.12 kernel
# version is resolved with apt-cache at run time (newest 6.12.*+deb12 build).

set -euo pipefail

PKGS=(gcc make libc6-dev kmod cpio busybox-static qemu-system-x86 sparse flex golang-go
	bison bc libelf-dev libssl-dev rsync shellcheck python3 perl xz-utils zstd
	linux-image-amd64 linux-headers-amd64 linux-source-6.12 pkg-config man-db)
K612='^linux-image-6\.12\.[0-9]+\+deb12-amd64$'

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

newest_612() {
	apt-cache search --names-only "$K612" | awk '{print $1}' | sort -V | tail -n 1
}

missing() {
	local p img
	for p in "${PKGS[@]}"; do
		installed "$p" || echo "$p"
	done
	img=$(newest_612)
	if [[ -n $img ]]; then
		installed "$img" || echo "$img"
		installed "${img/image/headers}" || echo "${img/image/headers}"
	else
		echo "@6.12"   # apt lists unavailable: resolve after apt-get update
	fi
}

mapfile -t todo < <(missing)
((${#todo[@]})) || exit 0

SUDO=()
((EUID == 0)) || SUDO=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
echo "deps.sh: installing: ${todo[*]}" >&2
"${SUDO[@]}" apt-get update -q
mapfile -t todo < <(missing)
if [[ " ${todo[*]} " == *" @6.12 "* ]]; then
	echo "deps.sh: no package matches $K612" >&2
	exit 1
fi
((${#todo[@]})) || exit 0
"${SUDO[@]}" apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${todo[@]}"
