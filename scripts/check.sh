#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The full test run ("make check", .ci/run).  Layers:
#   style      scripts/style.sh (W=1 + sparse on 6.1 and 6.12, checkpatch, shellcheck)
#   kunit-cache scripts/kunit-cache-check.sh: two scratch clones, one with a
#              deliberate KUnit failure, share the KUnit cache and each must
#              report its own result (one result per run, three runs)
#   kunit      scripts/kunit.sh, if present (its last line: "kunit: N passed, N failed[, N skipped]")
#              on the 6.12 tree; with 7 (or 7.3, ...) in SEP_CHECK_KERNELS also
#              on that linux-source-7.x tree, summed as its own line "kunit 7.x"
#   kselftest  selftests/ built with
#                make -C selftests OUTPUT=$PWD/build/selftests KSRC=$KSRC KSFT=$KSRC/tools/testing/selftests
#              then one VM per kernel (6.1, 6.12) running every /selftests/*_test;
#              TAP "ok" = passed, "ok ... # SKIP" = skipped, "not ok" = failed; a
#              program that dies without TAP, or a VM failure, counts as failed.
#              The same VM then runs the other programs when built (see
#              scripts/ksft-guest.sh): the scenario corpus (one result per
#              scenario), sep-conform on in-tree epoll and, through the
#              LD_PRELOAD shim, on the shadow, the differential fuzzer,
#              stress, ioctl fuzz and the benchmark smoke run (one result
#              each, by exit status).
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
#              (its last line: "debug: N passed, N failed, N skipped");
#              SEP_DEBUG_STRESS (s, default 30), SEP_DEBUG_FUZZ (calls, 100000).
# Prints a summary per layer and ends with exactly one line
# "N passed, N failed, N skipped" (the sums); exits non-zero if anything failed.
# Logs: build/check/.  Environment: SEP_CHECK_KERNELS (default "6.1 6.12";
# "6.1 6.12 7" adds Debian's newest 7.x, fetched by scripts/debian-kernel.sh),
# SEP_CHECK_LAYERS (default "style kunit-cache kunit kselftest install plant debug"), SEP_KSFT_TIMEOUT (per
# program, default 600 s), SEP_VM_TIMEOUT (per VM, default 1800 s).

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
	P=$((P + $2)) F=$((F + $3)) S=$((S + $4))
	summary+=("$(printf '%-16s %d passed, %d failed, %d skipped' "$1:" "$2" "$3" "$4")")
	echo "== $1: $2 passed, $3 failed, $4 skipped"
}

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
	fi
}

# --- style ------------------------------------------------------------------
if [[ $LAYERS == *" style "* ]]; then
	echo "== style"
	run "$LOGS/style.log" scripts/style.sh
	add_from_log style style "$LOGS/style.log"
fi

# --- KUnit cache: two checkouts sharing it each test their own sources -------
# Runs before the KUnit layer: its last run builds HEAD's sources, which the
# KUnit layer of a clean checkout then reuses.
if [[ $LAYERS == *" kunit-cache "* && -x scripts/kunit-cache-check.sh ]]; then
	echo "== kunit-cache"
	run "$LOGS/kunit-cache.log" scripts/kunit-cache-check.sh
	add_from_log kunit-cache kunit-cache "$LOGS/kunit-cache.log"
fi

# --- KUnit ------------------------------------------------------------------
# The default tree (6.12), then, when SEP_CHECK_KERNELS names one, each 7.x
# tree as its own summary line ("kunit 7.x" for the selector 7).
kunit_run() { # NAME LOG KUNIT-ARGS...
	local name=$1 log=$2
	shift 2
	echo "== $name"
	run "$log" env SEP_KUNIT_KERNELS= scripts/kunit.sh "$@"
	add_from_log "$name" kunit "$log"
}
if [[ $LAYERS == *" kunit "* && -x scripts/kunit.sh ]]; then
	kunit_run kunit "$LOGS/kunit.log"
	for k in ${SEP_CHECK_KERNELS:-6.1 6.12}; do
		[[ $k =~ ^([7-9]|[1-9][0-9]+)(\.|$) ]] || continue
		label="kunit $k"
		[[ $k == *.* ]] || label+=.x
		kunit_run "$label" "$LOGS/kunit-$k.log" --kernel "$k"
	done
