// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_dump_bench: the READY dump with a long ready list (root).
 *
 *   sep_dump_bench [-n N] [-r REPS] [-d DUPS]
 *
 * N registrations (default 1M) on one instance, all ready: eventfds with a
 * count of 1, each dup'ed DUPS times (default 64; the key is (file, fd), so
 * every dup is a registration), so every ADD queues its item.  Then READY
 * dumps of capacity 0, 1, 1024 and 65536 are timed (median and maximum of
 * REPS calls, default 20), and each must return the count N, SCANNING
 * clear, and the first entries in ADD order with the READY flag.
 *
 * A dump runs with interrupts off from taking the instance lock to
 * dropping it; the rest of the call (argument copy, buffer allocation,
 * copy out) is O(capacity).  So a dump of capacity 0 or 1 that takes time
 * growing with N is an interrupts-off section growing with N.  The module
 * keeps the ready list's length, so only the entries copied out are
 * visited.  Only numbers are printed about time; the checks are on the
 * results.  Raises fs.nr_open, RLIMIT_NOFILE and the module's
 * max_user_watches as needed.  Exit 0 pass, 1 fail, 4 skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/shadow_epoll.h>

#include "libshadow_epoll.h"
#include "shep_util.h"

#define PARAM	"/sys/module/shadow_epoll/parameters/max_user_watches"

static int failures;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int raise_limits(long n)
{
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };

	if (shep_read_long("/proc/sys/fs/nr_open") < n + 64)
		shep_write_long("/proc/sys/fs/nr_open", n + 64);
	if (shep_read_long(PARAM) < n)
		shep_write_long(PARAM, n);
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static int add(int ep, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return shep_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Time REPS dumps of capacity @cap and check what they return. */
static void bench_dump(int ep, uint32_t cap, long n, int reps)
{
	struct shadow_epoll_ready_entry *e = calloc(cap ? cap : 1, sizeof(*e));
	uint64_t *t = calloc(reps, sizeof(*t));
	unsigned int fl;
	uint32_t i, want;
	int r, count;

	for (r = 0; r < reps; r++) {
		t[r] = shep_now_ns();
		count = shep_ready(ep, e, cap, &fl);
		if (count < 0) {
			printf("dump: FAIL: READY(%u): %s\n", cap, strerror(errno));
			failures++;
			goto out;
		}
		t[r] = shep_now_ns() - t[r];
		if (count != n || fl) {
			printf("dump: FAIL: READY(%u): count %d flags %#x, not %ld, 0\n",
			       cap, count, fl, n);
			failures++;
			goto out;
		}
	}
	want = cap < n ? cap : n;
	for (i = 0; i < want; i++) {
		if (e[i].data != i || e[i].flags != SHADOW_EPOLL_ENTRY_READY) {
			printf("dump: FAIL: READY(%u): entry %u: data %llu flags %#x\n",
			       cap, i, (unsigned long long)e[i].data, e[i].flags);
			failures++;
			goto out;
		}
	}
	qsort(t, reps, sizeof(*t), cmp_u64);
	printf("dump: %ld ready, capacity %6u: median %9.1f us, max %9.1f us\n",
	       n, cap, t[reps / 2] / 1e3, t[reps - 1] / 1e3);
out:
	free(e);
	free(t);
}

int main(int argc, char **argv)
{
	static const uint32_t caps[] = { 0, 1, 1024, 65536 };
	long n = 1 << 20, i;
	int reps = 20, dups = 64, opt, ep, base = -1, fd;
	uint64_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:r:d:")) != -1) {
		switch (opt) {
		case 'n': n = strtol(optarg, NULL, 0); break;
		case 'r': reps = atoi(optarg); break;
		case 'd': dups = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n N] [-r REPS] [-d DUPS]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 1 || reps < 1 || dups < 1)
		return 2;
	ep = shep_create(EPOLL_CLOEXEC);
	if (ep < 0) {
		printf("dump: SKIP: %s: %s\n", shep_device_path(), strerror(errno));
		return 4;
	}
	if (raise_limits(n)) {
		printf("dump: SKIP: RLIMIT_NOFILE %ld: %s\n", n + 64, strerror(errno));
		return 4;
	}
	t = shep_now_ns();
	for (i = 0; i < n; i++) {
		fd = i % dups ? dup(base) : (base = eventfd(1, EFD_CLOEXEC));
		if (fd < 0 || add(ep, fd, i)) {
			printf("dump: FAIL: registration %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("dump: %ld registrations, all ready, in %.1f s\n", n,
	       (shep_now_ns() - t) / 1e9);
	for (i = 0; i < (long)(sizeof(caps) / sizeof(caps[0])); i++)
		bench_dump(ep, caps[i], n, reps);
	printf("dump: summary: %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
