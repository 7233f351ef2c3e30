#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks.  One line per check ("ok NAME" / "not ok NAME"), then
# "style: N passed, N failed"; exits non-zero if a check failed.
#   build-6.1, build-6.12  W=1 C=1 (gcc + sparse) build of module/ and kunit/
#                          (kunit/ only when the kernel has KUnit); 0 warnings.
#                          SEP_STYLE_KERNELS="6.1 6.12 7" (make check passes
#                          its kernels) adds build-7, in its build root with
#                          the newest Debian sparse (scripts/debian-kernel.sh:
#                          trixie's 0.6.4 cannot parse 7.x headers); a build
#                          where the kernel turned C=1 off fails
#   checkpatch             --strict over module/ kunit/ include/uapi/linux/
#   shell                  shellcheck over scripts/*.sh and .ci/run
#   doc-refs               scripts/doc-refs.sh: no document outside the repo is
#                          named, every "§N" citation has its section in
#                          docs/epoll-semantics.md
# Logs: build/style/*.log.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
LOGS=build/style
mkdir -p "$LOGS"
# shellcheck disable=SC1091 # scripts/result.sh: result NAME STATUS DETAIL
source scripts/result.sh

show() { # LOG: the offending lines, for the person reading CI output
	grep -E "$2" "$1" | head -n 40 | sed 's/^/#   /'
}

# Compiler and sparse diagnostics in our sources, modpost complaints about our modules.
DIAG='/(module|kunit|include)/[^:]*:[0-9]+(:[0-9]+)?: (warning|error)|^(WARNING|ERROR): modpost: .*(shadow_epoll|/module/|/kunit/)'
# The build is the one the VMs load too (W=1 and sparse change no object):
# it goes to build/mod-KVER, under that directory's build lock, and
# build-module.sh's stamp lets a VM of this checkout reuse it (a source
# changed since is newer than the stamp and rebuilds).
rm -rf "$REPO"/build/style-* # where these builds went before
for k in ${SEP_STYLE_KERNELS:-6.1 6.12}; do
	# shellcheck disable=SC1091,SC2153 # scripts/kernels.sh sets KVER
	if ! kver=$(source scripts/kernels.sh && sep_kernel "$k" >/dev/null 2>&1 && echo "$KVER"); then
		result "build-$k" 1 "kernel $k not installed"
		continue
	fi
	log=$LOGS/build-$k.log
	dir=$REPO/build/mod-$kver
	mkdir -p "$dir"
	exec 8>"$dir/.build.lock"
	flock 8
	# full rebuild: every file compiled and checked (build-module.sh
	# removes the objects when its record of the sources is gone)
	rm -f "$dir/.sep-sources"
	st=0
	SEP_MOD_DIR=$dir SEP_BUILD_LOCKED=1 scripts/build-module.sh "$k" W=1 C=1 >"$log" 2>&1 || st=$?
	exec 8>&-
	n=$(grep -cE "$DIAG" "$log" || true)
	if grep -q 'specified, but .* is not available or not up to date' "$log"; then
		result "build-$k" 1 "sparse did not run (the kernel's checker test refused it), see $log"
	elif ((st != 0)); then
		result "build-$k" 1 "build failed, see $log"
		tail -n 20 "$log" | sed 's/^/#   /'
	else
		result "build-$k" "$n" "$n warnings (W=1 C=1)"
		((n == 0)) || show "$log" "$DIAG"
	fi
done

KSRC=${KSRC:-$(scripts/ksrc.sh)}
files=()
for f in module/*.[ch] kunit/*.[ch] include/uapi/linux/*.h; do
	[[ -f $f && $f != *.mod.c ]] && files+=("$f")
done
log=$LOGS/checkpatch.log
if ((${#files[@]})); then
	"$KSRC/scripts/checkpatch.pl" --no-tree --strict --terse -f "${files[@]}" >"$log" 2>&1 || true
	n=$(grep -cE ': (ERROR|WARNING|CHECK):' "$log" || true)
	result checkpatch "$n" "$n errors/warnings/checks in ${#files[@]} files"
	((n == 0)) || show "$log" ': (ERROR|WARNING|CHECK):'
else
	result checkpatch 0 "no files"
fi

log=$LOGS/shellcheck.log
sh_files=(scripts/*.sh)
[[ -f .ci/run ]] && sh_files+=(.ci/run)
st=0
shellcheck -f gcc "${sh_files[@]}" >"$log" 2>&1 || st=$?
n=$(grep -c ':[0-9]*:[0-9]*: ' "$log" || true)
result shellcheck "$st" "$n findings in ${#sh_files[@]} files"
((st == 0)) || head -n 40 "$log" | sed 's/^/#   /'

log=$LOGS/doc-refs.log
st=0
scripts/doc-refs.sh >"$log" 2>&1 || st=$?
result doc-refs "$st" "$(tail -n 1 "$log")"
((st == 0)) || head -n 40 "$log" | sed 's/^/#   /'

echo "style: $pass passed, $fail failed"
((fail == 0))
