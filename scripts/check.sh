#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The full test run ("make check", .ci/run) on the kernels of
# SEP_CHECK_KERNELS (default "6.1 6.12 7": bookworm's two and Debian's newest
# 7.x, fetched by scripts/debian-kernel.sh).  Layers:
#   style      scripts/style.sh: W=1 + sparse module builds on every kernel,
#              checkpatch --strict, shellcheck, doc-refs
#   kunit-cache scripts/kunit-cache-check.sh: two scratch clones, one with a
#              deliberate KUnit failure, share the KUnit cache and each must
#              report its own result (one result per run; on the UML tree of
#              the first 7.x kernel, after the kunit layer, which leaves
#              HEAD's objects there: two runs; without a 7.x, the 6.12 UML tree)
#   kunit      scripts/kunit.sh (its last line: "kunit: N passed, N failed[, N skipped]")
#              on 6.12 with --debug-kernel: the suites as modules on the
#              debug layer's KASAN/lockdep kernel (worker A, right after
#              building it: no second 6.12 kernel is built), and under UML
#              on the linux-source-7.x tree of each 7.x kernel as its own
#              line ("kunit 7.x")
#   kselftest  selftests/ built with
#                make -C selftests OUTPUT=$PWD/build/selftests KSRC=$KSRC KSFT=$KSRC/tools/testing/selftests
#              then one VM per kernel running every /selftests/*_test;
#              TAP "ok" = passed, "ok ... # SKIP" = skipped, "not ok" = failed; a
#              program that dies without TAP, or a VM failure, counts as failed.
#              The same VM then runs the other programs (scripts/ksft-guest.sh,
#              line "programs K"): the scenario corpus (one result per
#              scenario), sep-conform on in-tree epoll and, through the
#              LD_PRELOAD shim, on the shadow, the differential fuzzer,
#              stress, ioctl fuzz, the adoption checks and the benchmark
#              smoke runs (one result each, by exit status); the 6.12 VM
#              leaves the reliability programs to the debug VM.
#   install    scripts/install-check.sh: make install into a scratch DESTDIR
#              (the module for 6.1, as the kselftests built it), README's
#              C example compiled with pkg-config against the installed
#              tree, man --warnings on every page, make uninstall leaves
#              nothing (its last line: "install: N passed, N failed, N
#              skipped"; about 5 s, 20-40 s with a cold module build)
#   plant      scripts/plant-bug.sh on SEP_PLANT_KERNEL (default 6.12), seeds
#              SEP_PLANT_SEEDS (default "1 2 3 4"): the differential fuzzer
#              against private module copies with a planted bug; one result
#              per bug and seed (found within 10 s, minimised to <= 10 ops)
#   debug      scripts/debug-check.sh on the KASAN/lockdep/kmemleak 6.12 kernel
#              (its last line: "debug: N passed, N failed, N skipped"), with
#              --no-kunit when the kunit layer runs (it ran them there);
#              SEP_DEBUG_STRESS (s, default 10), SEP_DEBUG_TOPO (s, 20),
#              SEP_DEBUG_FUZZ (calls, 100000).
# Prints a summary per layer and ends with exactly one line
# "N passed, N failed, N skipped" (the sums); exits non-zero if anything failed.
# Logs: build/check/.  Environment: SEP_CHECK_KERNELS, SEP_CHECK_LAYERS
# (default "style kunit-cache kunit kselftest install plant debug"),
# SEP_KSFT_TIMEOUT (per program, default 600 s), SEP_VM_TIMEOUT (per VM,
# default 1800 s).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
LOGS=build/check
mkdir -p "$LOGS"
rm -f build/check-summary
P=0 F=0 S=0
summary=()
LAYERS=" ${SEP_CHECK_LAYERS:-style kunit-cache kunit kselftest install plant debug} "

