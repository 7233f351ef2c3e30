/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Timing of a nested EPOLL_CTL_ADD: an instance holding n eventfds added
 * into another instance, on one side (in-tree epoll or the shadow).  That
 * ADD runs the loop check over the n registrations and the wakeup-path
 * check of each of the n files, all under the global nesting mutex, so its
 * time per file must not grow with n.
 *
 * Shared by nest_scale_test.c (the kselftest, small n) and
 * reliability/sep_nest_scale.c (the printed benchmark, up to 1M).
 */
#ifndef SEP_NEST_SCALE_H
#define SEP_NEST_SCALE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "shep_util.h"

#define NS_NR_OPEN	"/proc/sys/fs/nr_open"
#define NS_SYSCTL	"/proc/sys/fs/epoll/max_user_watches"
#define NS_PARAM	"/sys/module/shadow_epoll/parameters/max_user_watches"
#define NS_SLACK	1000

/* One side: the epoll calls of in-tree epoll or of the shadow device. */
struct ns_side {
	const char *name;
	int (*create)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *ev);
};

/* The limits as found, to put back (-1: not changed). */
struct ns_limits {
	long nr_open, sysctl, param;
};

/* Raise @path to at least @want; *old gets the previous value if raised. */
static inline int ns_raise(const char *path, long want, long *old)
{
	long cur = shep_read_long(path);

	*old = -1;
	if (cur < 0)
		return 0;	/* absent (no module): nothing to raise */
	if (cur >= want)
		return 0;
	if (shep_write_long(path, want))
		return -1;
	*old = cur;
	return 0;
}

/*
 * Room for n eventfds and 2n + 1 registrations per user: fs.nr_open,
 * RLIMIT_NOFILE, fs.epoll.max_user_watches and the module's parameter.
 * Needs root for what is too low.  Returns 0 or -1 (errno set).
 */
static inline int ns_raise_limits(long n, struct ns_limits *l)
{
	struct rlimit rl;
	long fds = n + NS_SLACK;

	if (ns_raise(NS_NR_OPEN, fds, &l->nr_open) ||
	    ns_raise(NS_SYSCTL, 2 * n + NS_SLACK, &l->sysctl) ||
	    ns_raise(NS_PARAM, 2 * n + NS_SLACK, &l->param))
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= (rlim_t)fds)
		return 0;
	rl.rlim_cur = fds;
	if (rl.rlim_max < (rlim_t)fds)
		rl.rlim_max = fds;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static inline void ns_restore_limits(const struct ns_limits *l)
{
	if (l->param >= 0)
		shep_write_long(NS_PARAM, l->param);
	if (l->sysctl >= 0)
		shep_write_long(NS_SYSCTL, l->sysctl);
	if (l->nr_open >= 0)
		shep_write_long(NS_NR_OPEN, l->nr_open);
}

/* n fresh eventfds, or NULL (errno set, none left open). */
static inline int *ns_open_eventfds(long n)
{
	int *fds = calloc(n, sizeof(int));
	long i;

	if (!fds)
		return NULL;
	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[i] < 0) {
			int err = errno;

			while (i--)
				close(fds[i]);
			free(fds);
			errno = err;
			return NULL;
		}
	}
	return fds;
}

static inline void ns_close_fds(int *fds, long n)
{
	long i;

	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

/* An inner instance of side @s holding fds[0..n), and an empty outer one. */
static inline int ns_prepare(const struct ns_side *s, const int *fds, long n,
			     int *inner, int *outer)
{
	struct epoll_event ev = { .events = EPOLLIN };
	long i;

	*outer = -1;
	*inner = s->create(EPOLL_CLOEXEC);
	if (*inner < 0)
		return -1;
	*outer = s->create(EPOLL_CLOEXEC);
	if (*outer < 0)
		return -1;
	for (i = 0; i < n; i++) {
		ev.data.u64 = i;
		if (s->ctl(*inner, EPOLL_CTL_ADD, fds[i], &ev))
			return -1;
	}
	return 0;
}

/* One timed ADD of @inner into @outer, then an untimed DEL. */
static inline int ns_time_once(const struct ns_side *s, int inner, int outer,
			       double *ms)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ~0ull };
	double t0 = shep_now_ms();

	if (s->ctl(outer, EPOLL_CTL_ADD, inner, &ev))
		return -1;
	*ms = shep_now_ms() - t0;
	return s->ctl(outer, EPOLL_CTL_DEL, inner, NULL);
}

/*
 * Register fds[0..n) in an inner instance on each side (@s[0] and @s[1]),
 * then time @reps ADDs of each inner instance into an outer one of its
 * side, alternating the sides so that a change of the host's load hits
 * both.  best[i] gets side i's fastest ADD: noise only ever adds time.
 * Returns 0, or -1 with errno and a message on stderr.
 */
static inline int ns_time_both(const struct ns_side s[2], const int *fds,
			       long n, int reps, double best[2])
{
	int inner[2] = { -1, -1 }, outer[2] = { -1, -1 };
	int i, r, ret = -1;
	double t;

	for (i = 0; i < 2; i++) {
		best[i] = -1;
		if (ns_prepare(&s[i], fds, n, &inner[i], &outer[i]))
			goto fail;
	}
	for (r = 0; r < reps; r++) {
		for (i = 0; i < 2; i++) {
			if (ns_time_once(&s[i], inner[i], outer[i], &t))
				goto fail;
			if (best[i] < 0 || t < best[i])
				best[i] = t;
		}
	}
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "# %s: n=%ld: %s\n", s[i].name, n, strerror(errno));
out:
	for (i = 0; i < 2; i++) {
		if (outer[i] >= 0)
			close(outer[i]);
		if (inner[i] >= 0)
			close(inner[i]);
	}
	return ret;
}

/*
 * The growth allowed to the shadow's time per file from the smallest to the
 * largest n: @max, or twice in-tree's own growth in the same run when that
 * is larger.  Under TCG on a loaded host even in-tree's time per file grows
 * (x2-x4 from 10k to 1M: its small runs fit the caches and the soft TLB,
 * its big ones do not), while a quadratic walk grows 10x per decade.
 * Measured after the fix: shadow/in-tree growth 0.5..1.7; before it,
 * 2.7..6.9.
 */
static inline double ns_growth_allowed(double max, double intree_growth)
{
	return 2 * intree_growth > max ? 2 * intree_growth : max;
}

#endif /* SEP_NEST_SCALE_H */
