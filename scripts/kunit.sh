#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the shadow_epoll KUnit suites with tools/testing/kunit/kunit.py.
#
# The project is overlaid into an unpacked Debian linux-source tree kept in a
# cache directory: drivers/misc/shadow_epoll is a symlink to this repository,
# drivers/misc/Kconfig sources our Kconfig and drivers/misc/Makefile descends
# into shadow_epoll/.  The edits are made once and are idempotent.  kunit.py
# builds with O=<build dir> in the cache, so no object lands in the repository
# or in the source tree, and re-runs are incremental.
#
# Several checkouts share the cache.  The kernel's objects are shared; the
# project's own (<build dir>/drivers/misc/shadow_epoll) follow the sources by
# content, not by file times: a hash of the project's sources is kept in
# <build dir>/.sep-sources, and when the checkout running now has other
# sources those objects are removed first, so kbuild rebuilds them and
# relinks.  The cache lock is held for the whole run, so concurrent runs from
# different checkouts take turns, each with its own link and objects.
#
# Usage: scripts/kunit.sh [--arch um|x86_64] [--kernel SEL]... [--lockdep] [-- KUNIT_ARGS...]
#   --arch ARCH   kunit.py architecture (default: um, or $SHADOW_EPOLL_KUNIT_ARCH)
#   --kernel SEL  kernel tree, repeatable (default: $SEP_KUNIT_KERNELS, a
#                 space-separated list, else $SHADOW_EPOLL_KUNIT_TREE, else 6.12).
#                 6.12 or 6.1: the tree from /usr/src/linux-source-SEL.tar.xz.
#                 7, 7.3, 7.3.4 or a release: the series of Debian's newest
#                 matching kernel, resolved at run time by
#                 scripts/debian-kernel.sh, whose "source" command unpacks
#                 linux-source-7.x into the cache (an unpacked linux-source-SEL
#                 in the cache is used as it is).  Each tree has its own build
#                 dir: kunit-ARCH for 6.12, kunit-ARCH-SERIES for the others.
#                 --tree is the same option.
#   --lockdep     also enable CONFIG_PROVE_LOCKING (own build dir; about 20%
#                 more build CPU), or set SHADOW_EPOLL_KUNIT_LOCKDEP=1
#   --debug-kernel  6.12 only: the suites as modules on the x86_64 debug
#                 kernel of scripts/debug-kernel.sh (KASAN, lockdep,
#                 kmemleak), run and parsed by "kunit.py exec" (see below);
#                 or set SEP_KUNIT_DEBUG_KERNEL=1 (for the 6.12 tree only).
#                 `make check` uses it: the debug layer builds that kernel
#                 anyway.  The unload, a kmemleak scan and the suite list
#                 are checked besides the results
#   -- ARGS       passed to "kunit.py run" (e.g. a filter glob 'shadow_epoll_readylist*';
#                 with --debug-kernel to "kunit.py exec")
#
# UML kernels are built with the host's compiler for every tree, 7.x
# included: kunit.py configures them from its own defconfig, not from
# Debian's config, and 7.x needs gcc >= 8.1 and binutils >= 2.30.
#
# Environment: SHADOW_EPOLL_CACHE (default ~/.cache/shadow-epoll),
#              SHADOW_EPOLL_KUNIT_TIMEOUT (seconds, default 600),
#              SEP_KUNIT_JOBS (make jobs of a UML build, default nproc).
#
# Prints "kunit.sh: tree SERIES ..." and per-suite counts, and as its last
# line "kunit: N passed, N failed, N skipped".  With several kernels, each
# tree runs in turn, then "kunit SERIES: N passed, ..." per tree and the
# sums as the last line.  Exits non-zero if a test failed, crashed, or none
# ran, or if the kernel log shows a lockdep report, a BUG or a WARNING from
# our code.

set -euo pipefail