add() { # LAYER PASSED FAILED SKIPPED
	local line i
	P=$((P + $2)) F=$((F + $3)) S=$((S + $4))
	line=$(printf '%-16s %d passed, %d failed, %d skipped' "$1:" "$2" "$3" "$4")
	for i in "${!summary[@]}"; do # a place kept for it (reserve)
		[[ ${summary[i]} != "@$1" ]] || { summary[i]=$line && line=; }
	done
	[[ -z $line ]] || summary+=("$line")
	echo "== $1: $2 passed, $3 failed, $4 skipped"
	((${3} == 0)) || failed_layers+=("$1")
}

# Keeps LAYER's place in the summary for a result added later (worker A's).
reserve() { summary+=("@$1"); }

# What failed, repeated just before the summary: CI keeps only the tail of
# the output.  Lines naming a failure are collected per layer in $WHY.
failed_layers=()
WHY=$LOGS/why
why() { # LAYER: stdin lines naming failures (shown on stderr too)
	local l
	while IFS= read -r l; do
		printf '%s\n' "$l" >&2 # not tee /dev/stderr: it would truncate a log file
		printf '  [%s] %s\n' "$1" "$l" >>"$WHY"
	done
}
rm -f "$WHY"

# Runs "$@", showing and logging its output; sets $rc.
run() { # LOG CMD...
	local log=$1
	shift
	rc=0
	"$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
}

