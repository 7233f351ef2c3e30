#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build (once, cached) the x86_64 6.12 debug kernel the reliability checks
# boot: allnoconfig + scripts/debug-kernel.config (KASAN, lockdep, kmemleak,
# debug objects, KUnit=m, ...) from Debian's linux-source-6.12 as
# scripts/ksrc.sh hands it over (with the overlay of scripts/kunit.sh, if
# any: a link that resolves, the project off), written only to the O=
# directory $CACHE/debug-6.12.
#
#   scripts/debug-kernel.sh           # prints the build dir (the KDIR) on stdout
#   scripts/debug-kernel.sh --force   # rebuild even if the stamp matches
#
# The build is redone when the fragment, this script or the source tree
# (its kernel version and the Debian package version) changed; make is
# incremental anyway.  Every option of the fragment must be in the final
# .config, else the script fails.  Result: $B/arch/x86/boot/bzImage,
# $B/Module.symvers, $B/lib/kunit/kunit.ko.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}
B=$CACHE/debug-6.12
FRAG=$HERE/debug-kernel.config
JOBS=${JOBS:-$(nproc)}
FORCE=0
[[ ${1:-} == --force ]] && FORCE=1

log() { echo "debug-kernel: $*" >&2; }

SRC=$("$HERE/ksrc.sh" 6.12)
[[ -f $SRC/Makefile ]] || { log "no source tree at $SRC"; exit 1; }

for tool in make gcc flex bison bc; do
	command -v "$tool" >/dev/null || { log "$tool missing (scripts/deps.sh)"; exit 1; }
done

mkdir -p "$B"

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo none)
kver=$(make -s -C "$SRC" kernelversion 2>/dev/null)
stamp=$( { cat "$FRAG" "${BASH_SOURCE[0]}"; echo "$pkgver $kver"; gcc --version | head -n1; } \
	| sha256sum | cut -d' ' -f1)

cached() {
	[[ $FORCE == 0 && -f $B/.sep-stamp && $(cat "$B/.sep-stamp") == "$stamp" &&
		-f $B/arch/x86/boot/bzImage && -f $B/Module.symvers ]]
}
# The lock: exclusive to build; shared to find the build cached, and held
# shared by its users (scripts/kunit.sh --debug-kernel, debug-check.sh) for
# their whole run, so no build replaces the kernel under a running VM.
exec 8>"$CACHE/.debug-6.12.lock"
flock -s 8
if cached; then
	log "cached: $B (stamp ${stamp:0:12})"
	echo "$B"
	exit 0
fi
flock -u 8
flock 8
if cached; then
	log "cached: $B (stamp ${stamp:0:12}; built meanwhile)"
	echo "$B"
	exit 0
fi
rm -f "$B/.sep-stamp"

log "configuring $kver (linux-source-6.12 $pkgver) in $B"
make -s -C "$SRC" O="$B" KCONFIG_ALLCONFIG="$FRAG" allnoconfig >&2

# Every line of the fragment must have survived.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$B/.config" || {
			log "option not in .config: $line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$B/.config" || echo absent))"
			missing=1
		} ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -q "^$opt=" "$B/.config"; then
			log "option should be off: $(grep "^$opt=" "$B/.config")"
			missing=1
		fi ;;
	esac
done <"$FRAG"
[[ $missing == 0 ]] || { log "fragment not applied; fix scripts/debug-kernel.config"; exit 1; }

log "building bzImage + modules with -j$JOBS (log: $B/build.log)"
start=$(date +%s)
if ! make -C "$SRC" O="$B" -j"$JOBS" bzImage modules >"$B/build.log" 2>&1; then
	tail -n 40 "$B/build.log" >&2
	log "build failed"
	exit 1
fi
log "built in $(( $(date +%s) - start )) s"

for f in arch/x86/boot/bzImage Module.symvers lib/kunit/kunit.ko; do
	[[ -f $B/$f ]] || { log "missing $B/$f after build"; exit 1; }
done
echo "$stamp" >"$B/.sep-stamp"
echo "$B"
