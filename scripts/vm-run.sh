#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot a kernel in QEMU with a busybox initramfs, load shadow_epoll.ko, run a
# command, and exit with its status.
#
#   scripts/vm-run.sh [options] [--] CMD...
#     --kernel 6.1|6.12|7|7.3|KVER|PATH  kernel to boot (default 6.1); PATH is a
#                         bzImage; 7.x is fetched (scripts/debian-kernel.sh)
#     --kdir DIR          kernel build tree for the module (default: from --kernel;
#                         for PATH=<tree>/arch/x86/boot/bzImage it is <tree>)
#     --modules-dir DIR   take the .ko files from DIR instead of building them
#     --no-module         do not build or insmod shadow_epoll.ko
#     --insmod-args ARGS  module parameters (default "dev_mode=0666": test
#                         VMs open the device to every user; "" = defaults)
#     --add HOST[:GUEST]  copy a file or directory into the guest
#                         (default GUEST: /selftests/<name>)
#     --env VAR=VALUE     set an environment variable for CMD
#     --timeout SEC       whole-VM time limit (default 300)
#     --mem MB            guest memory (default 1024)
#     --smp N             guest CPUs (default 2)
#     --append ARGS       extra kernel command line
#
# The guest gets static busybox (applets in /bin only), glibc and its loader,
# every .ko of the module build in /lib/modules/, build/selftests/ in
# /selftests (CMD's working directory, first in PATH) and the --add files.
# CMD runs with stdout/stderr on the second serial port, which this script
# prints (kernel messages go to the first one, the console log).
#
# Exit status: CMD's status, or 124 on timeout, or 125 when the VM failed
# (panic, Oops, WARNING, BUG, KASAN/UBSAN/kmemleak/lockdep report, hung task,
# soft or hard lockup, RCU stall,
# missing "@@SEP-EXIT" sentinel, insmod failure).  Then the last 60 console
# lines are printed to stderr.  Logs: build/vm/<kernel>-<time>.log (console)
# and .out (CMD output).  SHADOW_EPOLL_KVM=1 uses KVM instead of TCG.
# TCG runs single-threaded (-accel tcg,thread=single): with multi-threaded TCG
# a loaded host made the 6.12 guest Oops on an int3 left by kernel text
# patching (static keys).  SEP_TCG_OPTS=,thread=multi overrides that.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck disable=SC1091 # scripts/kernels.sh
source "$REPO/scripts/kernels.sh"

die() {
	echo "vm-run.sh: $*" >&2
	exit 125
}

kernel=6.1 kdir="" moddir="" module=1 insmod_args="dev_mode=0666" timeout=300 mem=1024 smp=2 append=""
adds=() envs=()
while (($#)); do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--kdir) kdir=${2:?}; shift 2 ;;
	--modules-dir) moddir=${2:?}; shift 2 ;;
	--no-module) module=0; shift ;;
	--insmod-args) insmod_args=$2; shift 2 ;;
	--add) adds+=("${2:?}"); shift 2 ;;
	--env) envs+=("${2:?}"); shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	-h | --help) sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (try --help)" ;;
	*) break ;;
	esac
done
(($#)) || set -- sh -c 'uname -a; cat /proc/modules'

# --- which kernel ---------------------------------------------------------
if [[ -f $kernel && $kernel == */* && $kernel != /boot/vmlinuz-* ]]; then
	KIMG=$(realpath "$kernel")
	if [[ -z $kdir && $KIMG == */arch/x86/boot/bzImage ]]; then
		kdir=${KIMG%/arch/x86/boot/bzImage}
	fi
	case $kdir in
	/lib/modules/*/build) KVER=${kdir#/lib/modules/} KVER=${KVER%/build} ;;
	*/linux-headers-*) KVER=${kdir##*/linux-headers-} ;;
	*) KVER=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || basename "$KIMG") ;;
	esac
	KDIR=$kdir
else
	sep_kernel "${kernel#/boot/vmlinuz-}" || exit 125
	KDIR=${kdir:-$KDIR}
