#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# shim-demo.sh: run unmodified, dynamically linked Debian epoll programs with
# and without the LD_PRELOAD shim and compare what they do.  Runs *inside*
# the VM (root, shadow_epoll.ko loaded, busybox applets, glibc), e.g.
#
#   scripts/vm-run.sh --kernel 6.1 \
#     --add build/tools/libshadow_epoll_preload.so \
#     --add build/tools/preload-check --add tools/demo/shim-demo.sh \
#     --add /usr/sbin/lighttpd \
#     --add /usr/lib/lighttpd/mod_accesslog.so:/usr/lib/lighttpd/mod_accesslog.so \
#     --add /usr/bin/ncat -- sh shim-demo.sh
#
# The subjects:
#  * lighttpd (Debian package lighttpd): its default event handler on Linux
#    is epoll (epoll_create1, epoll_ctl, epoll_wait); it serves a small page,
#    a 1 MiB file (8 parallel downloads by busybox wget), a 404, and an
#    HTTP/1.0 request made by
#  * ncat (Debian package ncat) with --nsock-engine epoll (epoll_create,
#    epoll_ctl, epoll_wait; its default engine here is select);
#  * preload-check (tools/preload): errno of bad calls, poll/dup/fork/
#    nesting, close_range and dup2 over the gateway.
# Observable output (bodies, checksums, status lines, the access log without
# timestamps, ncat's output without the Date header) must be identical with
# and without the shim; the shim's log (SHADOW_EPOLL_LOG) must show every
# epoll call answered by the shadow, and /proc/PID/fd the shadow instance.
# Exit status 0 when all of that holds.

SO=${SO:-$(cd "$(dirname "$0")" && pwd)/libshadow_epoll_preload.so}
BIN=$(cd "$(dirname "$0")" && pwd)
W=${W:-/tmp/shim-demo}
PORT=8080
fail=0

mkdir -p "$W/www"
echo "hello from lighttpd on shadow-epoll" >"$W/www/index.html"
dd if=/dev/urandom of="$W/www/big.bin" bs=1024 count=1024 2>/dev/null
cat >"$W/lt.conf" <<CONF
server.document-root = "$W/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.modules = ( "mod_accesslog" )
accesslog.filename = "$W/access.log"
server.errorlog = "$W/error.log"
server.upload-dirs = ( "$W" )
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html", ".bin" => "application/octet-stream" )
CONF

LIGHTTPD=$(command -v lighttpd || echo "$BIN/lighttpd")
NCAT=$(command -v ncat || echo "$BIN/ncat")

# run_lighttpd LABEL [VAR=VALUE...]: start, exercise, stop; output in $W/LABEL.*
run_lighttpd() {
	label=$1
	shift
	rm -f "$W/access.log" "$W/error.log"
	env "$@" "$LIGHTTPD" -D -f "$W/lt.conf" &
	pid=$!
	i=0
	until wget -q -O /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "lighttpd ($label) did not start"; break; }
		sleep 0.1
	done
	{
		echo "# index"
		wget -q -O - "http://127.0.0.1:$PORT/"
		echo "# big.bin, 8 parallel downloads"
		(
			j=0
			while [ $j -lt 8 ]; do
				wget -q -O "$W/dl.$j" "http://127.0.0.1:$PORT/big.bin" &
				j=$((j + 1))
			done
			wait	# a subshell: waits for the downloads only
		)
		for j in 0 1 2 3 4 5 6 7; do
			md5sum <"$W/dl.$j"
		done
		echo "# missing page"
		wget -q -O - "http://127.0.0.1:$PORT/nope" 2>&1
		echo "# ncat --nsock-engine epoll, HTTP/1.0"
		printf 'GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n' |
			env "$@" "$NCAT" --nsock-engine epoll 127.0.0.1 "$PORT" |
			tr -d '\r' | grep -v '^Date:'
	} >"$W/$label.out" 2>&1
	if [ "$label" = shim ]; then
		ls -l "/proc/$pid/fd" 2>/dev/null | sed 's/.*[0-9] \([0-9]* ->\)/\1/' \
			| grep -E 'shadow|eventpoll' >"$W/shim.fds"
		for fd in $(ls -l "/proc/$pid/fd" | sed -n 's/.* \([0-9]*\) -> anon_inode:\[shadow_epoll\]/\1/p'); do
			echo "fdinfo $fd:"
			cat "/proc/$pid/fdinfo/$fd"
		done >"$W/shim.fdinfo"
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null
	sed 's/\[[^]]*\] //' "$W/access.log" | sort >"$W/$label.access"
}

echo "== lighttpd $("$LIGHTTPD" -v 2>&1 | head -n 1)"
run_lighttpd plain
run_lighttpd shim LD_PRELOAD="$SO" SHADOW_EPOLL_LOG="$W/shim.log"

echo "-- output without the shim:"
sed 's/^/   /' "$W/plain.out"
echo "-- access log without the shim (timestamps removed, sorted):"
sed 's/^/   /' "$W/plain.access"
if cmp -s "$W/plain.out" "$W/shim.out" && cmp -s "$W/plain.access" "$W/shim.access"; then
	echo "-- with the shim: output and access log IDENTICAL"
else
	echo "-- with the shim: DIFFERENT"
	diff "$W/plain.out" "$W/shim.out"
	diff "$W/plain.access" "$W/shim.access"
	fail=1
fi
echo "-- lighttpd's fds under the shim (epoll-like ones):"
sed 's/^/   /' "$W/shim.fds"
sed 's/^/   /' "$W/shim.fdinfo"
if grep -q eventpoll "$W/shim.fds" || ! grep -q 'anon_inode:\[shadow_epoll\]' "$W/shim.fds"; then
	echo "   FAIL: lighttpd holds a real epoll fd or no shadow instance"
	fail=1
fi

total=$(grep -c '' "$W/shim.log")
shadow=$(grep -c -- '-> shadow$' "$W/shim.log")
echo "-- shim log: $total calls, $shadow answered by the shadow; per function:"
for f in epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2; do
	n=$(grep -c "\] $f(" "$W/shim.log")
	[ "$n" -gt 0 ] && echo "   $f: $n"
done
echo "   per process: $(sed -n 's/^shadow-epoll\[\([0-9]*\)\].*/\1/p' "$W/shim.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
echo "-- shim log, first 12 and last 4 lines:"
head -n 12 "$W/shim.log" | sed 's/^/   /'
echo "   ..."
tail -n 4 "$W/shim.log" | sed 's/^/   /'
if [ "$total" -eq 0 ] || [ "$shadow" -ne "$total" ]; then
	echo "   FAIL: not every call went to the shadow"
	fail=1
fi

if [ -x "$BIN/preload-check" ]; then
	echo "== preload-check with and without the shim"
	"$BIN/preload-check" >"$W/pc.plain" 2>&1
	LD_PRELOAD="$SO" SHADOW_EPOLL_LOG="$W/pc.log" "$BIN/preload-check" >"$W/pc.shim" 2>&1
	if cmp -s "$W/pc.plain" "$W/pc.shim"; then
		echo "-- IDENTICAL ($(grep -c '' "$W/pc.plain") lines); shim log: $(grep -c -- '-> shadow$' "$W/pc.log") calls to the shadow, $(grep -c -- '-> in-tree' "$W/pc.log") elsewhere"
	else
		echo "-- DIFFERENT:"
		diff "$W/pc.plain" "$W/pc.shim"
		fail=1
	fi
	sed 's/^/   /' "$W/pc.shim"
fi

echo "shim-demo: $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
