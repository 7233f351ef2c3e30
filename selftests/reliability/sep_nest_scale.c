// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_nest_scale: time of a nested EPOLL_CTL_ADD against the size of the
 * inner instance, shadow and in-tree in one run.
 *
 * For each n: n fresh eventfds; a real epoll holding them is added into
 * another real epoll, and a shadow instance holding them into another
 * shadow instance, alternately, -r times each; the best time of each side
 * is kept, then the eventfds closed.
 * Prints the times and the time per file, then checks that the shadow's
 * per-file time at the largest n is within 3x of that at the smallest (or
 * twice in-tree's own growth, if that is larger: ns_growth_allowed()) and
 * that the shadow is within 3x of in-tree at every n.  Exit 1 if a check fails, 2 on an error, 4 (skip)
 * without the device.
 *
 *   sep_nest_scale [-n 10k,100k,1M] [-r reps]
 *
 * Needs root (raises fs.nr_open, RLIMIT_NOFILE and the watch limits); at
 * 1M the guest needs about 1.5 GB (vm-run.sh --mem 4096).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>

#include "sep_rel.h"
#include "../nest_scale.h"

#define MAX_N		8
#define MAX_GROWTH	3.0
#define MAX_RATIO	3.0

static long parse_n(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end == 'k' || *end == 'K')
		v *= 1000;
	else if (*end == 'M' || *end == 'm')
		v *= 1000000;
	return v;
}

int main(int argc, char **argv)
{
	static const struct ns_side sides[2] = {
		{ "in-tree", epoll_create1, epoll_ctl },
		{ "shadow", shep_create, shep_ctl },
	};
	long n[MAX_N] = { 10000, 100000, 1000000 };
	double ms[MAX_N][2], per[MAX_N][2], growth[2], allowed;
	int cnt = 3, reps = 3, i, s, opt, bad = 0;
	struct ns_limits lim = { -1, -1, -1 };
	char *tok, *save;
	long maxn = 0;
	int *fds;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n':
			cnt = 0;
			for (tok = strtok_r(optarg, ",", &save);
			     tok && cnt < MAX_N;
			     tok = strtok_r(NULL, ",", &save))
				n[cnt++] = parse_n(tok);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-n 10k,100k,1M] [-r reps]\n",
				argv[0]);
			return 2;
		}
	}
	if (!cnt || reps < 1)
		return 2;
	if (shep_gateway() < 0) {
		printf("nest-scale: %s missing: skip\n", shep_device_path());
		return 4;
	}
	for (i = 0; i < cnt; i++)
		if (n[i] > maxn)
			maxn = n[i];
	if (ns_raise_limits(maxn, &lim)) {
		perror("nest-scale: raising limits");
		return 2;
	}

	printf("%10s %14s %14s %14s %14s %9s\n", "n", "in-tree ms",
	       "in-tree us/f", "shadow ms", "shadow us/f", "sh/in");
	for (i = 0; i < cnt; i++) {
		fds = ns_open_eventfds(n[i]);
		if (!fds) {
			perror("nest-scale: eventfd");
			return 2;
		}
		if (ns_time_both(sides, fds, n[i], reps, ms[i]))
			return 2;
		for (s = 0; s < 2; s++)
			per[i][s] = ms[i][s] * 1e3 / n[i];
		ns_close_fds(fds, n[i]);
		printf("%10ld %14.1f %14.3f %14.1f %14.3f %9.2f\n", n[i],
		       ms[i][0], per[i][0], ms[i][1], per[i][1],
		       ms[i][1] / ms[i][0]);
		fflush(stdout);
		if (ms[i][1] > MAX_RATIO * ms[i][0])
			bad = 1;
	}
	ns_restore_limits(&lim);

	for (s = 0; s < 2; s++)
		growth[s] = per[cnt - 1][s] / per[0][s];
	allowed = ns_growth_allowed(MAX_GROWTH, growth[0]);
	printf("nest-scale: per-file growth n=%ld/n=%ld: in-tree x%.2f, shadow x%.2f (allowed x%.2f)\n",
	       n[cnt - 1], n[0], growth[0], growth[1], allowed);
	if (growth[1] > allowed)
		bad = 1;
	printf("nest-scale: %s (shadow within %.1fx of in-tree at every n, per-file growth within the allowed)\n",
	       bad ? "FAIL" : "ok", MAX_RATIO);
	return bad;
}
