#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The "install" layer of make check: "make install" into a scratch DESTDIR,
# then use the installed tree only, then "make uninstall".
#
#   scripts/install-check.sh [-k] [--kernel 6.1|6.12|KVER]
#
# One line per check ("ok NAME", "not ok NAME", "skip NAME", with "# detail"),
# then "install: N passed, N failed, N skipped"; exits non-zero if a check
# failed.  -k keeps the scratch tree.  The module is built and installed for
# --kernel (default $SEP_INSTALL_KERNEL, else 6.1; skipped if not installed).
#
# Checks:
#   make-install        make install DESTDIR=... KDIR=... succeeds
#   tree-*              the module (path from the Kbuild files), the udev
#                       rule, every uapi and library header, the library
#                       (.so -> soname -> file), the shim, the tools, the
#                       corpus; a man page for every installed tool
#   pkg-config          --modversion is the VERSION file
#   readme-example-N    each C example of README.md (extracted now, not a
#                       copy), compiled with "pkg-config --cflags --libs
#                       shadow_epoll" pointing into the scratch tree
#                       (PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR) and with
#                       -Wall -Wextra -Werror; every shadow_epoll header it
#                       read and the libshadow_epoll it linked come from the
#                       scratch tree.  Run only where /dev/shadow_epoll exists
#                       (readme-run-N, else skipped)
#   lib-symbols         a program taking the address of every function the
#                       installed headers declare (names from gcc -aux-info)
#                       links against the installed library
#   scenarios           the installed sep-scenario --shadow=kernel on the
#                       installed corpus: every scenario identical
#   shim                the installed sep-preload-check prints the same with
#                       and without the installed shim (no module here: the
#                       shim falls back to in-tree epoll); sep-preload names
#                       the installed shim
#   man-PAGE            man --warnings -l renders without a warning and with
#                       no @PLACEHOLDER@ left
#   man-lib-functions   libshadow_epoll(3) lists every function of the
#                       installed headers
#   man-ioctls          shadow_epoll(4) names every SHADOW_EPOLL_IOC_* of the
#                       installed uapi header
#   man-options-TOOL    every option of TOOL's usage is in its page
#   udev-rule           the rule matches the device name of the uapi header
#                       and sets no MODE (the mode is the module's dev_mode)
#   dkms-conf           dkms.conf's version is VERSION, its module name and
#                       location are those of the Kbuild files
#   make-uninstall      make uninstall succeeds and leaves DESTDIR empty

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
# shellcheck disable=SC1091 # scripts/kernels.sh
source scripts/kernels.sh

keep=0 ksel=${SEP_INSTALL_KERNEL:-6.1}
while (($#)); do
	case $1 in
	-k) keep=1 ;;
	--kernel) ksel=${2:?}; shift ;;
	*) echo "usage: $0 [-k] [--kernel SEL]" >&2; exit 2 ;;
	esac
	shift
done

LOGS=$REPO/build/install-check
rm -rf "$LOGS"
mkdir -p "$LOGS"
D=$(mktemp -d "${TMPDIR:-/tmp}/sep-install.XXXXXX")
# shellcheck disable=SC2317 # called by the trap
cleanup() { ((keep)) || rm -rf "$D"; }
trap cleanup EXIT

# shellcheck disable=SC1091 # result NAME STATUS [DETAIL], skipped NAME [DETAIL]
source scripts/result.sh
check() { # NAME CMD...: result by exit status; output to the log
	local name=$1 st=0
	shift
	"$@" >"$LOGS/$name.log" 2>&1 || st=$?
	result "$name" $((st != 0)) "$(tail -n 1 "$LOGS/$name.log")"
	((st == 0)) || sed -n '1,20s/^/#   /p' "$LOGS/$name.log"
}
finish() {
	echo "install: $pass passed, $fail failed, $skip skipped"
	((fail == 0))
}

PREFIX=/usr/local
P=$D$PREFIX
VERSION=$(<VERSION)
kargs=() KVER=
if sep_kernel "$ksel" 2>/dev/null && [[ -f $KDIR/Makefile ]]; then
	kargs=(KDIR="$KDIR")
	target=install
else
	echo "# kernel $ksel not installed: the module is not installed"
	target=install-user
fi

check make-install make "$target" DESTDIR="$D" PREFIX="$PREFIX" "${kargs[@]}"
if [[ ! -d $P/lib ]]; then
	finish
	exit 1
