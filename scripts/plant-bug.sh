#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Mutation check for the differential fuzzer: build a private copy of the
# module with one planted bug (never in the tree), boot a kernel with it and
# run sep_fuzz on several seeds.  Every seed must find a divergence within
# --max-time seconds and minimise it to at most --max-ops ops.
#
#   scripts/plant-bug.sh [--kernel 6.1|6.12|7] [--seeds "1 2 3"] [--max-time S]
#                        [--max-ops N] BUG...
#
# BUG is one of
#   lt-head   level-triggered items re-queued at the head of the ready list
#             (list_add instead of list_add_tail in sep_settle())
#   ovf-lifo  the overflow list drained LIFO: newest arrival first
#             (__sep_done_scan() inserts each arrival after the previous one)
#   pop-before-room  sep_deliver() takes an item off the list and re-polls
#             it before checking the buffer has room: on a full buffer the
#             item is on no list, its event lost (the emulators' bug; not in
#             the default set, scripts/conform-check.sh plants it)
#
# Sourced (scripts/conform-check.sh), it only defines plant() and
# plant_build().
#
# Output: per seed "plant: BUG KVER seed S: found after N ops in T s,
# minimised to M ops", then "plant: BUG KVER: F/S seeds found, max T s,
# max M ops", then the first minimised trace.  Exits non-zero when a seed
# misses, is too slow or minimises too long, or when the patch does not
# apply (the source changed: update the pattern here).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck disable=SC1091 # scripts/kernels.sh
source "$REPO/scripts/kernels.sh"
cd "$REPO"

kernel=6.1 seeds="1 2 3 4 5 6 7 8" max_time=10 max_ops=10
while (($#)); do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--seeds) seeds=${2:?}; shift 2 ;;
	--max-time) max_time=${2:?}; shift 2 ;;
	--max-ops) max_ops=${2:?}; shift 2 ;;
	-h | --help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "plant-bug.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
(($#)) || set -- lt-head ovf-lifo

# Applies BUG to the readylist.c at $1; fails if nothing changed.
plant() { # BUG FILE
	local before
	before=$(md5sum <"$2")
	case $1 in
	lt-head)
		sed -i '/^static void sep_settle(/,/^}/ s/list_add_tail(&item->rdllink, &ep->rdllist)/list_add(\&item->rdllink, \&ep->rdllist)/' "$2"
		;;
	ovf-lifo)
		perl -0pi -e 's/(static void __sep_done_scan\(.*?\n\{\n\tstruct sep_item \*item, \*next;\n)(.*?)if \(!sep_is_linked\(item\)\) \{\n\t\t\tlist_add\(&item->rdllink, &ep->rdllist\);/$1\tstruct list_head *plant_pos = &ep->rdllist;\n$2if (!sep_is_linked(item)) {\n\t\t\tlist_add(&item->rdllink, plant_pos);\n\t\t\tplant_pos = &item->rdllink;/s' "$2"
		;;
	pop-before-room)
		perl -0pi -e 's/\t\t\/\* Room first:[^\n]*\n\t\tif \(res >= maxevents\)\n\t\t\tbreak;\n//; s/(\t\trevents = ops->poll\(item, 1, ctx\);\n)/$1\t\tif (res >= maxevents)\n\t\t\tbreak;\n/' "$2"
		;;
	*) echo "plant-bug.sh: unknown bug $1" >&2; return 2 ;;
	esac
	[[ $(md5sum <"$2") != "$before" ]] || {
		echo "plant-bug.sh: $1 did not apply to $2 (source changed?)" >&2
		return 1
	}
}

# A private module copy in DIR with BUG planted, built for $KDIR.
plant_build() { # BUG DIR
	rm -rf "$2"
	mkdir -p "$2"
	cp -r VERSION Kbuild Kconfig module include "$2/"
	plant "$1" "$2/module/readylist.c"
	local mk=(make)
	[[ -z ${KROOT:-} ]] || mk=("$REPO/scripts/debian-kernel.sh" make "$KROOT") # 7.x: its build root
	"${mk[@]}" -s -C "${KDIR#"${KROOT:-}"}" M="$2" CONFIG_SHADOW_EPOLL=m -j"$(nproc)" modules >"$2/build.log" 2>&1 || {
		cat "$2/build.log" >&2
		echo "plant-bug.sh: $1: build failed" >&2
		exit 1
	}
}
[[ ${BASH_SOURCE[0]} == "$0" ]] || return 0

sep_kernel "$kernel"
make -s -C selftests/fuzz OUTPUT="$REPO/build/selftests"
rc=0
for bug in "$@"; do
	out=$REPO/build/plant/$bug-$KVER
	plant_build "$bug" "$out"
	# One VM per bug; each seed stops at its first divergence (-m 1).
	cmd="for s in $seeds; do echo \"@@SEED \$s\"; sep_fuzz -q -m 1 -s \$s -n 2000000; echo \"@@RC \$?\"; done"
	log=$out/fuzz.log
	vrc=0
	scripts/vm-run.sh --kernel "$kernel" --smp 1 --timeout 1800 \
		--modules-dir "$out/module" -- sh -c "$cmd" >"$log" 2>&1 || vrc=$?
	if ((vrc != 0)); then
		tail -n 30 "$log" >&2
		echo "plant-bug.sh: $bug: the VM failed (status $vrc)" >&2
		rc=1
		continue
	fi
	awk -v bug="$bug" -v kver="$KVER" -v maxt="$max_time" -v maxo="$max_ops" '
	/^@@SEED / { seed = $2; found = 0; ops = ""; t = ""; m = ""; next }
	/^DIVERGENCE:/ && !found {
		found = 1
		for (i = 1; i <= NF; i++) {
			if ($i == "after") ops = $(i + 1)
			if ($i == "s") t = $(i - 1)
		}
		next
	}
	/^minimised trace \(/ && m == "" { m = substr($3, 2) + 0; if (first == "") { first = seed; grab = 1 } }
	grab && /^reproduce:/ { trace = trace $0 "\n"; grab = 0; next }
	grab { trace = trace $0 "\n" }
	/^@@RC / {
		n++
		if (found && m != "") {
			ok = (t + 0 <= maxt && m <= maxo)
			printf "plant: %s %s seed %s: found after %s ops in %s s, minimised to %d ops%s\n",
				bug, kver, seed, ops, t, m, ok ? "" : "  <-- over the limit"
			if (ok) hit++
			if (t + 0 > tmax) tmax = t + 0
			if (m > mmax) mmax = m
		} else {
			printf "plant: %s %s seed %s: NOT FOUND\n", bug, kver, seed
		}
	}
	END {
		printf "plant: %s %s: %d/%d seeds found within %s s and %s ops, max %.2f s, max %d ops\n",
			bug, kver, hit, n, maxt, maxo, tmax, mmax
		if (trace != "") printf "first minimised trace (seed %s):\n%s", first, trace
		exit !(n > 0 && hit == n)
	}' "$log" || rc=1
done
exit "$rc"
