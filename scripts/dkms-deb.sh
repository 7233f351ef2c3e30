#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A Debian package of the DKMS source tree ("make dkms-deb").
#
#   scripts/dkms-deb.sh SRCDIR OUTDIR     SRCDIR: build/dkms/shadow-epoll-<version>
#
# Debian's dkms 3.0 has no "mkdeb" any more: Debian builds DKMS packages with
# debhelper's dh_dkms, whose maintainer scripts call Debian's own helpers.
# This does the same with dpkg-deb only: shadow-epoll-dkms_<version>_all.deb
# holds /usr/src/shadow-epoll-<version>/; its postinst runs
# /usr/lib/dkms/common.postinst (dkms add, then build and install for the
# running kernel and for the kernels in /lib/modules that have headers), its
# prerm "dkms remove --all".  Maintainer: $DEBFULLNAME <$DEBEMAIL> if set.

set -euo pipefail

src=${1:?usage: $0 SRCDIR OUTDIR}
out=${2:?usage: $0 SRCDIR OUTDIR}
[[ -f $src/dkms.conf ]] || { echo "dkms-deb.sh: no dkms.conf in $src" >&2; exit 1; }
# shellcheck disable=SC1091 # dkms sources it the same way
read -r name version < <(bash -c 'source "$1/dkms.conf"; echo "$PACKAGE_NAME $PACKAGE_VERSION"' _ "$src")
pkg=$name-dkms
maint="${DEBFULLNAME:-shadow-epoll} <${DEBEMAIL:-shadow-epoll@invalid}>"

root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/DEBIAN" "$root/usr/src/$name-$version" "$root/usr/share/doc/$pkg"
cp -a "$src/." "$root/usr/src/$name-$version/"
printf '%s\n' "$pkg ($version) unstable; urgency=medium" "" \
	"  * shadow-epoll $version as a DKMS source package." "" \
	" -- $maint  $(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")" |
	gzip -9n >"$root/usr/share/doc/$pkg/changelog.Debian.gz"

cat >"$root/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: all
Section: kernel
Priority: optional
Maintainer: $maint
Depends: dkms (>= 3.0)
Installed-Size: $(du -sk "$root/usr" | cut -f1)
Description: shadow epoll: an inspectable epoll re-implementation (DKMS)
 The shadow_epoll kernel module re-implements epoll behind /dev/shadow_epoll
 with an inspectable ready list.  This package holds its source for DKMS,
 which builds and installs it for every kernel that has headers.
CONTROL

cat >"$root/DEBIAN/postinst" <<POSTINST
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	/usr/lib/dkms/common.postinst $name $version "" "" "\$2"
fi
POSTINST

cat >"$root/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
case "\$1" in
remove|upgrade|deconfigure)
	if [ -n "\$(dkms status -m $name -v $version)" ]; then
		dkms remove -m $name -v $version --all
	fi
	;;
esac
PRERM
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"

mkdir -p "$out"
deb=$out/${pkg}_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "dkms-deb: $deb"