fi
echo "# installed tree ($D):"
(cd "$D" && find . -mindepth 1 \( -type l -printf '#   %P -> %l\n' \) -o \( -type f -printf '#   %P\n' \) |
	LC_ALL=C sort)

# --- the tree -------------------------------------------------------------
mapfile -t kos < <(make -s --no-print-directory install-list-modules)
tree_module() {
	local ko f
	((${#kos[@]})) || { echo "no module in the Kbuild files"; return 1; }
	for ko in "${kos[@]}"; do
		f=$(compgen -G "$D/lib/modules/$KVER/extra/$ko.ko*" | head -n 1) ||
			{ echo "missing: lib/modules/$KVER/extra/$ko.ko"; return 1; }
		modinfo -F vermagic "$f" | grep -q "^$KVER " || { echo "$f: vermagic is not $KVER"; return 1; }
		echo "${f#"$D"}"
	done
}
if [[ -n $KVER && $target == install ]]; then
	check tree-module tree_module
else
	skipped tree-module "kernel $ksel not installed"
fi

tree_files() {
	local f h missing=0
	for f in /etc/udev/rules.d/60-shadow-epoll.rules \
		$PREFIX/lib/libshadow_epoll.a $PREFIX/lib/libshadow_epoll_preload.so \
		$PREFIX/lib/pkgconfig/shadow_epoll.pc \
		$PREFIX/bin/sep-scenario $PREFIX/bin/sep-preload $PREFIX/bin/sep-preload-check \
		$PREFIX/bin/sep-run $PREFIX/bin/sep-inspect; do
		[[ -f $D$f ]] || { echo "missing: $f"; missing=1; }
	done
	for h in include/uapi/linux/*.h; do
		cmp -s "$h" "$P/include/linux/${h##*/}" || { echo "missing or different: include/linux/${h##*/}"; missing=1; }
	done
	h=tools/lib/libshadow_epoll.h
	cmp -s "$h" "$P/include/${h##*/}" || { echo "missing or different: include/${h##*/}"; missing=1; }
	for f in tools/scenarios/*.sep; do
		cmp -s "$f" "$P/share/shadow-epoll/scenarios/${f##*/}" || { echo "missing: scenario ${f##*/}"; missing=1; }
	done
	((missing == 0)) && echo "headers, tools, shim, udev rule, .pc, $(find "$P/share/shadow-epoll/scenarios" -name '*.sep' | wc -l) scenarios"
}
check tree-files tree_files

tree_lib() {
	local so=$P/lib/libshadow_epoll.so soname real
	[[ -L $so ]] || { echo "libshadow_epoll.so is not a symlink"; return 1; }
	real=$(readlink -f "$so")
	soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	[[ $soname == libshadow_epoll.so.* ]] || { echo "soname '$soname' is not versioned"; return 1; }
	[[ $(readlink -f "$P/lib/$soname") == "$real" ]] || { echo "$soname does not lead to $real"; return 1; }
	echo "libshadow_epoll.so -> $soname -> ${real##*/}"
}
check tree-lib tree_lib

man_per_tool() {
	local b missing=0
	for b in "$P"/bin/*; do
		[[ -f $P/share/man/man1/${b##*/}.1 ]] || { echo "no man page for ${b##*/}"; missing=1; }
	done
	((missing == 0)) && echo "$(find "$P/bin" -type f | wc -l) tools, each with its page"
}
check tree-man-per-tool man_per_tool

# --- pkg-config and the README's example ------------------------------------
export PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
pc_version() {
	local v
	v=$(pkg-config --modversion shadow_epoll)
	[[ $v == "$VERSION" ]] || { echo "shadow_epoll $v, VERSION $VERSION"; return 1; }
	echo "shadow_epoll $v: $(pkg-config --cflags --libs shadow_epoll)"
}
check pkg-config pc_version

