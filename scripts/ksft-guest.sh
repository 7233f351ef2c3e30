#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the VM (busybox sh): every executable /selftests/*_test, each
# between "@@KSFT-BEGIN name" and "@@KSFT-END name rc=N" markers, killed after
# $SEP_KSFT_TIMEOUT seconds (default 600).  scripts/check.sh parses the TAP.

t=${SEP_KSFT_TIMEOUT:-600}
for p in /selftests/*_test; do
	[ -x "$p" ] || continue
	n=${p##*/}
	echo "@@KSFT-BEGIN $n"
	timeout -s KILL "$t" "$p"
	echo "@@KSFT-END $n rc=$?"
done
exit 0