fi
BOOT=$KIMG
# Debian's bzImage is XZ/ZSTD-compressed and decompressing it under TCG costs
# seconds; boot the extracted vmlinux through its PVH entry point instead.
if [[ $KIMG == /boot/vmlinuz-* || -n ${KROOT:-} ]]; then
	cache=${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}/vmlinux
	BOOT=$cache/vmlinux-$KVER
	if [[ ! -s $BOOT || $BOOT -ot $KIMG ]]; then
		mkdir -p "$cache"
		ksrc=$("$REPO/scripts/ksrc.sh")
		if "$ksrc/scripts/extract-vmlinux" "$KIMG" >"$BOOT.tmp.$$" 2>/dev/null; then
			mv "$BOOT.tmp.$$" "$BOOT"
		else
			rm -f "$BOOT.tmp.$$"
			BOOT=$KIMG
		fi
	fi
fi

# --- module ---------------------------------------------------------------
stamp=$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$REPO/build/vm"
find "$REPO/build/vm" -maxdepth 1 -name '*-*.*' -mtime +7 -delete 2>/dev/null || true
WORK=$(mktemp -d "$REPO/build/vm/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LOG=$REPO/build/vm/$KVER-$stamp.log
OUT=$REPO/build/vm/$KVER-$stamp.out
t0=$(date +%s.%N)

if ((module)) && [[ -z $moddir ]]; then
	[[ -n $KDIR ]] || die "no --kdir for $KIMG: cannot build the module (or use --no-module)"
	moddir=$REPO/build/mod-$KVER
	stamp_file=$moddir/.built.stamp # scripts/build-module.sh's
	mkdir -p "$moddir"
	exec 8>"$moddir/.build.lock" # held until the .ko files are copied
	flock 8
	# Rebuild when a source changed since the last build (kbuild's no-op costs seconds).
	if [[ ! -f $moddir/module/shadow_epoll.ko || ! -f $stamp_file ||
		-n $(cd "$REPO" && find VERSION Kbuild Kconfig module kunit include -type f \
			-newer "$stamp_file" -print -quit 2>/dev/null) ]]; then
		if ! SEP_BUILD_LOCKED=1 "$REPO/scripts/build-module.sh" "$KVER" "$KDIR" \
			>"$WORK/build.log" 2>&1; then
			cat "$WORK/build.log" >&2
			die "module build failed for $KVER"
		fi
	fi
fi

# --- initramfs ------------------------------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,etc,root,lib64,lib/x86_64-linux-gnu,lib/modules,selftests}
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh"

copy_libs() { # the shared libraries a dynamically linked ELF file needs
	local lib hdr
	hdr=$(head -c 2048 "$1" | tr -c '[:print:]' .)
	[[ $hdr == *ld-linux* ]] || return 0 # no PT_INTERP: static
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[[ -e $R$lib ]] || { mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; }
	done
}
for lib in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libpthread.so.0,libdl.so.2,librt.so.1,libresolv.so.2,libgcc_s.so.1}; do
	[[ -e $lib ]] && cp -L "$lib" "$R$lib"
done

insmod=
if ((module)); then
	[[ -f $moddir/module/shadow_epoll.ko || -f $moddir/shadow_epoll.ko ]] ||
		die "no shadow_epoll.ko in $moddir"
	find "$moddir" -name '*.ko' -exec cp {} "$R/lib/modules/" \;
	insmod=/lib/modules/shadow_epoll.ko
fi
exec 8>&-

[[ -d $REPO/build/selftests ]] &&
	find "$REPO/build/selftests" -mindepth 1 -maxdepth 1 ! -name '*.o' -exec cp -a {} "$R/selftests/" \;
