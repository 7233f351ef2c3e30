#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Debian kernels that are not installed on the host (7.x from
# trixie-backports, else sid), fetched into the cache with a private apt
# configuration: the host's apt sources and installed packages are never
# changed.
#
#   scripts/debian-kernel.sh mirror          the Debian archive URI of the host's apt sources
#   scripts/debian-kernel.sh resolve SEL     "KVER SUITE" for SEL = 7, 7.3, 7.3.4 or a release
#   scripts/debian-kernel.sh fetch SEL       fetch image + build root; prints KVER= KIMG= KDIR= KROOT=
#   scripts/debian-kernel.sh source SERIES   unpack linux-source-SERIES; prints its path
#   scripts/debian-kernel.sh make KROOT ARGS...  run make in the build root (see sep_kroot_make)
#
# Layout under ${SHADOW_EPOLL_CACHE:-~/.cache/shadow-epoll}/debian/:
#   apt/SUITE/      private sources.list, lists and archives (apt-get update at
#                   most every SEP_APT_MAX_AGE minutes, default 1440)
#   kernel/KVER/    dpkg-deb -x of linux-binary-KVER and linux-base-KVER
#                   (usr/lib/modules/KVER/vmlinuz, System.map, config)
#   root-SUITE/     build root (mmdebstrap, variant buildd) with the suite's
#                   compiler and linux-headers-KVER: the module is built in it
#                   with chroot, so it gets the toolchain the kernel was built
#                   with, and vermagic and symbol CRCs match the image
# The mirror is read from the host's apt configuration at run time
# (/etc/apt/sources.list, sources.list.d/*.list and *.sources) or taken from
# $SEP_DEBIAN_MIRROR.  Kernels already fetched are used without network.

set -euo pipefail

DK_CACHE=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}/debian
DK_SUITES=${SEP_DEBIAN_SUITES:-trixie-backports sid}
DK_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

dk_die() {
	echo "debian-kernel.sh: $*" >&2
	exit 1
}

# The Debian main archive URI: the first apt source whose suite is a Debian
# release name (not -security).
dk_mirror() {
	if [[ -n ${SEP_DEBIAN_MIRROR:-} ]]; then
		echo "$SEP_DEBIAN_MIRROR"
		return
	fi
	local f uri
	uri=$(
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[[ -f $f ]] || continue
			# deb [opts] URI SUITE COMPONENTS...
			sed -E 's/#.*//; s/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $2, $3 }'
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[[ -f $f ]] || continue
			# deb822: paragraphs with URIs: and Suites: (Enabled: no skipped)
			awk 'function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no")
					for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
				types = ""; enabled = ""; nu = 0; ns = 0
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { $1 = ""; types = $0 " " }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++nu] = $i }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) s[++ns] = $i }
			END { flush() }' "$f"
		done | awk '$2 ~ /^(bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)(-updates|-backports)?$/ { print $1; exit }'
	)
	[[ -n $uri ]] || dk_die "no Debian archive in the host's apt sources (set SEP_DEBIAN_MIRROR)"
	echo "${uri%/}"
}

# apt options for the private configuration of SUITE.
dk_apt_opts() { # SUITE
	local d=$DK_CACHE/apt/$1
	DK_APT=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
		-o Dir::State::status=/dev/null -o "Dir::Etc::preferences=$d/preferences"
		-o "Dir::Etc::preferencesparts=$d/preferences.d"
		-o APT::Architecture=amd64 -o APT::Sandbox::User=root -q)
}

# Refresh the package lists of SUITE when older than SEP_APT_MAX_AGE minutes.
dk_update() { # SUITE
	local d=$DK_CACHE/apt/$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/preferences.d"
	dk_apt_opts "$1"
	if [[ -z $(find "$d/updated" -mmin "-${SEP_APT_MAX_AGE:-1440}" 2>/dev/null) ]]; then
		[[ ! -f $d/sources.list ]] || cp "$d/sources.list" "$d/sources.list.old"
		echo "deb [signed-by=$DK_KEYRING] $(dk_mirror) $1 main" >"$d/sources.list"
		echo "debian-kernel.sh: apt-get update ($1)" >&2
		if apt-get "${DK_APT[@]}" update >"$d/update.log" 2>&1 &&
			! grep -q '^[EW]: ' "$d/update.log"; then
			touch "$d/updated"
		else
			# offline: keep the lists (and the sources they belong to)
			echo "debian-kernel.sh: apt-get update for $1 failed, using the lists already there" >&2
			[[ ! -f $d/sources.list.old ]] || mv "$d/sources.list.old" "$d/sources.list"
		fi
	fi
}

# Newest kernel release of SUITE matching SEL (series or full release).
dk_newest() { # SUITE SEL
	local re sel=${2//./[.]}
	sel=${sel//+/[+]}
	case $2 in
	*-amd64) re="^linux-binary-$sel\$" ;;
	*.*.*) re="^linux-binary-${sel}[+]deb[0-9]+-amd64\$" ;;
	*) re="^linux-binary-${sel}[.][0-9.]*[+]deb[0-9]+-amd64\$" ;;
	esac
	dk_apt_opts "$1"
	apt-cache "${DK_APT[@]}" search --names-only "$re" 2>/dev/null |
		awk '{ sub(/^linux-binary-/, "", $1); print $1 }' | sort -V | tail -n 1
}

