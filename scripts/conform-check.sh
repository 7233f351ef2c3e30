#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# sep-conform in the VMs: the static binary on in-tree epoll of each kernel,
# the dynamic variant on the shadow through the LD_PRELOAD shim, and the
# shim run on private module copies with planted bugs, each of which must
# fail (scripts/plant-bug.sh's plant()).  Not a layer of make check.
#
#   scripts/conform-check.sh [--kernels "6.1 6.12"] [--bugs "lt-head ovf-lifo
#                            pop-before-room"] [--bug-kernel 6.12]
#
# Prints one line per run:
#   == conform KERNEL SUBJECT: N passed, N failed, N skipped (T s)
# and, for a planted bug, the first failing trace and the minimised failure.
# Exits non-zero if in-tree or the shadow fails, or a planted bug passes.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
# shellcheck disable=SC1091 # scripts/kernels.sh
source scripts/kernels.sh
kernels="6.1 6.12" bugs="lt-head ovf-lifo pop-before-room" bug_kernel=6.12
while (($#)); do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--bugs) bugs=$2; shift 2 ;;
	--bug-kernel) bug_kernel=${2:?}; shift 2 ;;
	-h | --help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "conform-check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
load_plant() { # defines plant() and plant_build(), runs nothing
	# shellcheck disable=SC1091 # scripts/plant-bug.sh
	source scripts/plant-bug.sh
}
load_plant

out=$REPO/build/conform
make -s -C tools/conform OUTPUT="$out" all
make -s -C tools OUTPUT="$REPO/build/tools" "$REPO/build/tools/libshadow_epoll_preload.so"
adds=(--add "$out/sep-conform" --add "$out/sep-conform-dyn"
	--add "$REPO/build/tools/libshadow_epoll_preload.so")
shim='LD_PRELOAD=/selftests/libshadow_epoll_preload.so SHADOW_EPOLL_STRICT=1'
rc=0

# One section of the guest's output: "@@RUN name" ... "@@RC n".
summary() { # LOG RUN KERNEL SUBJECT EXPECT(pass|fail)
	local sec line t
	sec=$(sed -n "/^@@RUN $2\$/,/^@@RC /p" "$1")
	line=$(grep -m1 '^conform: ' <<<"$sec" || echo "conform: no result")
	t=$(sed -n 's/^# \([0-9.]*\) s$/\1/p' <<<"$sec" | tail -n 1)
	echo "== conform $3 $4: ${line#conform: } (${t:-?} s)"
	if [[ $5 == pass ]]; then
		grep -q ', 0 failed, 0 skipped' <<<"$line" || { rc=1; grep -A8 -m3 '^not ok' <<<"$sec" || true; }
	else
		if grep -q ' [1-9][0-9]* failed' <<<"$line"; then
			echo "   first failing trace: $(grep -m1 '^not ok' <<<"$sec")"
			sed -n '/^# first failure, minimised/,/<-- got/p' <<<"$sec" | sed 's/^# /   /'
		else
			echo "   planted bug NOT detected"
			rc=1
		fi
	fi
}

# shellcheck disable=SC2016 # expanded in the guest
guest='echo "@@RUN intree"; sep-conform -q; echo "@@RC $?";
echo "@@RUN shadow"; '"$shim"' SHADOW_EPOLL_LOG=/tmp/shim.log sep-conform-dyn --trace scn-a-lt-rotation >/dev/null;
echo "shim: $(grep -c -- "-> shadow" /tmp/shim.log) calls answered by the shadow, $(grep -c "in-tree" /tmp/shim.log) by in-tree";
'"$shim"' sep-conform-dyn -q; echo "@@RC $?"'
for k in $kernels; do
	log=$out/check-$k.log
	t0=$(date +%s)
	scripts/vm-run.sh --kernel "$k" --timeout 900 "${adds[@]}" -- sh -c "$guest" >"$log" 2>&1 || true
	summary "$log" intree "$k" "in-tree epoll" pass
	grep -m1 '^shim: ' "$log" | sed 's/^/   /' || true
	summary "$log" shadow "$k" "shadow (LD_PRELOAD shim)" pass
	echo "   VM $(($(date +%s) - t0)) s, log ${log#"$REPO"/}"
done

sep_kernel "$bug_kernel"
for bug in $bugs; do
	mod=$REPO/build/plant/conform-$bug-$KVER
	plant_build "$bug" "$mod"
	log=$out/check-$bug-$KVER.log
	t0=$(date +%s)
	scripts/vm-run.sh --kernel "$bug_kernel" --timeout 900 --modules-dir "$mod/module" "${adds[@]}" \
		-- sh -c "echo '@@RUN shadow'; $shim sep-conform-dyn -q; echo \"@@RC \$?\"" >"$log" 2>&1 || true
	summary "$log" shadow "$bug_kernel" "shadow with $bug planted" fail
	echo "   VM $(($(date +%s) - t0)) s, log ${log#"$REPO"/}"
done
exit "$rc"