for a in "${adds[@]}"; do
	host=${a%%:*}
	guest=/selftests/$(basename "$host")
	[[ $a == *:* ]] && guest=${a#*:}
	[[ $guest == */ ]] && guest=$guest$(basename "$host")
	[[ -e $host ]] || die "--add: no such file $host"
	mkdir -p "$R$(dirname "$guest")"
	cp -a "$host" "$R$guest"
done
while IFS= read -r -d '' f; do
	copy_libs "$f"
done < <(find "$R/selftests" "$R/root" -type f -perm -u+x -print0)

q() { # quote for sh
	printf "'%s'" "${1//\'/\'\\\'\'}"
}
{
	for e in "${envs[@]}"; do
		printf 'export %s=%s\n' "${e%%=*}" "$(q "${e#*=}")"
	done
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(q "$a")"; done
	printf '\n'
} >"$R/etc/sep-cmd"

cat >"$R/init" <<EOF
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/selftests:/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
ip link set lo up 2>/dev/null
rc=0
insmod=$insmod
if [ -n "\$insmod" ] && ! insmod "\$insmod" $insmod_args; then
	echo "<2>@@SEP-INSMOD-FAILED \$insmod" >/dev/kmsg
	rc=125
fi
if [ \$rc = 0 ]; then
	cd /selftests
	sh /etc/sep-cmd </dev/null >/dev/ttyS1 2>&1
	rc=\$?
fi
echo "<2>@@SEP-EXIT \$rc" >/dev/kmsg
# 7.x prints the console from a kthread: give it time to flush the ring
# (a splat just before the end, the sentinel) before the power goes; and
# the sentinel once more through the tty, whose close waits for the UART
sleep 0.3
echo "@@SEP-EXIT \$rc" >/dev/ttyS0
printf '\\020' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f || reboot -f
EOF
chmod +x "$R/init"
(cd "$R" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$WORK/initramfs.cpio"
t1=$(date +%s.%N)

# --- boot -----------------------------------------------------------------
accel=(-accel "tcg${SEP_TCG_OPTS-,thread=single}")
[[ ${SHADOW_EPOLL_KVM:-0} == 1 ]] && accel=(-accel kvm)
bios=()
[[ -f /usr/share/qemu/qboot.rom ]] && bios=(-bios /usr/share/qemu/qboot.rom)
cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 hung_task_panic=1"
# no_timer_check: under TCG on a loaded host the IO-APIC timer check at boot
# can time out and make the kernel fall back to another timer setup (seen
# with the slow KASAN kernel); the check tests the emulator, not the module.
cmdline+=" softlockup_panic=1 printk.devkmsg=on mitigations=off no_timer_check $append"

set +e
timeout -k 5 "$timeout" qemu-system-x86_64 "${accel[@]}" -nodefaults -no-reboot \
	-display none -machine q35 -cpu max -smp "$smp" -m "$mem" "${bios[@]}" \
	-kernel "$BOOT" -initrd "$WORK/initramfs.cpio" -append "$cmdline" \
	-serial "file:$LOG" -chardev stdio,id=out,signal=off -serial chardev:out \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null |
	sed -u 's/\r$//' | tee "$OUT"
qrc=${PIPESTATUS[0]}
set -e
t2=$(date +%s.%N)

# --- verdict --------------------------------------------------------------
SPLAT='Kernel panic|Oops[: ]|WARNING:|BUG:|kernel BUG at|general protection fault[:,]|'
SPLAT+='KASAN:|UBSAN:|KFENCE:|suspected memory leak|unreferenced object|'
SPLAT+='possible recursive locking|circular locking dependency|inconsistent lock state|'
SPLAT+='suspicious RCU usage|possible irq lock inversion|bad unlock balance|'
SPLAT+='blocked for more than|soft lockup|hard LOCKUP|detected stalls?|self-detected stall|'
SPLAT+='rcu: INFO:|Call Trace:|'
SPLAT+='list_(add|del) corruption|double fault'
reason=
rc=$(sed -n 's/.*@@SEP-EXIT \([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
if ((qrc == 124 || qrc == 137)); then
	reason="timeout after ${timeout}s"
	rc=124
elif grep -q '@@SEP-INSMOD-FAILED' "$LOG"; then
	reason="insmod $insmod failed"
elif grep -v '@@SEP' "$LOG" | grep -qE "$SPLAT"; then
	reason="kernel splat: $(grep -v '@@SEP' "$LOG" | grep -m1 -E "$SPLAT")"
elif [[ -z $rc ]]; then
	reason="no @@SEP-EXIT sentinel (qemu exit $qrc)"
elif ((qrc != 33)); then
	reason="qemu exited $qrc instead of 33"
fi
printf 'vm-run.sh: %s: initramfs %.1fs, boot+run %.1fs, rc=%s%s (log %s)\n' "$KVER" \
	"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "${rc:-none}" \
	"${reason:+, FAIL: $reason}" "${LOG#"$REPO"/}" >&2
if [[ -n $reason ]]; then
	echo "---- last 60 lines of $LOG ----" >&2
	tail -n 60 "$LOG" >&2
	echo "----" >&2
	((rc == 124)) && exit 124
	exit 125
fi
exit "$rc"