# "KVER SUITE": the first suite of DK_SUITES that has SEL.  Without network,
# the newest matching kernel already in the cache.
dk_resolve() { # SEL
	local s k
	for s in $DK_SUITES; do
		dk_update "$s"
		k=$(dk_newest "$s" "$1")
		if [[ -n $k ]]; then
			echo "$k $s"
			return
		fi
	done
	k=$(compgen -G "$DK_CACHE/kernel/$1*/.suite" | sort -V | tail -n 1 || true)
	[[ -n $k ]] || dk_die "no Debian kernel matches '$1' in: $DK_SUITES"
	echo "$(basename "$(dirname "$k")") $(<"$k")"
}

# Extract linux-binary-KVER and linux-base-KVER into kernel/KVER.
dk_fetch_image() { # KVER SUITE
	local dir=$DK_CACHE/kernel/$1 tmp
	[[ -s $dir/usr/lib/modules/$1/vmlinuz ]] && return
	dk_apt_opts "$2"
	tmp=$(mktemp -d "$DK_CACHE/.dl.XXXXXX")
	(cd "$tmp" && apt-get "${DK_APT[@]}" download "linux-binary-$1" "linux-base-$1") >&2 ||
		dk_die "apt-get download linux-binary-$1 failed"
	mkdir -p "$tmp/x"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/x"
	done
	echo "$2" >"$tmp/x/.suite"
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	mv "$tmp/x" "$dir"
	rm -rf "$tmp"
}

# Packages of the build root besides linux-headers-KVER.
DK_ROOT_PKGS=make,gcc-14,libc6-dev,libelf-dev,sparse

# The build root of SUITE with linux-headers-KVER installed.
dk_root() { # KVER SUITE
	local root=$DK_CACHE/root-$2 base mirror tmp t0
	base=${2%-backports}
	if [[ ! -f $root/.complete ]]; then
		command -v mmdebstrap >/dev/null ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >&2
		mirror=$(dk_mirror)
		tmp=$root.new
		rm -rf "$tmp"
		t0=$(date +%s)
		echo "debian-kernel.sh: creating the $2 build root (mmdebstrap, a few minutes)" >&2
		local lists=("deb $mirror $base main") opts=(--aptopt='Acquire::Languages "none"')
		[[ $base != "$2" ]] && lists+=("deb $mirror $2 main")
		# mmdebstrap ignores the host's apt.conf: carry over a host that
		# accepts Release files past their Valid-Until (a frozen mirror).
		[[ $(apt-config shell v Acquire::Check-Valid-Until) == *false* ]] &&
			opts+=(--aptopt='Acquire::Check-Valid-Until "false"')
		mmdebstrap --variant=buildd --include="$DK_ROOT_PKGS,linux-headers-$1" \
			"${opts[@]}" --dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
			"$base" "$tmp" "${lists[@]}" >&2 || dk_die "mmdebstrap failed"
		echo "$(($(date +%s) - t0))" >"$tmp/.seconds"
		touch "$tmp/.complete"
		rm -rf "$root"
		mv "$tmp" "$root"
	fi
	if [[ ! -f $root/usr/src/linux-headers-$1/Makefile ]]; then
		echo "debian-kernel.sh: installing linux-headers-$1 into $root" >&2
		chroot "$root" apt-get -q update >&2
		DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -q \
			--no-install-recommends "linux-headers-$1" >&2 ||
			dk_die "linux-headers-$1 did not install in $root"
	fi
}

# sparse for the build root: 7.x kernels use __typeof_unqual__, which the
# suite's own sparse (0.6.4) rejects, and the kernel's checker-valid test
# then turns C=1 off.  The newest sparse of the suites (sid has 0.6.5~rc1,
# linked against an older glibc than trixie's) is unpacked into the root's
# /usr/local (dk_make puts it first in PATH), unless the root's own already
# passes that test.  Offline with none fetched: the root keeps its own.
# What the checker must parse (the kernel's own checker test asks the same).
DK_TU='static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }'

dk_sparse() { # ROOT
	local root=$1 s v best="" bs="" tmp
	[[ ! -x $root/usr/local/bin/sparse ]] || return 0
	echo "$DK_TU" >"$root/tmp/.tu.c"
	if chroot "$root" sparse /tmp/.tu.c 2>&1 | grep -q error; then
		for s in $DK_SUITES; do
			dk_update "$s"
			dk_apt_opts "$s"
			v=$(apt-cache "${DK_APT[@]}" policy sparse 2>/dev/null | sed -n 's/^ *Candidate: //p')
			[[ -n $v && $v != "(none)" ]] || continue
			[[ -n $best ]] && dpkg --compare-versions "$v" le "$best" && continue
			best=$v bs=$s
		done
		if [[ -n $bs ]]; then
			echo "debian-kernel.sh: sparse $best ($bs) into $root/usr/local" >&2
			dk_apt_opts "$bs"
			tmp=$(mktemp -d "$DK_CACHE/.sparse.XXXXXX")
			if (cd "$tmp" && apt-get "${DK_APT[@]}" download "sparse=$best") >&2 &&
				dpkg-deb -x "$tmp"/sparse_*.deb "$tmp/x"; then
				install -D -m 755 "$tmp/x/usr/bin/sparse" "$root/usr/local/bin/sparse"
			fi
			rm -rf "$tmp"
		fi
	fi
	rm -f "$root/tmp/.tu.c"
}

