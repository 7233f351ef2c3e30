/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the reliability programs (sep_stress,
 * sep_ioctl_fuzz): the epoll calls through either the shadow device or the
 * in-tree syscalls, and a tiny thread-safe PRNG.
 */
#ifndef SEP_REL_H
#define SEP_REL_H

#include <errno.h>
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

/* The backend: the shadow device (gw >= 0, kernel == false) or epoll. */
struct rel_ep {
	bool kernel;	/* in-tree epoll syscalls */
	int gw;		/* a shadow fd for the ioctls (sources), or -1 */
};

static inline int rel_create(const struct rel_ep *b)
{
	struct shadow_epoll_create_args a = { .size = sizeof(a),
					      .flags = EPOLL_CLOEXEC };

	if (b->kernel)
		return epoll_create1(EPOLL_CLOEXEC);
	return ioctl(b->gw, SHADOW_EPOLL_IOC_CREATE, &a);
}

static inline int rel_ctl(const struct rel_ep *b, int epfd, int op, int fd,
			  uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	struct shadow_epoll_ctl_args a = {
		.size = sizeof(a), .epfd = epfd, .op = op, .fd = fd,
		.event = (uint64_t)(unsigned long)&ev,
	};

	if (b->kernel)
		return epoll_ctl(epfd, op, fd, &ev);
	return ioctl(b->gw, SHADOW_EPOLL_IOC_CTL, &a);
}

static inline int rel_wait(const struct rel_ep *b, int epfd,
			   struct epoll_event *evs, int max, int timeout)
{
	struct shadow_epoll_wait_args a = {
		.size = sizeof(a), .epfd = epfd, .maxevents = max,
		.events = (uint64_t)(unsigned long)evs, .timeout_ms = timeout,
	};

	if (b->kernel)
		return epoll_wait(epfd, evs, max, timeout);
	return ioctl(b->gw, SHADOW_EPOLL_IOC_WAIT, &a);
}

static inline int rel_source(int gw, uint32_t mask)
{
	struct shadow_epoll_source_args a = {
		.size = sizeof(a), .flags = O_CLOEXEC, .mask = mask,
	};

	return ioctl(gw, SHADOW_EPOLL_IOC_SOURCE, &a);
}

static inline int rel_src_change(int src, uint32_t op, uint32_t mask,
				 uint32_t key, uint32_t flags)
{
	struct shadow_epoll_source_change c = {
		.size = sizeof(c), .op = op, .mask = mask, .key = key,
		.flags = flags,
	};

	return ioctl(src, SHADOW_EPOLL_IOC_SRC_SET, &c);
}

#endif /* SEP_REL_H */