# Compile SRC into EXE against the installed tree only: the shadow_epoll
# headers it reads and the library it links must come from $D.
compile_installed() { # SRC EXE
	local flags bad
	read -ra flags < <(pkg-config --cflags --libs shadow_epoll)
	echo "gcc -Wall -Wextra -Werror -o ${2##*/} ${1##*/} ${flags[*]}"
	gcc -Wall -Wextra -Werror -MD -MF "$2.d" -o "$2" "$1" "${flags[@]}" -Wl,--trace >"$2.trace"
	bad=$(tr ' ' '\n' <"$2.d" | grep shadow_epoll | grep -v "^$D/" || true)
	[[ -z $bad ]] || { echo "headers from outside the installed tree: $bad"; return 1; }
	grep -q "^$D$PREFIX/lib/libshadow_epoll.so" "$2.trace" ||
		{ echo "libshadow_epoll not linked from the installed tree:"; grep -i shadow "$2.trace"; return 1; }
	echo "$(tr ' ' '\n' <"$2.d" | grep -c "^$D/.*\.h$") installed headers read, linked $(grep "^$D" "$2.trace" | head -n 1 | sed "s|^$D||")"
}

n=$(awk -v out="$D/example" '
	/^```c[ \t]*$/ { inblk = 1; n++; f = out "-" n ".c"; printf "" > f; next }
	/^```/ { if (inblk) close(f); inblk = 0; next }
	inblk { print > f }
	END { print n + 0 }' README.md)
if ((n == 0)); then
	result readme-example 1 "no \`\`\`c block in README.md"
fi
for ((i = 1; i <= n; i++)); do
	if ! grep -q 'main *(' "$D/example-$i.c"; then
		skipped "readme-example-$i" "a fragment, no main()"
		continue
	fi
	check "readme-example-$i" compile_installed "$D/example-$i.c" "$D/example-$i"
	if [[ ! -x $D/example-$i ]]; then
		continue
	elif [[ -c /dev/shadow_epoll ]]; then
		check "readme-run-$i" env LD_LIBRARY_PATH="$P/lib" "$D/example-$i"
	else
		skipped "readme-run-$i" "no /dev/shadow_epoll here"
	fi
done

# The functions the installed library headers declare, by the compiler.
lib_functions() {
	local h
	for h in "$P"/include/*.h; do
		gcc -fsyntax-only -D_GNU_SOURCE -I"$P/include" -aux-info "$D/aux" -x c "$h"
		awk -v h="$h" 'index($0, "/* " h ":") == 1 { s = $0; sub(/ \(.*$/, "", s); n = split(s, w, /[ *]+/); print w[n] }' "$D/aux"
	done | LC_ALL=C sort -u
}
mapfile -t funcs < <(lib_functions)
lib_symbols() {
	local f h
	((${#funcs[@]})) || { echo "no function in the installed headers"; return 1; }
	{
		for h in "$P"/include/*.h; do echo "#include <${h##*/}>"; done
		echo "int main(void) { void *volatile p;"
		for f in "${funcs[@]}"; do echo "p = (void *)$f; (void)p;"; done
		echo "return 0; }"
	} >"$D/symbols.c"
	compile_installed "$D/symbols.c" "$D/symbols"
	echo "${#funcs[@]} functions declared, all linked"
}
check lib-symbols lib_symbols

# --- the tools ------------------------------------------------------------
scenarios() {
	local out
	out=$("$P/bin/sep-scenario" --shadow=kernel -q "$P/share/shadow-epoll/scenarios" | tail -n 1)
	echo "$out"
	[[ $out =~ ^scenarios:\ ([0-9]+)\ run,\ ([0-9]+)\ identical,\ 0\ different$ ]] &&
		((BASH_REMATCH[1] > 0 && BASH_REMATCH[1] == BASH_REMATCH[2]))
}
check scenarios scenarios

shim() {
	local so
	so=$(sed -n "s/^SO='\(.*\)'$/\1/p" "$P/bin/sep-preload")
	[[ -f $D$so ]] || { echo "sep-preload names $so, not installed"; return 1; }
	"$P/bin/sep-preload-check" >"$D/plain.out"
	LD_PRELOAD=$D$so "$P/bin/sep-preload-check" >"$D/shim.out"
	diff "$D/plain.out" "$D/shim.out" || { echo "the output differs under the shim"; return 1; }
	echo "$(wc -l <"$D/plain.out") lines identical with and without $so"
}
check shim shim

# --- man pages --------------------------------------------------------------
man_page() { # PAGE
	local err
	err=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >"$D/man.txt") || true
	[[ -z $err ]] || { echo "$err"; return 1; }
	[[ -s $D/man.txt ]] || { echo "renders empty"; return 1; }
	! grep -nE '@[A-Z]+@' "$D/man.txt" || { echo "placeholder left"; return 1; }
	echo "$(wc -l <"$D/man.txt") lines, no warnings"
}
for page in "$P"/share/man/man*/*; do
	check "man-${page##*/}" man_page "$page"