die() {
	echo "kunit.sh: $*" >&2
	exit 1
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck disable=SC1091 # scripts/kernels.sh
source "$REPO/scripts/kernels.sh"
CACHE=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}
ARCH=${SHADOW_EPOLL_KUNIT_ARCH:-um}
TIMEOUT=${SHADOW_EPOLL_KUNIT_TIMEOUT:-600}
LOCKDEP=${SHADOW_EPOLL_KUNIT_LOCKDEP:-0}
DEBUGK=0
DEBUGK_ENV=${SEP_KUNIT_DEBUG_KERNEL:-0} # the environment's: 6.12 runs only
KERNELS=()
EXTRA=()

while (($#)); do
	case $1 in
	--arch)
		(($# >= 2)) || die "--arch needs a value"
		ARCH=$2
		shift 2
		;;
	--arch=*)
		ARCH=${1#--arch=}
		shift
		;;
	--kernel | --tree)
		(($# >= 2)) || die "$1 needs a value"
		KERNELS+=("$2")
		shift 2
		;;
	--kernel=* | --tree=*)
		KERNELS+=("${1#*=}")
		shift
		;;
	--lockdep)
		LOCKDEP=1
		shift
		;;
	--debug-kernel)
		DEBUGK=1
		shift
		;;
	-h | --help)
		sed -n '3,58p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--)
		shift
		EXTRA=("$@")
		break
		;;
	*)
		die "unknown argument: $1 (try --help)"
		;;
	esac
done