# Adds layer NAME from the last "PREFIX: N passed, N failed[, N skipped]"
# line of LOG; a non-zero $rc with no failure counted is one failure, and no
# such line at all is one failure.
add_from_log() { # NAME PREFIX LOG
	local line lp lf ls
	line=$(grep -E "^$2: [0-9]+ passed, [0-9]+ failed" "$3" | tail -n 1 || true)
	if [[ $line =~ ^$2:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		lp=${BASH_REMATCH[1]} lf=${BASH_REMATCH[2]} ls=${BASH_REMATCH[4]:-0}
		((rc == 0 || lf > 0)) || lf=1 # failed without saying which test
		add "$1" "$lp" "$lf" "$ls"
	else
		add "$1" 0 1 0
		lf=1
	fi
	((lf == 0)) || grep -E 'FAIL|not ok|(^| )fail( |:|$)' "$3" | head -n 20 | why "$1" >/dev/null || true
}

# The work runs on the machine's two CPUs as two workers (TCG runs each VM
# on one host CPU):
#   worker A (background)  the debug kernel build, started first (beside the
#                          kselftest build), KUnit 6.12 on it, then the debug
#                          VM once the kselftests are built, then VM jobs
#   worker B (this shell)  style, kunit 7.x, then VM jobs
# VM jobs (kselftest per kernel, plant) and kunit-cache come from one queue,
# longest first (kunit-cache before plant);
# each job logs to its own file and its result is read from that log once
# both workers are done, so the summary's order does not depend on which
# worker ran what.  install runs last (it installs the module the 6.1
# kselftest job built).
KERNELS=${SEP_CHECK_KERNELS:-6.1 6.12 7}
is_7x() { [[ $1 =~ ^([7-9]|[1-9][0-9]+)(\.|$) ]]; } # a selector of 7.x or later
QUEUE=$LOGS/.queue
: >"$QUEUE"

# --- VM jobs ------------------------------------------------------------------
# The 6.12 kselftest VM leaves the reliability programs (stress, topologies,
# ioctl fuzz, unload races) to the debug VM, which runs them on the same
# 6.12 sources under KASAN, lockdep and kmemleak.
ksft_job() { # KERNEL
	local k=$1 rel=1
	[[ $k != 6.12 || $LAYERS != *" debug "* ]] || rel=0
	scripts/vm-run.sh --kernel "$k" --timeout "${SEP_VM_TIMEOUT:-1800}" \
		--env "SEP_KSFT_TIMEOUT=${SEP_KSFT_TIMEOUT:-600}" --env "SEP_KSFT_RELIABILITY=$rel" \
		--add scripts/ksft-guest.sh:/root/ksft-guest.sh -- sh /root/ksft-guest.sh
}
plant_job() {
	scripts/plant-bug.sh --kernel "${SEP_PLANT_KERNEL:-6.12}" --seeds "${SEP_PLANT_SEEDS:-1 2 3 4}"
}
# KUnit on 6.12: the suites as modules on the debug kernel, run by kunit.py
# (scripts/kunit.sh --debug-kernel); the debug VM then leaves them out.
kunit_612() {
	SEP_KUNIT_KERNELS='' scripts/kunit.sh --debug-kernel --kernel 6.12
}
debug_job() {
	local args=()
	((ksft_built == 0)) || args=(--no-selftests) # nothing rebuilds them meanwhile
	[[ $LAYERS != *" kunit "* ]] || args+=(--no-kunit)
	scripts/debug-check.sh --stress "${SEP_DEBUG_STRESS:-10}" --topo "${SEP_DEBUG_TOPO:-20}" \
		--fuzz "${SEP_DEBUG_FUZZ:-100000}" "${args[@]}"
}
# kunit-cache:KERNEL[:after]: scripts/kunit-cache-check.sh on KERNEL's UML
# tree (":after": the kunit layer has just built HEAD's sources there).
kunit_cache_job() { # KERNEL[:after]
	local args=(--kernel "${1%%:*}")
	[[ $1 != *:after ]] || args+=(--after-head)
	scripts/kunit-cache-check.sh "${args[@]}"
}
job_log() { # JOB -> its log file
	case $1 in
	ksft:*) echo "$LOGS/kselftest-${1#ksft:}.log" ;;
	kunit-cache:*) echo "$LOGS/kunit-cache.log" ;;
	*) echo "$LOGS/$1.log" ;;
	esac
}
# The exit status a job left (none: it did not run to the end).
job_rc() { # JOB
	local f
	f=$(job_log "$1").rc
	[[ -s $f ]] && cat "$f" || echo 255
}
# After the workers: shows JOB's log and adds LAYER from its summary line.
job_result() { # LAYER JOB
	local log
	log=$(job_log "$2")
	echo "== $1"
	cat "$log" 2>/dev/null || echo "(no log: the job did not run)"
	rc=$(job_rc "$2")
	add_from_log "$1" "$1" "$log"
}
# Runs JOB into its log, its exit status into LOG.rc.
job_run() { # JOB
	local log jrc=0
	log=$(job_log "$1")
	echo "== $1 started ($(date +%T), worker $worker)"
	case $1 in
	ksft:*) ksft_job "${1#ksft:}" ;;
	plant) plant_job ;;
	debug) debug_job ;;
	kunit) kunit_612 ;;
	kunit-cache:*) kunit_cache_job "${1#kunit-cache:}" ;;
	esac >"$log" 2>&1 || jrc=$?
	echo "$jrc" >"$log.rc"
	echo "== $1 done ($(date +%T), rc $jrc)"
}
# Takes the first job off the queue (empty output: none left).
claim() {
	local job
	exec 9>"$QUEUE.lock"
	flock 9
	job=$(head -n 1 "$QUEUE")
	[[ -z $job ]] || sed -i 1d "$QUEUE"
	exec 9>&-
	echo "$job"
}
work() {
	local job
	while job=$(claim) && [[ -n $job ]]; do
		job_run "$job"
	done
}
worker_a=""
KSFT_MARK=$LOGS/.ksft-built # the kselftest build's outcome, for worker A
rm -f "$KSFT_MARK"
if [[ $LAYERS == *" debug "* && -x scripts/debug-check.sh ]]; then
	rm -f "$(job_log debug).rc" "$(job_log kunit).rc"
	(
		worker=A
		# The debug kernel (about 14 CPU-minutes cold) builds beside the
		# kselftest build; debug-check.sh then finds it cached.
		echo "== debug kernel build ($(date +%T), worker A)"
		scripts/debug-kernel.sh >"$LOGS/debug-kernel.log" 2>&1 || true
		# KUnit on 6.12 runs on that kernel (no second 6.12 build)
		[[ $LAYERS != *" kunit "* || ! -x scripts/kunit.sh ]] || job_run kunit
		# the VM needs the kselftests (and the queue) built first
		until [[ -s $KSFT_MARK ]]; do
			kill -0 $$ 2>/dev/null || exit 1 # the main shell is gone
			sleep 2
		done
		ksft_built=$(<"$KSFT_MARK")
		job_run debug
		work
	) &
	worker_a=$!
