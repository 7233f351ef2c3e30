#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The main job ("make run"): build the module and the test programs, boot the
# kernel in QEMU, insmod, and print the side-by-side comparison report of
# /selftests/sep_report (in-tree epoll vs shadow).  Exits with its status.
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
[[ -x build/selftests/sep_report ]] ||
	echo "run.sh: build/selftests/sep_report was not built; the VM will say so" >&2

exec scripts/vm-run.sh --kernel "$kernel" --timeout "${SEP_VM_TIMEOUT:-900}" -- sh -c '
if [ -x /selftests/sep_report ]; then
	exec /selftests/sep_report "$@"
fi
echo "run: /selftests/sep_report is missing"
exit 1' sep_report "$@"