[[ $ARCH =~ ^[a-z0-9_]+$ ]] || die "bad --arch: $ARCH"
((${#KERNELS[@]})) ||
	read -ra KERNELS <<<"${SEP_KUNIT_KERNELS:-${SHADOW_EPOLL_KUNIT_TREE:-6.12}}"
((${#KERNELS[@]})) || die "no kernel selected"

# Several kernels: one run per tree (each takes the cache lock in turn),
# then a line per tree and the sums.
if ((${#KERNELS[@]} > 1)); then
	args=(--arch "$ARCH")
	[[ $LOCKDEP != 1 ]] || args+=(--lockdep)
	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
	lines=() fail=0 tp=0 tf=0 ts=0
	for k in "${KERNELS[@]}"; do
		krc=0
		dk=()
		[[ ($DEBUGK != 1 && $DEBUGK_ENV != 1) || $k != 6.12 ]] || dk=(--debug-kernel)
		SEP_KUNIT_DEBUG_KERNEL=0 "${BASH_SOURCE[0]}" "${args[@]}" "${dk[@]}" --kernel "$k" -- "${EXTRA[@]}" 2>&1 |
			tee "$out" || krc=${PIPESTATUS[0]}
		tree=$(sed -nE 's/^kunit\.sh: tree ([0-9.]+) .*/\1/p' "$out" | tail -n 1)
		line=$(grep -E '^kunit: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" |
			tail -n 1 || true)
		read -r _ p _ f _ s _ <<<"${line:-kunit: 0 passed, 1 failed, 0 skipped}"
		((krc == 0 || f > 0)) || f=1 # failed without saying which test
		((krc == 0)) || fail=1
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
		lines+=("kunit ${tree:-$k}: $p passed, $f failed, $s skipped")
	done
	printf '%s\n' "${lines[@]}" "kunit: $tp passed, $tf failed, $ts skipped"
	exit "$fail"
fi

# The verdict of one run: per-suite counts from kunit.py's JSON, a splat in
# the kernel log (which does not fail a KUnit case by itself: SPLATS is an
# extended regex), kunit.py's exit status RC.  Exits.
verdict() { # JSON TESTLOG SPLATS RC
	local json=$1 testlog=$2 re=$3 rc=$4 splats=0 summary=0
	[[ -s $json ]] || {
		echo "kunit: 0 passed, 0 failed, 0 skipped"
		die "no results (build or boot failed; see the kunit.py output above)"
	}
	if [[ -f $testlog ]] && grep -E "$re" "$testlog"; then
		echo "kunit.sh: kernel splat in $testlog" >&2
		splats=1
	fi

	python3 - "$json" <<'EOF' || summary=$?
import json
import sys

with open(sys.argv[1]) as f:
    root = json.load(f)

total = {"PASS": 0, "FAIL": 0, "SKIP": 0}


def leaves(group):
    """Yield (name, status) of every leaf case, parameters included."""
    for case in group.get("test_cases", []):
        yield case["name"], case["status"]
    for sub in group.get("sub_groups", []):
        for name, status in leaves(sub):
            yield sub["name"] + "." + name, status


for suite in root.get("sub_groups", []):
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for name, status in leaves(suite):
        key = status if status in ("PASS", "SKIP") else "FAIL"
        counts[key] += 1
        if key == "FAIL":
            print(f"  FAILED: {suite['name']}:{name} ({status})")
    for k in total:
        total[k] += counts[k]
    print(f"{suite['name']}: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['SKIP']} skipped")

print(f"kunit: {total['PASS']} passed, {total['FAIL']} failed, {total['SKIP']} skipped")
ran = total["PASS"] + total["FAIL"]
sys.exit(1 if total["FAIL"] or ran == 0 else 0)
EOF

	((summary == 0 && rc == 0 && splats == 0)) || exit 1
	exit 0
}

# The tree of a kernel selector: a series with a source tarball in /usr/src
# or an unpacked tree in the cache is taken as it is; 7.x and later are
# resolved to the series of Debian's newest matching kernel and unpacked
# by scripts/debian-kernel.sh (offline: the newest matching tree in the cache).
SEL=${KERNELS[0]}
[[ $DEBUGK_ENV != 1 || $SEL != 6.12 ]] || DEBUGK=1
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd -P)

# --debug-kernel: the suites as modules on the x86_64 6.12 debug kernel
# (scripts/debug-kernel.sh: KASAN, lockdep, kmemleak, KUnit=m), which
# `make check` builds anyway for its debug layer, so no second 6.12 kernel
# is built for KUnit.  The test module is built against it
# (scripts/build-module.sh).  An initramfs loads kunit.ko, shadow_epoll.ko
# (whose internals the suites call) and shadow_epoll_kunit.ko (which prints
# the KTAP header itself), unloads the last two (KASAN watches the unload)
# and reboots; "kunit.py exec" boots it under QEMU (TCG, -no-reboot) with a
# --qemu_config written here and parses the console.  kunit.py run would
# reconfigure the tree from the kunitconfig: exec takes the build as it is,
# and the kunitconfig (kunit/debug.kunitconfig) is checked here instead.
if ((DEBUGK)); then
	[[ $SEL == 6.12 ]] || die "--debug-kernel runs the 6.12 debug kernel, not --kernel $SEL"
	[[ $ARCH == um && $LOCKDEP != 1 ]] ||
		die "--debug-kernel takes no --arch or --lockdep (the debug kernel is x86_64 with lockdep)"
	echo "kunit.sh: tree 6.12 for --kernel 6.12 (the debug kernel, KUnit as modules)"
	B=$("$REPO/scripts/debug-kernel.sh") || die "debug kernel build failed"
	# Held shared for the whole run: another checkout's debug-kernel.sh
	# (exclusive) cannot rebuild the kernel under it.
	exec 7>"$CACHE/.debug-6.12.lock"
	flock -s 7
	[[ -f $B/.sep-stamp ]] || die "$B was being rebuilt by another checkout; run again"
	SRC=$("$REPO/scripts/ksrc.sh" 6.12)
	while read -r opt; do
		grep -qxF "$opt" "$B/.config" || die "$B/.config lacks $opt (kunit/debug.kunitconfig)"
	done < <(grep '^CONFIG_' "$REPO/kunit/debug.kunitconfig")
	MOD=$REPO/build/mod-debug-6.12
	mkdir -p "$REPO/build"
	SEP_MOD_DIR=$MOD "$REPO/scripts/build-module.sh" debug-6.12 "$B" \
		>"$REPO/build/kunit-debug-module.log" 2>&1 || {
		cat "$REPO/build/kunit-debug-module.log" >&2
		die "module build against $B failed"
	}
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/sep-kunit-debug.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	R=$WORK/root
	mkdir -p "$R/bin" "$R/lib/modules" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
	cp /bin/busybox "$R/bin/busybox"
	cp "$B/lib/kunit/kunit.ko" "$MOD/module/shadow_epoll.ko" "$MOD/kunit/shadow_epoll_kunit.ko" \
		"$R/lib/modules/"
	# insmod does not read the kernel command line: kunit.py's kunit.*
	# parameters (enable, filter_glob, filter, filter_action) are handed
	# to kunit.ko here.  kmemleak: "clear" before the load, a scan after
	# the unload (objects younger than 5 s are not reported yet); every
	# object it reports was allocated during the run.  The modules are
	# gone by then, so their frames cannot be named: any object fails.
	cat >"$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
say() { echo "kunit.sh: $*" >/dev/kmsg; }
KL=/sys/kernel/debug/kmemleak
[ ! -e $KL ] || echo clear >$KL # what boot left is not the run's
# shellcheck disable=SC2046 # one word per parameter
insmod /lib/modules/kunit.ko $(tr ' ' '\n' </proc/cmdline | sed -n 's/^kunit\.//p')
insmod /lib/modules/shadow_epoll.ko
insmod /lib/modules/shadow_epoll_kunit.ko
rmmod shadow_epoll_kunit && rmmod shadow_epoll && say "modules unloaded"
if [ -e $KL ]; then
	sleep 6
	echo scan >$KL
	sleep 1
	echo scan >$KL
	cat $KL >/tmp/kml
	n=$(grep -c '^unreferenced object' /tmp/kml)
	say "kmemleak: $n unreferenced object(s) since the load"
	[ "$n" = 0 ] || head -n 60 /tmp/kml | while IFS= read -r l; do say "kmemleak: $l"; done
fi
reboot -f
INIT
	chmod +x "$R/init"
	(cd "$R" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$WORK/initramfs.cpio"
	cat >"$WORK/qemu.py" <<QEMU
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='CONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 rdinit=/init no_timer_check panic=-1 oops=panic',
			   extra_qemu_params=['-accel', 'tcg,thread=single', '-smp', '2',
					      '-initrd', '$WORK/initramfs.cpio'])
QEMU
	JSON=$CACHE/kunit-debug-6.12.json
	# kunit.py writes $B/test.log: one run at a time (any checkout)
	exec 9>"$CACHE/.kunit-debug.lock"
	flock 9
	rm -f "$JSON" "$B/test.log"
	start=$(date +%s)
	rc=0
	(
		cd "$SRC"
		./tools/testing/kunit/kunit.py exec \
			--qemu_config="$WORK/qemu.py" \
			--kunitconfig="$REPO/kunit/debug.kunitconfig" \
			--build_dir="$B" \
			--timeout="$TIMEOUT" \
			--json="$JSON" \
			"${EXTRA[@]}"
	) || rc=$?
	echo "kunit.sh: kunit.py exited $rc after $(($(date +%s) - start)) s (x86_64 debug kernel, tree 6.12)"
	# What kunit.py cannot see: the unload, kmemleak, a suite that did not
	# run (each named with FAIL, for check.sh's failure list).
	grep -q 'kunit.sh: modules unloaded' "$B/test.log" 2>/dev/null || {
		echo "kunit.sh: FAIL: the test module and shadow_epoll did not unload after the run"
		rc=1
	}
	kml=$(grep -o 'kunit.sh: kmemleak: [0-9]* unreferenced.*' "$B/test.log" 2>/dev/null || true)
	echo "${kml:-kunit.sh: kmemleak: no report}"
	[[ $kml == "kunit.sh: kmemleak: 0 unreferenced"* ]] || {
		echo "kunit.sh: FAIL: kmemleak reports objects leaked during the run, or did not report"
		grep 'kunit.sh: kmemleak: ' "$B/test.log" 2>/dev/null | head -n 40
		rc=1
	}
	if ((${#EXTRA[@]} == 0)); then # no filter: every suite of kunit/Kbuild must run
		for s in $(sep_kunit_suites "$REPO"); do
			grep -q "\"name\": \"$s\"" "$JSON" 2>/dev/null || {
				echo "kunit.sh: FAIL: suite $s did not run"
				rc=1
			}
		done
	fi
	# every splat counts on the debug kernel, as in scripts/vm-run.sh
	verdict "$JSON" "$B/test.log" \
		'BUG: |WARNING: |Oops|general protection|KASAN: |UBSAN: |possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|Kernel panic' "$rc"
fi
NOTE="linux-source-$SEL"
if [[ $SEL =~ ^[0-9]+\.[0-9]+$ &&
	(-f /usr/src/linux-source-$SEL.tar.xz || -f $CACHE/linux-source-$SEL/Makefile) ]]; then
	TREE=$SEL
elif [[ $SEL =~ ^([7-9]|[1-9][0-9]+)(\.|$) ]]; then
	if r=$("$REPO/scripts/debian-kernel.sh" resolve "$SEL"); then
		TREE=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$r")
		NOTE="Debian ${r% *} in ${r#* }"
		"$REPO/scripts/debian-kernel.sh" source "$TREE" >/dev/null ||
			die "could not unpack linux-source-$TREE"
	else
		s=$(grep -oE '^[0-9]+(\.[0-9]+)?' <<<"$SEL")
		m=$({ compgen -G "$CACHE/linux-source-$s/Makefile" ||
			compgen -G "$CACHE/linux-source-$s.*/Makefile" || true; } | sort -V | tail -n 1)
		[[ -n $m ]] || die "no Debian kernel and no tree in $CACHE for '$SEL'"
		TREE=${m%/Makefile} TREE=${TREE##*/linux-source-}
		NOTE="offline: the newest tree in the cache"
	fi
elif [[ $SEL =~ ^[0-9]+\.[0-9]+$ ]]; then
	TREE=$SEL # the unpack below names the missing package
else
	die "bad --kernel: $SEL (6.12, 6.1, 7, 7.3, ...)"
fi
[[ $TREE =~ ^[0-9]+\.[0-9]+$ ]] || die "bad tree: $TREE"
echo "kunit.sh: tree $TREE for --kernel $SEL ($NOTE)"

SRC=$CACHE/linux-source-$TREE
TARBALL=/usr/src/linux-source-$TREE.tar.xz
BUILD_DIR=$CACHE/kunit-$ARCH
[[ $TREE == 6.12 ]] || BUILD_DIR+=-$TREE
KCONFIG_ADD=()
# UML: kunit.py's olddefconfig defaults also build PCI over virtio (its
# arch_uml.config; KUNIT_UML_PCI from 7.x), the block layer, io_uring, AIO,
# input, HID, USB and hwmon, about a third of the objects: the suites use
# none of them (they run on anon-inode files and the module's own fakes).
# EXPERT makes BLOCK, IO_URING, AIO, INPUT and FW_LOADER settable; it also
# selects DEBUG_KERNEL, and the EXPERT-dependent defaults it would change
# (NAMESPACES, DEBUG_MEMORY_INIT, FTRACE, DEBUG_MISC) are set as before.
# Every line is checked by kunit.py in the final .config.
if [[ $ARCH == um ]]; then
	for o in VIRTIO_UML=n UML_PCI_OVER_VIRTIO=n KUNIT_UML_PCI=n \
		EXPERT=y BLOCK=n IO_URING=n AIO=n INPUT=n HID_SUPPORT=n SERIO=n \
		USB_SUPPORT=n HWMON=n HW_RANDOM=n FW_LOADER=n \
		NAMESPACES=y DEBUG_MEMORY_INIT=y FTRACE=n DEBUG_MISC=n; do
		KCONFIG_ADD+=(--kconfig_add "CONFIG_$o")
	done
fi
if [[ $LOCKDEP == 1 ]]; then
	BUILD_DIR+=-lockdep
	KCONFIG_ADD+=(--kconfig_add CONFIG_DEBUG_KERNEL=y --kconfig_add CONFIG_PROVE_LOCKING=y)
fi
JSON=$BUILD_DIR.json

# Serialise the one-time unpack, the overlay and the whole build and run
# between parallel runs (from this or another checkout).
exec 9>"$CACHE/.kunit-overlay.lock"
flock 9

if [[ ! -f $SRC/Makefile ]]; then
	[[ -f $TARBALL ]] ||
		die "$SRC is missing and $TARBALL is not installed (apt-get install linux-source-$TREE)"
	echo "kunit.sh: unpacking $TARBALL into $CACHE"
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	tar -xf "$TARBALL" -C "$tmp"
	[[ -d $tmp/linux-source-$TREE ]] || die "unexpected tarball layout in $TARBALL"
	rm -rf "$SRC"
	mv "$tmp/linux-source-$TREE" "$SRC"
	rmdir "$tmp"
fi

# Overlay: a symlink to this checkout and two one-line edits, each made once.
LINK=$SRC/drivers/misc/shadow_epoll
if [[ -L $LINK ]]; then
	[[ $(readlink "$LINK") == "$REPO" ]] || ln -sfn "$REPO" "$LINK"
elif [[ -e $LINK ]]; then
	die "$LINK exists and is not a symlink; remove it by hand"
else
	ln -s "$REPO" "$LINK"
fi

KCONFIG=$SRC/drivers/misc/Kconfig
KCONFIG_LINE='source "drivers/misc/shadow_epoll/Kconfig"'
if ! grep -qxF "$KCONFIG_LINE" "$KCONFIG"; then
	last=$(grep -n '^endmenu' "$KCONFIG" | tail -n 1 | cut -d: -f1)
	[[ -n $last ]] || die "no endmenu in $KCONFIG"
	sed -i "${last}i $KCONFIG_LINE" "$KCONFIG"
fi

MAKEFILE=$SRC/drivers/misc/Makefile
# shellcheck disable=SC2016 # a literal make variable
MAKEFILE_LINE='obj-$(CONFIG_SHADOW_EPOLL) += shadow_epoll/'
grep -qxF "$MAKEFILE_LINE" "$MAKEFILE" || echo "$MAKEFILE_LINE" >>"$MAKEFILE"

# The project's objects must come from these sources (see the top).
STAMP=$BUILD_DIR/.sep-sources
sources=$(sep_sources_hash "$REPO")
if [[ ! -f $STAMP || $(<"$STAMP") != "$sources" ]]; then
	[[ ! -d $BUILD_DIR/drivers/misc/shadow_epoll ]] ||
		echo "kunit.sh: other sources than the last build: rebuilding the project's objects"
	rm -rf "$BUILD_DIR/drivers/misc/shadow_epoll"
	rm -f "$STAMP"
fi

# kunit.py refuses O= builds from a tree that was configured in place.
[[ ! -e $SRC/.config ]] || die "$SRC/.config exists: the source tree must stay clean"

rm -f "$JSON"
start=$(date +%s)
rc=0
(
	cd "$SRC"
	./tools/testing/kunit/kunit.py run \
		--kunitconfig=drivers/misc/shadow_epoll/kunit/.kunitconfig \
		--arch="$ARCH" \
		--build_dir="$BUILD_DIR" \
		--jobs="${SEP_KUNIT_JOBS:-$(nproc)}" \
		--timeout="$TIMEOUT" \
		--json="$JSON" \
		"${KCONFIG_ADD[@]}" \
		"${EXTRA[@]}"
) || rc=$?
end=$(date +%s)
echo "kunit.sh: kunit.py exited $rc after $((end - start)) s (arch $ARCH, tree $TREE)"
# Built (the run produced results): the objects are these sources'.
[[ ! -s $JSON ]] || echo "$sources" >"$STAMP"

verdict "$JSON" "$BUILD_DIR/test.log" \
	'possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|BUG: |WARNING: .* at drivers/misc/shadow_epoll/' "$rc"