# Debian's linux-kbuild-7.x lacks scripts/checker-valid.sh, which the
# kernel's Makefile runs before C=1 (a missing script turns sparse off): our
# own version of that test (the checker must parse __typeof_unqual__
# without an error; prints 1 if so) goes where the Makefile looks.
dk_checker_valid() { # KDIR
	local f
	f=$(readlink -f "$1/scripts" 2>/dev/null)/checker-valid.sh
	[[ ! -e $f && -d ${f%/*} ]] || return 0
	cat >"$f" <<-EOF
		#!/bin/sh
		# Written by shadow-epoll's scripts/debian-kernel.sh: prints 1 if the
		# checker "\$@" parses __typeof_unqual__ without an error.
		command -v "\$1" >/dev/null || exit 1
		t=\$(mktemp)
		trap 'rm -f "\$t"' EXIT
		echo '$DK_TU' >"\$t"
		if "\$@" "\$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
	EOF
	chmod 755 "$f"
}

# Fetch everything for SEL under one lock; sets KVER KIMG KDIR KROOT.
dk_fetch() { # SEL
	local r suite
	mkdir -p "$DK_CACHE"
	exec 7>"$DK_CACHE/.lock"
	flock 7
	r=$(dk_resolve "$1")
	KVER=${r% *} suite=${r#* }
	dk_fetch_image "$KVER" "$suite"
	dk_root "$KVER" "$suite"
	dk_sparse "$DK_CACHE/root-$suite"
	KIMG=$DK_CACHE/kernel/$KVER/usr/lib/modules/$KVER/vmlinuz
	KROOT=$DK_CACHE/root-$suite
	KDIR=$KROOT/usr/src/linux-headers-$KVER
	dk_checker_valid "$KDIR"
	exec 7>&-
}

# Unpack linux-source-SERIES (7.3) into the cache; print its path.
dk_source() { # SERIES
	local src=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}/linux-source-$1 s tmp
	if [[ ! -f $src/Makefile ]]; then
		mkdir -p "$DK_CACHE"
		exec 7>"$DK_CACHE/.lock"
		flock 7
		for s in $DK_SUITES; do
			dk_update "$s"
			dk_apt_opts "$s"
			apt-cache "${DK_APT[@]}" show "linux-source-$1" >/dev/null 2>&1 && break
			s=
		done
		[[ -n $s ]] || dk_die "no linux-source-$1 in: $DK_SUITES"
		tmp=$(mktemp -d "$DK_CACHE/.src.XXXXXX")
		(cd "$tmp" && apt-get "${DK_APT[@]}" download "linux-source-$1") >&2
		dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb |
			tar -xO --wildcards "./usr/src/linux-source-$1.tar.*" | tar -xJ -C "$tmp"
		rm -rf "$src"
		mv "$tmp/linux-source-$1" "$src"
		rm -rf "$tmp"
		exec 7>&-
	fi
	echo "$src"
}

# make in the build root: the directories named by the arguments M=DIR and
# the current directory are bind-mounted at the same paths inside it (in a
# private mount namespace), so paths in the output are the host's.
dk_make() { # KROOT MAKE-ARGS...
	local root=$1 a dirs=("$PWD")
	shift
	for a in "$@"; do
		[[ $a == M=/* ]] && dirs+=("${a#M=}")
	done
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m -- bash -c '
		set -e
		root=$1 n=$2
		shift 2
		for ((i = 0; i < n; i++)); do
			mkdir -p "$root$1"
			mount --bind "$1" "$root$1"
			shift
		done
		mount -t proc proc "$root/proc"
		exec chroot "$root" /usr/bin/env -C "$PWD" PATH=/usr/local/bin:/usr/bin:/bin make "$@"
	' dk_make "$root" "${#dirs[@]}" "${dirs[@]}" "$@"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	cmd=${1:?usage: $0 mirror|resolve SEL|fetch SEL|source SERIES|make KROOT ARGS...}
	shift
	case $cmd in
	mirror) dk_mirror ;;
	resolve) mkdir -p "$DK_CACHE"; dk_resolve "${1:?SEL}" ;;
	fetch)
		dk_fetch "${1:?SEL}"
		printf 'KVER=%s\nKIMG=%s\nKDIR=%s\nKROOT=%s\n' "$KVER" "$KIMG" "$KDIR" "$KROOT"
		;;
	source) dk_source "${1:?SERIES}" ;;
	make) dk_make "$@" ;;
	*) dk_die "unknown command $cmd" ;;
	esac
fi
