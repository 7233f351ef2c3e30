#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the VM (busybox sh).
#  1. Every executable /selftests/*_test, each between "@@KSFT-BEGIN name"
#     and "@@KSFT-END name rc=N" markers, killed after $SEP_KSFT_TIMEOUT
#     seconds (default 600).
#  2. The other programs, when present, each between "@@EXTRA-BEGIN name"
#     and "@@EXTRA-END name rc=N": the scenario corpus (sep-scenario), the
#     conformance corpus on in-tree epoll (sep-conform) and on the shadow
#     (sep-conform-dyn under the LD_PRELOAD shim, strict: no call may fall
#     back to in-tree epoll), the differential fuzzer ($SEP_FUZZ_OPS ops, seed $SEP_FUZZ_SEED), a short
#     stress run and a stress run through a shadow <-> real epoll cycle
#     ($SEP_STRESS_SECS s each), random topologies with cycles through real
#     epolls under a progress watchdog ($SEP_TOPO_SECS s, then briefly with
#     real epolls only), the ioctl fuzzer ($SEP_IOCTL_FUZZ_CALLS calls), the
#     bad-input table check, the benchmark smoke runs, the adoption checks
#     (sep-adopt.sh: the kernel's epoll_wakeup_test under sep-run against
#     in-tree, static raw-syscall program, unload refused while adopted)
#     and, last (it unloads
#     and reloads the module), the unload-against-a-pending-fput check
#     (sep_unload, $SEP_UNLOAD_ROUNDS race rounds).
#  With SEP_KSFT_RELIABILITY=0 the reliability programs (stress, topo,
#  topo-real, ioctl-fuzz, unload) are left out ("@@EXTRA-ELSEWHERE name").
# scripts/check.sh parses both.

t=${SEP_KSFT_TIMEOUT:-600}
for p in /selftests/*_test; do
	[ -x "$p" ] || continue
	n=${p##*/}
	echo "@@KSFT-BEGIN $n"
	s0=$(date +%s)
	timeout -s KILL "$t" "$p"
	rc=$?
	echo "@@KSFT-END $n rc=$rc secs=$(($(date +%s) - s0))"
done

extra() { # NAME CMD...
	n=$1
	shift
	[ -x "$1" ] || return 0
	echo "@@EXTRA-BEGIN $n"
	s0=$(date +%s)
	timeout -s KILL "$t" "$@"
	rc=$?
	echo "@@EXTRA-END $n rc=$rc secs=$(($(date +%s) - s0))"
}

extra scenarios /selftests/sep-scenario -q /selftests/scenarios
extra conform-intree /selftests/sep-conform -q
if [ -x /selftests/sep-conform-dyn ] && [ -f /selftests/libshadow_epoll_preload.so ]; then
	extra conform-shadow /bin/env LD_PRELOAD=/selftests/libshadow_epoll_preload.so \
		SHADOW_EPOLL_STRICT=1 /selftests/sep-conform-dyn -q
fi
# Reliability programs: with SEP_KSFT_RELIABILITY=0 (the 6.12 VM of make
# check, whose sources the debug VM runs them on under KASAN) not here.
rel() { # NAME CMD...
	if [ "${SEP_KSFT_RELIABILITY:-1}" = 0 ]; then
		echo "@@EXTRA-ELSEWHERE $1 (the debug layer runs it)"
		return 0
	fi
	extra "$@"
}

extra fuzz /selftests/sep_fuzz -q -s "${SEP_FUZZ_SEED:-1}" -n "${SEP_FUZZ_OPS:-200000}"
rel stress /selftests/sep_stress -t "${SEP_STRESS_SECS:-4}"
extra cycle-stress /selftests/sep_stress -X "${SEP_STRESS_SECS:-4}"
rel topo /selftests/sep_topo -q -s "${SEP_FUZZ_SEED:-1}" -t "${SEP_TOPO_SECS:-4}" -r 1
rel topo-real /selftests/sep_topo -R -q -s "${SEP_FUZZ_SEED:-1}" -t 2 -r 0.5
rel ioctl-fuzz /selftests/sep_ioctl_fuzz -q -s "${SEP_FUZZ_SEED:-1}" -n "${SEP_IOCTL_FUZZ_CALLS:-100000}"
extra bad-input /selftests/sep_bad_input
extra bench /selftests/sep_bench -q
extra adopt-bench /selftests/sep_adopt_bench -q
extra dump-bench /selftests/sep_dump_bench -n 100000 -r 5
extra adopt /selftests/sep-adopt.sh
rel unload /selftests/sep_unload -m /lib/modules/shadow_epoll.ko -r "${SEP_UNLOAD_ROUNDS:-20}"
exit 0
