#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Generate libshadow_epoll(3) from its template and the library's headers.
#
#   scripts/man-lib.sh TEMPLATE VERSION "CFLAGS" HEADER... >libshadow_epoll.3
#
# The function list is not written by hand: the compiler (gcc -aux-info)
# names every function the headers declare and the line it is declared on;
# the declaration is then copied from that line with its parameter names, and
# the comment just above it becomes its description.  "#define NAME VALUE"
# lines (not the include guard) become the CONSTANTS, with their comments.
# The template's lines @SYNOPSIS@, @FUNCTIONS@ and @CONSTANTS@ are replaced by
# those lists, @VERSION@ by VERSION.  So a renamed or added function shows up
# in the page by itself; the template's prose names no function.

set -euo pipefail

tmpl=${1:?usage: $0 TEMPLATE VERSION CFLAGS HEADER...}
version=${2:?version}
cflags=${3-}
shift 3
(($#)) || { echo "man-lib.sh: no header" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

: >"$tmp/decls"
for h in "$@"; do
	# shellcheck disable=SC2086 # CFLAGS is a list of options
	gcc -fsyntax-only -D_GNU_SOURCE $cflags -aux-info "$tmp/aux" -x c "$h"
	# "/* FILE:LINE:NC */ extern TYPE NAME (ARGS);" for the header itself
	awk -v h="$h" '
		index($0, "/* " h ":") == 1 {
			split($2, a, ":")
			s = $0
			sub(/ \(.*$/, "", s)
			n = split(s, w, /[ *]+/)
			print h "\t" a[2] "\t" w[n]
		}' "$tmp/aux" >>"$tmp/decls"
done
[[ -s $tmp/decls ]] || { echo "man-lib.sh: no function declared in $*" >&2; exit 1; }

# HEADER LINE NAME lines -> roff for the synopsis, the functions, the constants.
awk -F '\t' -v out="$tmp" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
function load(h,    n, l) {
	if (h in loaded)
		return
	loaded[h] = 1
	n = 0
	while ((getline l < h) > 0)
		src[h, ++n] = l
	nl[h] = n
	close(h)
}
# The comment block ending on the line above L (or ""), as one paragraph.
function comment(h, L,    k, t, s) {
	k = L - 1
	if (k < 1 || src[h, k] !~ /\*\/[ \t]*$/)
		return ""
	while (k > 1 && src[h, k] !~ /\/\*/)
		k--
	t = ""
	for (; k < L; k++) {
		s = src[h, k]
		sub(/^[ \t]*\/\*+[ \t]*/, "", s)
		sub(/[ \t]*\*+\/[ \t]*$/, "", s)
		sub(/^[ \t]*\*[ \t]?/, "", s)
		if (s != "")
			t = t (t == "" ? "" : " ") s
	}
	return t
}
# The declaration starting on line L up to its ";", on one line.
function decl(h, L,    t, s) {
	t = ""
	for (; L <= nl[h]; L++) {
		s = src[h, L]
		gsub(/[ \t]+/, " ", s)
		sub(/^ /, "", s)
		t = t (t == "" || t ~ /\($/ ? "" : " ") s
		if (s ~ /;/)
			break
	}
	sub(/^ /, "", t)
	gsub(/\( /, "(", t)
	return t
}
{
	h = $1; L = $2; name = $3
	load(h)
	if (!(h in seen)) {
		seen[h] = 1
		hs = h
		sub(/.*\//, "", hs)
		print ".B #include <" hs ">" > (out "/syn.inc")
	}
	d = esc(decl(h, L))
	sub(name "\\(", "\\fB" name "\\fP(", d)
	syn[++ns] = d
	c = comment(h, L)
	print ".TP\n.BR " name " ()\n" (c == "" ? "(no description in the header)" : esc(c)) > (out "/fun")
}
END {
	print ".PP\n.nf" > (out "/syn")
	for (i = 1; i <= ns; i++)
		print syn[i] > (out "/syn")
	print ".fi" > (out "/syn")
	for (h in loaded) {
		for (L = 1; L <= nl[h]; L++) {
			if (src[h, L] !~ /^#define[ \t]+[A-Za-z_0-9]+[ \t]+[^ \t]/)
				continue
			split(src[h, L], w, /[ \t]+/)
			v = src[h, L]
			sub(/^#define[ \t]+[A-Za-z_0-9]+[ \t]+/, "", v)
			c = comment(h, L)
			print ".TP\n.BR " w[2] " \" (" esc(v) ")\"" (c == "" ? "" : "\n" esc(c)) > (out "/const")
		}
	}
}' "$tmp/decls"
touch "$tmp/const"
cat "$tmp/syn.inc" "$tmp/syn" >"$tmp/synopsis"

while IFS= read -r line; do
	case $line in
	@SYNOPSIS@) cat "$tmp/synopsis" ;;
	@FUNCTIONS@) cat "$tmp/fun" ;;
	@CONSTANTS@)
		if [[ -s $tmp/const ]]; then cat "$tmp/const"; else echo "None."; fi
		;;
	*) printf '%s\n' "${line//@VERSION@/$version}" ;;
	esac
done <"$tmpl"