fi

# --- debug kernel (KASAN, lockdep, kmemleak) ---------------------------------
# The debug VM runs beside the kselftest VMs when both layers run (TCG uses
# one host CPU per VM, and the machine has two): it starts once the
# selftests are built, with --no-selftests so that nothing rebuilds them.
debug_pid=""
debug_start() { # [--no-selftests]
	[[ $LAYERS == *" debug "* && -x scripts/debug-check.sh ]] || return 0
	echo "== debug (started in the background, log $LOGS/debug.log)"
	scripts/debug-check.sh --stress "${SEP_DEBUG_STRESS:-30}" \
		--fuzz "${SEP_DEBUG_FUZZ:-100000}" "$@" >"$LOGS/debug.log" 2>&1 &
	debug_pid=$!
}
debug_finish() {
	[[ -n $debug_pid ]] || return 0
	rc=0
	wait "$debug_pid" || rc=$?
	echo "== debug"
	cat "$LOGS/debug.log"
	add_from_log debug debug "$LOGS/debug.log"
}

# --- kselftests in the VM ---------------------------------------------------
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
	/^@@EXTRA-BEGIN / { inblk = 1; name = $2; sc = -1; next }
	/^@@EXTRA-END / {
		rc = $3; sub(/^rc=/, "", rc); rc += 0
		if (sc >= 0) { p += ok; f += bad; if (rc != 0 && bad == 0) f++ }
		else if (rc == 0) p++
		else { f++; print "# " name ": exit " rc > "/dev/stderr" }
		inblk = 0; next
	}
	inblk && /^scenarios: [0-9]+ run, [0-9]+ identical, [0-9]+ different/ {
		sc = 1; ok = $4 + 0; bad = $6 + 0
	}
	END { if (inblk) { f++; print "# " name ": no end marker (VM died?)" > "/dev/stderr" } print p + 0, f + 0, 0 }
	' "$1"
}

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
		debug_start --no-selftests
		for k in ${SEP_CHECK_KERNELS:-6.1 6.12}; do
			echo "== kselftest $k"
			log=$LOGS/kselftest-$k.log
			run "$log" scripts/vm-run.sh --kernel "$k" --timeout "${SEP_VM_TIMEOUT:-1800}" \
				--env "SEP_KSFT_TIMEOUT=${SEP_KSFT_TIMEOUT:-600}" \
				--add scripts/ksft-guest.sh:/root/ksft-guest.sh -- sh /root/ksft-guest.sh
			vmrc=$rc
			read -r kp kf ks < <(ksft_count "$log")
			((vmrc == 0)) || kf=$((kf + 1)) # the VM failed (splat, timeout, insmod, sentinel)
			add "kselftest $k" "$kp" "$kf" "$ks"
			read -r kp kf ks < <(extra_count "$log")
			((kp + kf == 0)) || add "programs $k" "$kp" "$kf" "$ks"
			grep -E '^(fuzz|stress|scenarios|bench: .*= )' "$log" | sed "s/^/  [$k] /" || true
			awk -v k="$k" '/^@@EXTRA-BEGIN / { n = $2 } /^conform: / { print "  [" k "] " n ": " $0 }' "$log"
		done
	fi
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
	run "$LOGS/plant.log" scripts/plant-bug.sh --kernel "${SEP_PLANT_KERNEL:-6.12}" \
		--seeds "${SEP_PLANT_SEEDS:-1 2 3 4}"
	pp=$(grep -cE '^plant: .* seed [^:]*: found .* ops$' "$LOGS/plant.log" || true)
	pf=$(grep -cE '^plant: .* seed [^:]*: (NOT FOUND|.*over the limit)' "$LOGS/plant.log" || true)
	((rc == 0 || pf > 0)) || pf=1
	add plant "$pp" "$pf" 0
fi

[[ -n $debug_pid ]] || debug_start
debug_finish

echo "== summary"
printf '%s\n' "${summary[@]}"
total="$P passed, $F failed, $S skipped"
echo "$total" >build/check-summary
echo "$total"
((F == 0))
