#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Reliability run on the debug kernel (KASAN, lockdep, kmemleak, debug
# objects, fault injection; scripts/debug-kernel.config):
#
#   scripts/debug-check.sh [--stress SEC] [--topo SEC] [--fuzz CALLS] [--timeout SEC] [--no-selftests]
#                          [--no-kunit]
#
#  1. build the debug kernel (cached, scripts/debug-kernel.sh), the module and
#     shadow_epoll_kunit.ko against it, the selftests and the reliability
#     programs (selftests/reliability);
#  2. boot it (scripts/vm-run.sh, which fails on any splat) and in the guest:
#     check the __fput kprobe is active; insmod kunit.ko +
#     shadow_epoll_kunit.ko and count the KUnit cases from debugfs; run every
#     /selftests/*_test; sep_stress on the shadow (and briefly on in-tree
#     epoll); sep_topo (random graphs with cycles through in-tree epolls,
#     --topo SEC, default 60) with the hang detectors armed short (hung task
#     10 s, soft lockup 10 s, panic on an RCU stall, stall timeout 20 s);
#     sep_ioctl_fuzz with the allocation-failure sweep; rmmod of the KUnit
#     module; rmmod shadow_epoll must be refused while an instance or a
#     source is open, or an orphan item waits for its file's final fput
#     (sep_unload, which also races unloads against that fput), and succeed
#     after; a reload with default parameters must give /dev/shadow_epoll
#     mode 0600 and EACCES for nobody (access_test); one kmemleak scan at
#     the end (a leak whose trace names shadow_epoll fails);
#  3. print "debug: N passed, N failed, N skipped" and exit non-zero on any
#     failure (a splat is reported with its trace from the console log).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
stress=30 topo=60 fuzz=${SEP_FUZZ_CALLS:-100000} timeout=2400 selftests=1 kunit=1
while (($#)); do
	case $1 in
	--stress) stress=${2:?}; shift 2 ;;
	--topo) topo=${2:?}; shift 2 ;;
	--fuzz) fuzz=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--no-selftests) selftests=0; shift ;;
	--no-kunit) kunit=0; shift ;;
	-h | --help) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "debug-check.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

log() { echo "debug-check: $*" >&2; }

# --- 1. builds --------------------------------------------------------------
B=$("$REPO/scripts/debug-kernel.sh")
# Held shared until the VM is done: another checkout's debug-kernel.sh
# (exclusive) cannot rebuild the kernel under it.
exec 7>"${SHADOW_EPOLL_CACHE:-$HOME/.cache/shadow-epoll}/.debug-6.12.lock"
flock -s 7
[[ -f $B/.sep-stamp ]] || { log "$B was being rebuilt by another checkout; run again"; exit 1; }
KIMG=$B/arch/x86/boot/bzImage
MOD=$REPO/build/mod-debug-6.12
mkdir -p "$REPO/build"
log "module + KUnit module against $B"
SEP_MOD_DIR=$MOD "$REPO/scripts/build-module.sh" debug-6.12 "$B" >"$REPO/build/debug-module.log" 2>&1 || {
	cat "$REPO/build/debug-module.log" >&2
	log "module build failed"
	exit 1
}
for ko in module/shadow_epoll.ko kunit/shadow_epoll_kunit.ko; do
	[[ -f $MOD/$ko ]] || { log "missing $MOD/$ko"; exit 1; }
done

log "selftests + reliability programs"
if ((selftests)); then
	make -s -C "$REPO/selftests" >&2 || { log "selftests build failed"; exit 1; }
fi
make -s -C "$REPO/selftests/reliability" >&2 || { log "reliability build failed"; exit 1; }

# The KUnit suites the guest must report (scripts/kernels.sh).
# shellcheck disable=SC1091 # scripts/kernels.sh
source "$REPO/scripts/kernels.sh"
suites=$(sep_kunit_suites "$REPO" | tr '\n' ' ')
# --no-kunit: the KUnit step is left out (`make check` runs the same suites
# on this kernel with scripts/kunit.sh --debug-kernel).
((kunit)) || suites=-
log "expected KUnit suites: ${suites:-none}"