fi

# --- builds for the VMs (first: the debug VM waits for them) -----------------
ksft_built=0
if [[ $LAYERS == *" kselftest "* && -f selftests/Makefile ]]; then
	echo "== kselftest build"
	KSRC=${KSRC:-$(scripts/ksrc.sh)}
	run "$LOGS/selftests-build.log" make -C selftests OUTPUT="$REPO/build/selftests" \
		KSRC="$KSRC" KSFT="$KSRC/tools/testing/selftests"
	src=$rc trc=0
	if [[ -f tools/Makefile ]]; then
		run "$LOGS/tools-build.log" make -C tools OUTPUT="$REPO/build/tools"
		trc=$rc
		((trc != 0)) || cp build/tools/sep-scenario build/selftests/
		rm -rf build/selftests/scenarios
		cp -r tools/scenarios build/selftests/scenarios
		# sep-conform: in-tree, and the dynamic variant on the shadow via the shim
		rm -f build/selftests/{sep-conform,sep-conform-dyn,libshadow_epoll_preload.so}
		if ((trc == 0)) && [[ -f tools/conform/Makefile ]]; then
			run "$LOGS/conform-build.log" make -C tools/conform OUTPUT="$REPO/build/conform"
			trc=$rc
			((trc != 0)) || cp build/conform/sep-conform build/conform/sep-conform-dyn \
				build/tools/libshadow_epoll_preload.so build/selftests/
		fi
	fi
	((trc == 0)) || add "tools build" 0 1 0
	if ((src != 0)); then
		add "kselftest build" 0 1 0
	else
		ksft_built=1
		# longest first: a 7.x VM also runs that series' 66-test epoll
		# selftest under sep-run
		for k in $KERNELS; do
			is_7x "$k" && echo "ksft:$k" >>"$QUEUE"
		done
		for k in $KERNELS; do
			is_7x "$k" || echo "ksft:$k" >>"$QUEUE"
		done
	fi
fi
[[ $LAYERS == *" plant "* && -x scripts/plant-bug.sh ]] && echo plant >>"$QUEUE"

echo "$ksft_built" >"$KSFT_MARK"