done

# The page's text without font changes and with plain hyphens, in a file
# (grep -q on a pipe would make the writer fail under pipefail).
roff_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1" >"$D/roff.txt"; }
man_lib_functions() {
	local f page=$P/share/man/man3/libshadow_epoll.3 missing=0
	for f in "${funcs[@]}"; do
		grep -q "^\.BR $f ()" "$page" || { echo "not in libshadow_epoll(3): $f"; missing=1; }
	done
	((missing == 0)) && echo "${#funcs[@]} functions, all described"
}
check man-lib-functions man_lib_functions

man_ioctls() {
	local c missing=0 n=0
	roff_text "$P/share/man/man4/shadow_epoll.4"
	while read -r c; do
		[[ $c != *_MAGIC ]] || continue
		n=$((n + 1))
		grep -qw "$c" "$D/roff.txt" || { echo "not in shadow_epoll(4): $c"; missing=1; }
	done < <(sed -n 's/^#define \(SHADOW_EPOLL_IOC_[A-Z_0-9]*\)[[:space:]].*/\1/p' "$P/include/linux/shadow_epoll.h")
	((n > 0 && missing == 0)) && echo "$n ioctls, all documented"
}
check man-ioctls man_ioctls

man_options() { # TOOL: every option its usage prints is in its page
	local tool=$1 o missing=0 n=0
	roff_text "$P/share/man/man1/$tool.1"
	for o in $({ "$P/bin/$tool" --help 2>&1 || true; } | grep -oE '(^|[[ ])--?[a-z][a-z-]*' | tr -d '[ ' | sort -u); do
		n=$((n + 1))
		grep -q -- "$o" "$D/roff.txt" || { echo "$tool: $o not in its page"; missing=1; }
	done
	((missing == 0)) && echo "$n options, all in the page"
}
for tool in sep-scenario sep-preload sep-run sep-inspect; do
	check "man-options-$tool" man_options "$tool"
done

# --- udev and DKMS ----------------------------------------------------------
udev_rule() {
	local rule=$D/etc/udev/rules.d/60-shadow-epoll.rules dev active
	dev=$(sed -n 's|^#define SHADOW_EPOLL_DEVICE[[:space:]]*"/dev/\(.*\)"|\1|p' "$P/include/linux/shadow_epoll.h")
	active=$(grep -v '^[[:space:]]*#' "$rule" | grep -v '^[[:space:]]*$')
	grep -q "KERNEL==\"$dev\"" <<<"$active" || { echo "no active rule for $dev"; return 1; }
	! grep -q 'MODE' <<<"$active" || { echo "the rule sets MODE: the mode is the module's dev_mode"; return 1; }
	echo "KERNEL==\"$dev\", no MODE"
}
check udev-rule udev_rule

dkms_conf() {
	local v n l ko
	# shellcheck disable=SC1091,SC2034 # dkms sources the file the same way
	read -r v n l < <(bash -c 'source ./dkms.conf; echo "$PACKAGE_VERSION ${BUILT_MODULE_NAME[0]} ${BUILT_MODULE_LOCATION[0]}"')
	[[ $v == "$VERSION" ]] || { echo "dkms.conf version $v, VERSION $VERSION"; return 1; }
	ko="${l%/}/$n"
	printf '%s\n' "${kos[@]}" | grep -qx "$ko" || { echo "dkms.conf builds $ko, the Kbuild files ${kos[*]}"; return 1; }
	echo "shadow-epoll $v: $ko"
}
check dkms-conf dkms_conf

# --- uninstall ----------------------------------------------------------------
uninstall() {
	make "un$target" DESTDIR="$D" PREFIX="$PREFIX" "${kargs[@]}"
	rm -rf "$D"/example-* "$D"/symbols* "$D"/aux "$D"/*.out "$D"/man.txt "$D"/roff.txt
	local left
	left=$(cd "$D" && find . -mindepth 1)
	[[ -z $left ]] || { echo "left behind:"; echo "$left"; return 1; }
	echo "nothing left in DESTDIR"
}
check make-uninstall uninstall

finish