# --- 2. the guest script ----------------------------------------------------
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/debug-guest.sh" <<'GUEST'
#!/bin/sh
# Runs in the debug VM (busybox sh); prints "@@DBG <name> pass|fail|skip [detail]".
STRESS=$1 FUZZ=$2 SUITES=$3 TOPO=$4
KL=/sys/kernel/debug/kmemleak
res() { echo "@@DBG $1 $2${3:+ $3}"; }
quiet() { echo "$1" >/proc/sys/kernel/printk; }	# console log level

# kmemleak: scan (twice: objects modified since the last scan are skipped)
# with info messages off the console; the report is judged here, not by the
# runner's "suspected memory leak" pattern.
kscan() {
	[ -e $KL ] || return 0
	quiet 5
	echo scan >$KL; sleep 1; echo scan >$KL
	quiet 7
}
kreport() { # name
	if [ ! -e $KL ]; then
		res "kmemleak.$1" fail "no $KL"
		return
	fi
	cat $KL >/tmp/kml 2>/dev/null
	n=$(grep -c '^unreferenced object' /tmp/kml)
	ours=$(awk '/^unreferenced object/{if(o)c++; o=0} /\[shadow_epoll\]/{o=1} END{if(o)c++; print c+0}' /tmp/kml)
	echo "kmemleak ($1): $n unreferenced object(s), $ours attributed to shadow_epoll"
	if [ "$ours" != 0 ]; then
		cat /tmp/kml
		res "kmemleak.$1" fail "$ours leak(s) in shadow_epoll"
	else
		[ "$n" = 0 ] || { echo "(not shadow_epoll's:)"; head -n 60 /tmp/kml; }
		res "kmemleak.$1" pass "$n unrelated"
	fi
	echo clear >$KL
}

# whole seconds since boot: each section says what it cost
up() { cut -d. -f1 /proc/uptime; }

echo "== kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/{print $2/1024 " MB"}' /proc/meminfo)"
# kmemleak: one scan, after the unload (an object leaked at any point of
# the run is still unreferenced then; only objects allocated by
# shadow_epoll count, so boot-time ones need not be cleared first: each
# scan costs ~15 s under KASAN and TCG)
[ -e $KL ] || res kmemleak.boot fail "no $KL"

# the module must have its __fput kprobe (else it silently pins files)
if dmesg | grep -q 'no kprobe on __fput'; then
	res kprobe fail "$(dmesg | grep 'no kprobe on __fput')"
else
	res kprobe pass
fi

# --- KUnit ("-": left out, scripts/kunit.sh --debug-kernel runs it)
echo "== [$(up) s] KUnit"
if [ "$SUITES" = - ]; then
	echo "left out (--no-kunit)"
elif [ -f /lib/modules/kunit.ko ] && ! insmod /lib/modules/kunit.ko enable=1; then
	res kunit.insmod fail "kunit.ko"