# --- the kernel's epoll selftest of each 7.x series --------------------------
# sep-adopt.sh runs the running series' own under sep-run.  Built after the
# debug VM started (a cold run unpacks linux-source-7.x here); the VM jobs
# run after it.
if ((ksft_built)); then
	rm -f build/selftests/kernel_epoll_wakeup-*
	for k in $KERNELS; do
		is_7x "$k" || continue
		echo "== kselftest build: epoll_wakeup_test of $k"
		if ! { series=$(scripts/debian-kernel.sh resolve "$k" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/') &&
			ksrc7=$(scripts/debian-kernel.sh source "$series") &&
			make -s -C selftests/adopt wakeup OUTPUT="$REPO/build/selftests" KSRC="$ksrc7" \
				WAKEUP_OUT="$REPO/build/selftests/kernel_epoll_wakeup-$series"; }; then
			add "kselftest build $k" 0 1 0
		fi
	done
fi

# --- style ------------------------------------------------------------------
if [[ $LAYERS == *" style "* ]]; then
	echo "== style"
	run "$LOGS/style.log" env SEP_STYLE_KERNELS="${SEP_STYLE_KERNELS:-$KERNELS}" scripts/style.sh
	add_from_log style style "$LOGS/style.log"
fi

# --- KUnit ------------------------------------------------------------------
# The default tree (6.12), then each 7.x tree of $KERNELS as its own summary
# line ("kunit 7.x" for the selector 7).
kunit_run() { # NAME LOG KUNIT-ARGS...
	local name=$1 log=$2
	shift 2
	echo "== $name"
	run "$log" env SEP_KUNIT_KERNELS= scripts/kunit.sh "$@"
	add_from_log "$name" kunit "$log"
}
cache_kernel=6.12 # the tree the kunit-cache layer uses: one KUnit built
if [[ $LAYERS == *" kunit "* && -x scripts/kunit.sh ]]; then
	if [[ -n $worker_a ]]; then
		reserve kunit # worker A runs it after the debug kernel build
	else
		kunit_run kunit "$LOGS/kunit.log" --debug-kernel --kernel 6.12
	fi
	for k in $KERNELS; do
		is_7x "$k" || continue
		label="kunit $k"
		[[ $k == *.* ]] || label+=.x
		kunit_run "$label" "$LOGS/kunit-$k.log" --kernel "$k"
		[[ $cache_kernel != 6.12 ]] || { cache_kernel=$k && kunit_rc=$rc; }
	done
fi

# --- KUnit cache: two checkouts sharing it each test their own sources -------
# After the KUnit layer, whose run leaves HEAD's objects in the cache: the
# check's clone with a deliberate failure must fail, HEAD's clone pass.  A
# job of the queue, before plant: the worker that is free first takes it
# (VM jobs start a minute earlier on this one).
if [[ $LAYERS == *" kunit-cache "* && -x scripts/kunit-cache-check.sh ]]; then
	job=kunit-cache:$cache_kernel
	[[ $LAYERS == *" kunit "* && ${kunit_rc:-1} == 0 ]] && job+=:after
	rm -f "$(job_log kunit-cache:).rc"
	reserve kunit-cache
	exec 9>"$QUEUE.lock"
	flock 9
	if grep -qx plant "$QUEUE"; then
		sed -i "/^plant\$/i $job" "$QUEUE"
	else
		echo "$job" >>"$QUEUE"
	fi
	exec 9>&-
fi

# --- VM jobs on this worker, then the other's --------------------------------
worker=B work
if [[ -n $worker_a ]]; then
	wait "$worker_a" || true
fi
rm -f "$QUEUE" "$QUEUE.lock" "$KSFT_MARK"

# --- kunit-cache (a queue job) and KUnit 6.12 (worker A's) -------------------
if [[ $LAYERS == *" kunit-cache "* && -x scripts/kunit-cache-check.sh ]]; then
	job_result kunit-cache kunit-cache:
fi
if [[ -n $worker_a && $LAYERS == *" kunit "* && -x scripts/kunit.sh ]]; then
	job_result kunit kunit
fi

# --- kselftests: results ------------------------------------------------------
# TAP counts per program block; a block without an END marker means the VM died.
ksft_count() { # LOG -> "passed failed skipped"
	awk '
	function close_block(rc) {
		if (rc == 4 && res == 0) s++
		else if (rc != 0 && rc != 4 && bad == 0) { f++; print "# " name ": exit " rc " without a TAP failure" > "/dev/stderr" }
		else if (res == 0 && rc == 0) p++
		if (plan > res && rc != 4) { f += plan - res; print "# " name ": " res " of " plan " results" > "/dev/stderr" }
		inblk = 0
	}
	/^@@KSFT-BEGIN / { if (inblk) close_block(-1); inblk = 1; name = $2; res = 0; bad = 0; plan = 0; next }
	/^@@KSFT-END / { rc = $3; sub(/^rc=/, "", rc); close_block(rc + 0); next }
	!inblk { next }
	/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
	/^not ok [0-9]+/ { f++; bad++; res++; print "# " name ": " $0 > "/dev/stderr"; next }
	/^ok [0-9]+/ { res++; if ($0 ~ /# *SKIP/) s++; else p++; next }
	END { if (inblk) { f++; print "# " name ": no end marker (VM died?)" > "/dev/stderr" } print p + 0, f + 0, s + 0 }
	' "$1"
}

# Results of the extra programs: "passed failed skipped".
extra_count() { # LOG
	awk '
	/^@@EXTRA-BEGIN / { inblk = 1; name = $2; sc = -1; nf = 0; next }
	/^@@EXTRA-END / {
		rc = $3; sub(/^rc=/, "", rc); rc += 0
		if (sc >= 0) { p += ok; f += bad; if (rc != 0 && bad == 0) f++ }
		else if (rc == 0) p++
		else f++
		if (rc != 0 || (sc >= 0 && bad)) {
			print "# " name ": exit " rc > "/dev/stderr"
			for (i = 1; i <= nf && i <= 20; i++) print "#   " fl[i] > "/dev/stderr"
		}
		inblk = 0; next
	}
	inblk && /FAIL|not ok|[Dd]iffer/ { fl[++nf] = $0 }
	inblk && /^scenarios: [0-9]+ run, [0-9]+ identical, [0-9]+ different/ {
		sc = 1; ok = $4 + 0; bad = $6 + 0
	}
	END { if (inblk) { f++; print "# " name ": no end marker (VM died?)" > "/dev/stderr" } print p + 0, f + 0, 0 }
	' "$1"
}


if ((ksft_built)); then
	for k in $KERNELS; do
		log=$(job_log "ksft:$k")
		echo "== kselftest $k"
		[[ -f $log ]] || echo "(no log: the job did not run)" >"$log"
		cat "$log"
		vmrc=$(job_rc "ksft:$k")
		read -r kp kf ks < <(ksft_count "$log" 2>"$WHY.tmp")
		why "kselftest $k" <"$WHY.tmp"
		((vmrc == 0)) || { kf=$((kf + 1)) && echo "# the VM: rc=$vmrc (splat, timeout, insmod or sentinel)" | why "kselftest $k"; }
		add "kselftest $k" "$kp" "$kf" "$ks"
		read -r kp kf ks < <(extra_count "$log" 2>"$WHY.tmp")
		why "programs $k" <"$WHY.tmp"
		((kp + kf == 0)) || add "programs $k" "$kp" "$kf" "$ks"
		grep -E '^(fuzz|stress|scenarios|bench: .*= )' "$log" | sed "s/^/  [$k] /" || true
		awk -v k="$k" '/^@@EXTRA-BEGIN / { n = $2 } /^conform: / { print "  [" k "] " n ": " $0 }' "$log"
		awk -v k="$k" '/^@@(KSFT|EXTRA)-END / { sub(/^secs=/, "", $4); t += $4 }
			END { printf "  [%s] programs in the guest: %d s\n", k, t }' "$log"
	done
fi

# --- install: make install / uninstall into a scratch DESTDIR -----------------
# After the kselftests: the module they built for 6.1 (build/mod-<release>)
# is the one installed, so this layer only copies files.
if [[ $LAYERS == *" install "* && -x scripts/install-check.sh ]]; then
	echo "== install"
	run "$LOGS/install.log" scripts/install-check.sh
	add_from_log install install "$LOGS/install.log"
fi

# --- planted bugs: the fuzzer must find each one (scripts/plant-bug.sh) -------
# One result per bug and seed; a script failure without per-seed results
# (patch no longer applies, build or VM failure) counts as one failure.
if [[ $LAYERS == *" plant "* && -x scripts/plant-bug.sh ]]; then
	echo "== plant"
	cat "$LOGS/plant.log" 2>/dev/null || true
	rc=$(job_rc plant)
	pp=$(grep -cE '^plant: .* seed [^:]*: found .* ops$' "$LOGS/plant.log" 2>/dev/null || true)
	pf=$(grep -cE '^plant: .* seed [^:]*: (NOT FOUND|.*over the limit)' "$LOGS/plant.log" 2>/dev/null || true)
	((rc == 0 || pf > 0)) || pf=1
	add plant "${pp:-0}" "${pf:-0}" 0
fi

# --- debug kernel (KASAN, lockdep, kmemleak) ---------------------------------
if [[ -n $worker_a ]]; then
	job_result debug debug
fi

if ((${#failed_layers[@]})); then
	echo "== failures"
	printf '%s\n' "${failed_layers[@]}" | sed 's/^/  layer: /'
	[[ -s $WHY ]] && head -n 80 "$WHY"
	echo "  (the full output of each job is under $LOGS/)"
fi
echo "== summary"
printf '%s\n' "${summary[@]}"
total="$P passed, $F failed, $S skipped"
echo "$total" >build/check-summary
echo "$total"
((F == 0))
