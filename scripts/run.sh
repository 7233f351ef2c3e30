#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The main job ("make run"): build the module and the test programs, boot the
# kernel in QEMU, insmod, and print the side-by-side comparison report of
# /selftests/sep_report (in-tree epoll vs shadow), then the scenario corpus
# (tools/scenarios, run by sep-scenario).  Exits non-zero on any difference.
#
#   scripts/run.sh [--kernel 6.1|6.12|PATH] [-- REPORT ARGS...]   (default kernel: $KERNEL or 6.1)

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
kernel=${KERNEL:-6.1}
if [[ ${1:-} == --kernel ]]; then
	kernel=${2:?--kernel needs a value}
	shift 2
fi
[[ ${1:-} != -- ]] || shift

if [[ -f selftests/Makefile ]]; then
	KSRC=${KSRC:-$(scripts/ksrc.sh)}
	make -s -C selftests OUTPUT="$REPO/build/selftests" KSRC="$KSRC" \
		KSFT="$KSRC/tools/testing/selftests" >&2
fi
if [[ -f tools/Makefile ]]; then
	make -s -C tools OUTPUT="$REPO/build/tools" >&2
	cp build/tools/sep-scenario build/selftests/
	rm -rf build/selftests/scenarios
	cp -r tools/scenarios build/selftests/scenarios
fi
[[ -x build/selftests/sep_report ]] ||
	echo "run.sh: build/selftests/sep_report was not built; the VM will say so" >&2

# The report: the worked examples and more, call by call (sep_report), then
# the scenario corpus, step by step with the ready list after each wait.
# shellcheck disable=SC2016 # expanded by the guest shell
exec scripts/vm-run.sh --kernel "$kernel" --timeout "${SEP_VM_TIMEOUT:-900}" -- sh -c '
rc=0
if [ -x /selftests/sep_report ]; then
	/selftests/sep_report "$@" || rc=1
else
	echo "run: /selftests/sep_report is missing"
	rc=1
fi
if [ -x /selftests/sep-scenario ]; then
	echo
	echo "=== scenario corpus (tools/scenarios) ==="
	/selftests/sep-scenario /selftests/scenarios || rc=1
fi
exit $rc' sep_report "$@"