elif insmod /lib/modules/shadow_epoll_kunit.ko; then
	for s in $SUITES; do
		f=/sys/kernel/debug/kunit/$s/results
		if [ ! -f $f ]; then
			res "kunit.$s" fail "suite did not run (no $f)"
			continue
		fi
		echo "@@KTAP-BEGIN $s"; cat $f; echo "@@KTAP-END"
		awk -v s=$s '
			/^    (not )?ok [0-9]+ / {
				name = $0; sub(/^    (not )?ok [0-9]+ /, "", name); sub(/ #.*/, "", name)
				st = ($0 ~ /^    not ok/) ? "fail" : ($0 ~ /# SKIP/ ? "skip" : "pass")
				print "@@DBG kunit." s "." name " " st; n++
			}
			END { if (!n) print "@@DBG kunit." s " fail no test cases" }' $f
	done
else
	res kunit.insmod fail "shadow_epoll_kunit.ko"
fi

# --- differential kselftests (TAP from the harness)
echo "== [$(up) s] kselftests"
export SEP_QUICK=1	# size and timing tests run whole in the kselftest layer
for t in /selftests/*_test; do
	[ -x "$t" ] || continue
	b=${t##*/}
	t0=$(up)
	timeout -s KILL 600 $t >/tmp/$b.log 2>&1
	rc=$?
	cat /tmp/$b.log
	echo "== $b: $(($(up) - t0)) s"
	awk -v b=$b '
		/^ok [0-9]+ / { name = $0; sub(/^ok [0-9]+ /, "", name); st = "pass"
			if (name ~ /# SKIP/) st = "skip"; sub(/ #.*/, "", name)
			print "@@DBG ksft." b "." name " " st }
		/^not ok [0-9]+ / { name = $0; sub(/^not ok [0-9]+ /, "", name); sub(/ #.*/, "", name)
			print "@@DBG ksft." b "." name " fail"; bad++ }
		END { exit bad ? 1 : 0 }' /tmp/$b.log
	seen_fail=$?
	if [ $rc != 0 ] && [ $rc != 4 ] && [ $seen_fail = 0 ]; then
		res "ksft.$b" fail "exit $rc without a failing TAP line"
	fi
done

unset SEP_QUICK

# nest_scale_test's sizes take minutes here: one smaller nested ADD per side
# still drives the file set's growth and the path-count memo under KASAN
# (its timing is not judged: exit 1 is a ratio, 2 an error)
echo "== [$(up) s] sep_nest_scale (10000 files, 1 rep)"
sep_nest_scale -n 10000 -r 1
rc=$?
case $rc in
0 | 1) res nest-scale pass ;;
*) res nest-scale fail "exit $rc" ;;
esac

# --- stress
echo "== [$(up) s] sep_stress (shadow, ${STRESS}s)"
if sep_stress -t "$STRESS" -w 4 -p 3 -c 2; then res stress.shadow pass; else res stress.shadow fail "exit $?"; fi
echo "== [$(up) s] sep_stress (in-tree epoll, 5s)"
if sep_stress -k -t 5 -w 4 -p 3 -c 2; then res stress.kernel pass; else res stress.kernel fail "exit $?"; fi

# --- random topologies, cycles through in-tree epolls, under a watchdog.
# The kernel's detectors armed short for the run (vm-run.sh fails the VM on
# their reports; hung_task_panic and softlockup_panic are on the command
# line): a task in D state for 10 s, a CPU stuck for 10 s (2 x
# watchdog_thresh), an RCU stall (panic, so a hard lockup ends the VM at once
# instead of at the time limit).  sep_topo's own watchdog reports a thread
# without progress for 20 s (KASAN under TCG is slow) with the topology and
# every thread's last call, on stdout and in the kernel log.
echo "== [$(up) s] sep_topo (shadow + in-tree epoll, ${TOPO}s, 4 threads)"
K=/proc/sys/kernel
ht=$(cat $K/hung_task_timeout_secs 2>/dev/null)
wt=$(cat $K/watchdog_thresh 2>/dev/null)
pr=$(cat $K/panic_on_rcu_stall 2>/dev/null)
[ -n "$ht" ] && echo 10 >$K/hung_task_timeout_secs
[ -n "$wt" ] && echo 5 >$K/watchdog_thresh
[ -n "$pr" ] && echo 1 >$K/panic_on_rcu_stall
echo "detectors: hung_task_timeout_secs $(cat $K/hung_task_timeout_secs 2>/dev/null || echo -)," \
	"watchdog_thresh $(cat $K/watchdog_thresh 2>/dev/null || echo -)," \
	"panic_on_rcu_stall $(cat $K/panic_on_rcu_stall 2>/dev/null || echo -)," \
	"rcu_cpu_stall_timeout $(cat /sys/module/rcupdate/parameters/rcu_cpu_stall_timeout 2>/dev/null || echo -)"
if sep_topo -t "$TOPO" -r 2 -j 4 -n 8 -w 20; then res topo pass; else res topo fail "exit $?"; fi
[ -n "$ht" ] && echo "$ht" >$K/hung_task_timeout_secs
[ -n "$wt" ] && echo "$wt" >$K/watchdog_thresh
[ -n "$pr" ] && echo "$pr" >$K/panic_on_rcu_stall

# --- fuzz
echo "== [$(up) s] sep_ioctl_fuzz ($FUZZ calls + fail-nth sweep)"
if sep_ioctl_fuzz -q -n "$FUZZ" -F; then res fuzz pass; else res fuzz fail "exit $?"; fi

# --- unload
echo "== [$(up) s] rmmod"
if grep -q '^shadow_epoll_kunit ' /proc/modules; then
	if rmmod shadow_epoll_kunit; then res rmmod.kunit pass; else res rmmod.kunit fail; fi
fi
if sep_ioctl_fuzz -H; then res rmmod.refused-while-open pass; else res rmmod.refused-while-open fail; fi
# an orphan (final fput pending) holds the module; unload races the fput
if sep_unload -m /lib/modules/shadow_epoll.ko -r 8; then res rmmod.orphan pass; else res rmmod.orphan fail; fi
if rmmod shadow_epoll; then res rmmod.shadow_epoll pass; else res rmmod.shadow_epoll fail; fi
[ -e /dev/shadow_epoll ] && res rmmod.device-gone fail "/dev/shadow_epoll still there"

# --- the module's own default access (the VM loaded it with dev_mode=0666)
if insmod /lib/modules/shadow_epoll.ko; then
	m=$(stat -c %a /dev/shadow_epoll)
	if [ "$m" = 600 ]; then res access.default-0600 pass; else res access.default-0600 fail "mode $m"; fi
	if access_test >/tmp/access.out 2>&1; then
		res access.default-nobody pass
	else
		res access.default-nobody fail
		cat /tmp/access.out
	fi
	if rmmod shadow_epoll; then res access.rmmod pass; else res access.rmmod fail; fi
else
	res access.insmod-default fail
fi
sleep 6
kscan
kreport unload
echo "== [$(up) s] done"
GUEST
chmod +x "$WORK/debug-guest.sh"

# --- 3. boot ------------------------------------------------------------------
log "booting $KIMG (KASAN, lockdep, kmemleak; TCG: slow)"
set +e
"$REPO/scripts/vm-run.sh" --kernel "$KIMG" --kdir "$B" --modules-dir "$MOD" \
	--add "$B/lib/kunit/kunit.ko:/lib/modules/kunit.ko" \
	--add "$WORK/debug-guest.sh:/root/debug-guest.sh" \
	--mem 2048 --smp 2 --timeout "$timeout" \
	--append "no_timer_check rcupdate.rcu_cpu_stall_timeout=20" \
	-- sh /root/debug-guest.sh "$stress" "$fuzz" "$suites" "$topo" 2>"$WORK/vm.err" | tee "$WORK/out"
vrc=${PIPESTATUS[0]}
set -e
cat "$WORK/vm.err" >&2

# --- 4. verdict -----------------------------------------------------------------
pass=$(grep -c '^@@DBG [^ ]* pass' "$WORK/out" || true)
fail=$(grep -c '^@@DBG [^ ]* fail' "$WORK/out" || true)
skip=$(grep -c '^@@DBG [^ ]* skip' "$WORK/out" || true)
vmlog=$(sed -n 's/.*(log \(build\/vm\/[^)]*\.log\)).*/\1/p' "$WORK/vm.err" | tail -n 1)
if ((vrc != 0)); then
	fail=$((fail + 1))
	log "VM run failed (vm-run.sh exit $vrc)"
	if [[ -n $vmlog && -f $REPO/$vmlog ]]; then
		# the first splat with its trace, from the full console log
		awk '/(BUG|WARNING|KASAN|UBSAN|Oops|general protection|possible recursive locking|circular locking|inconsistent lock state|suspicious RCU usage|list_(add|del) corruption|blocked for more than|soft lockup|hard LOCKUP|detected stall|rcu: INFO:|Kernel panic)/ && !p {p=1}
		     p {print; n++} n > 150 {exit}' "$REPO/$vmlog" >&2
		log "full console log: $vmlog"
	fi
fi
if ((fail)); then
	echo "failures:"
	grep '^@@DBG [^ ]* fail' "$WORK/out" | sed 's/^@@DBG /  /' || true
fi
echo "debug: $pass passed, $fail failed, $skip skipped"
((fail == 0))
