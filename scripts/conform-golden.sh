#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Record the sep-conform golden corpora (make golden): generate the trace
# programs (tools/scenarios translated, plus N generated traces from SEED
# and ND traces of events during a paused scan; the VM runs as root, which
# userfaultfd needs for faults in kernel copies),
# boot each test kernel without the module and record every trace on its
# in-tree epoll, into tools/conform/golden/<line>.conform.
#
#   scripts/conform-golden.sh [--kernels "6.1 6.12 7.3"] [--seed S] [-n N]
#                             [--during ND]
#
# Each kernel records the corpus twice in one boot and fails if the two
# differ (a timing-dependent trace).  Prints per kernel the release, the
# trace count and the time, then how many result lines differ between the
# two kernel lines.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
kernels="6.1 6.12 7.3" seed=1 n=1200 nd=300
while (($#)); do
	case $1 in
	--kernels) kernels=${2:?}; shift 2 ;;
	--seed) seed=${2:?}; shift 2 ;;
	-n) n=${2:?}; shift 2 ;;
	--during) nd=${2:?}; shift 2 ;;
	-h | --help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "conform-golden.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

out=$REPO/build/conform
make -s -C tools/conform OUTPUT="$out" all
make -s -C tools/conform OUTPUT="$out" SEED="$seed" N="$n" ND="$nd" traces
mkdir -p tools/conform/golden
for k in $kernels; do
	t0=$(date +%s)
	log=$out/golden-$k.log
	# shellcheck disable=SC2016 # expanded in the guest
	scripts/vm-run.sh --kernel "$k" --no-module --timeout 1200 \
		--add "$out/sep-conform" --add "$out/conform-traces.txt" -- sh -c \
		'sep-conform --record conform-traces.txt >/tmp/g 2>/tmp/e; rc=$?;
		 sep-conform --record conform-traces.txt >/tmp/g2 2>>/tmp/e;
		 echo @@GOLDEN-BEGIN; cat /tmp/g; echo @@GOLDEN-END;
		 echo @@AGAIN-BEGIN; cat /tmp/g2; echo @@AGAIN-END; cat /tmp/e; exit $rc' \
		>"$log" 2>&1 || { tail -n 20 "$log" >&2; echo "conform-golden.sh: $k: VM failed" >&2; exit 1; }
	sed -n '/^@@GOLDEN-BEGIN$/,/^@@GOLDEN-END$/p' "$log" | sed '1d;$d' >"tools/conform/golden/$k.conform"
	# Recorded twice in the same boot: a timing-dependent trace differs.
	sed -n '/^@@AGAIN-BEGIN$/,/^@@AGAIN-END$/p' "$log" | sed '1d;$d' >"$out/again-$k.conform"
	if ! cmp -s "tools/conform/golden/$k.conform" "$out/again-$k.conform"; then
		diff "tools/conform/golden/$k.conform" "$out/again-$k.conform" | head -n 20 >&2
		echo "conform-golden.sh: $k: two recordings differ (a timing-dependent trace)" >&2
		exit 1
	fi
	printf 'golden %s: %s, %d traces, %d s\n' "$k" \
		"$(sed -n 's/^kernel //p' "tools/conform/golden/$k.conform")" \
		"$(grep -c '^trace ' "tools/conform/golden/$k.conform")" $(($(date +%s) - t0))
done
# How many result lines each kernel line changes from the one before.
prev=
for k in 6.1 6.12 7.3; do
	f=tools/conform/golden/$k.conform
	[[ -f $f ]] || continue
	if [[ -n $prev ]]; then
		d=$(diff <(sed '1,/^line /d' "tools/conform/golden/$prev.conform") <(sed '1,/^line /d' "$f") |
			grep -c '^[<>] =' || true)
		echo "golden: $d result lines differ between $prev and $k"
	fi
	prev=$k
done
