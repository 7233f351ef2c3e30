/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the reliability programs: the epoll calls on
 * either the shadow device (libshadow_epoll, whose gateway they all use) or
 * the in-tree syscalls, and a tiny thread-safe PRNG.
 */
#ifndef SEP_REL_H
#define SEP_REL_H

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/shadow_epoll.h>

#include "libshadow_epoll.h"
#include "shep_util.h"

/* errno e is one of the (zero-terminated) list ok. */
static inline bool rel_err_in(int e, const int *ok)
{
	for (; *ok; ok++)
		if (e == *ok)
			return true;
	return false;
}

/*
 * One failure, the nth (from 0) of its program: the first 20 are printed to
 * stderr as "TAG: FAIL: ...".
 */
static inline void rel_vreport(long nth, const char *tag, const char *fmt,
			       va_list ap)
{
	if (nth >= 20)
		return;
	fprintf(stderr, "%s: FAIL: ", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}


/* xorshift64*: per thread, seeded explicitly so runs can be replayed. */
static inline uint64_t rel_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint32_t rel_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)((rel_rand(s) >> 32) % n) : 0;
}

/* The backend: the shadow device (libshadow_epoll) or in-tree epoll. */
struct rel_ep {
	bool kernel;	/* in-tree epoll syscalls */
};

static inline int rel_create(const struct rel_ep *b)
{
	if (b->kernel)
		return epoll_create1(EPOLL_CLOEXEC);
	return shep_create(EPOLL_CLOEXEC);
}

static inline int rel_ctl(const struct rel_ep *b, int epfd, int op, int fd,
			  uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (b->kernel)
		return epoll_ctl(epfd, op, fd, &ev);
	return shep_ctl(epfd, op, fd, &ev);
}

static inline int rel_wait(const struct rel_ep *b, int epfd,
			   struct epoll_event *evs, int max, int timeout)
{
	if (b->kernel)
		return epoll_wait(epfd, evs, max, timeout);
	return shep_wait(epfd, evs, max, timeout);
}

#endif /* SEP_REL_H */
