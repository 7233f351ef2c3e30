#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the check scripts: one line per check, and the counts.
#   result NAME STATUS [DETAIL]   "ok NAME" if STATUS is 0, else "not ok NAME"
#   skipped NAME [DETAIL]         "skip NAME"
# Counts: $pass, $fail, $skip.

pass=0 fail=0 skip=0

result() {
	if (($2 == 0)); then
		echo "ok $1${3:+ # $3}"
		pass=$((pass + 1))
	else
		echo "not ok $1${3:+ # $3}"
		fail=$((fail + 1))
	fi
}

skipped() {
	echo "skip $1${2:+ # $2}"
	skip=$((skip + 1))
}
