/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sep_lib: one epoll API, two implementations (in-tree epoll syscalls and
 * /dev/shadow_epoll), plus helpers to run one scenario on both and compare
 * every call byte for byte.
 *
 * The "real" side is always the in-tree epoll.  The "shadow" side is the
 * module, unless SEP_SHADOW_BACKEND=kernel, which makes it in-tree epoll too
 * (to validate the tests on a host without the module).  With the kernel
 * fake, SEP_FAKE_BUG=<bug>[,<bug>...] injects deliberate deviations into the
 * shadow side (see sep_lib.c) so the tests can be shown to fail.
 *
 * The device side is libshadow_epoll (tools/lib, names shep_*): its gateway,
 * its dumps (shep_ready(), shep_interest()) and its sources are used
 * directly; this file adds only what a differential test needs on top.
 */
#ifndef SEP_LIB_H
#define SEP_LIB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

#include <linux/shadow_epoll.h>

#include "libshadow_epoll.h"
#include "shep_util.h"

/* x86-64 and i386: the kernel's struct epoll_event is packed, 12 bytes. */
#define SEP_EVENT_SIZE		((int)sizeof(struct epoll_event))
#define SEP_EP_MAX_EVENTS	(0x7fffffff / SEP_EVENT_SIZE)
/* The kernel's sigset_t, as the raw syscalls want it. */
#define SEP_SIGSETSIZE		8

struct sep_backend {
	const char *name;
	bool is_device;		/* talks to /dev/shadow_epoll */
	bool ready_is_dump;	/* ready_order() is a READY dump, not a probe */
	int (*create)(int flags);
	int (*ctl)(int epfd, int op, int fd, struct epoll_event *ev);
	int (*wait)(int epfd, struct epoll_event *evs, int max, int timeout);
	int (*pwait)(int epfd, struct epoll_event *evs, int max, int timeout,
		     const sigset_t *sigmask, size_t sigsetsize);
	int (*pwait2)(int epfd, struct epoll_event *evs, int max,
		      const struct timespec *ts, const sigset_t *sigmask,
		      size_t sigsetsize);
	int (*close)(int epfd);
	/*
	 * The delivery order of the queued items as user data values.
	 * Device: READY dump (non-destructive, *dflags = dump flags), minus
	 * entries whose file is not ready now (a scan drops them unreported).
	 * Kernel: probing with maxevents=1 (destructive: ET/ONESHOT items are
	 * consumed, LT items rotated; *dflags = 0).  Returns the number of
	 * items, or -1 with errno.
	 */
	int (*ready_order)(int epfd, uint64_t *data, int max, uint32_t *dflags);
};

extern const struct sep_backend sep_kernel_backend;
extern const struct sep_backend sep_device_backend;
extern const struct sep_backend sep_fake_backend;	/* kernel + SEP_FAKE_BUG */

const struct sep_backend *sep_real(void);
const struct sep_backend *sep_shadow(void);
/* The shadow side can run: /dev/shadow_epoll exists, or the kernel fake. */
bool sep_shadow_available(void);
/* The shadow side is the real module. */
bool sep_shadow_is_device(void);
/* An SEP_FAKE_BUG bug is active (fake backend only). */
bool sep_fake_bug(const char *name);

/* Probe the order with maxevents=1 until an item repeats or none is left. */
int sep_probe_order(const struct sep_backend *b, int epfd, uint64_t *data,
		    int max);
/* Would a scan report this dump entry now (poll(2) on its fd)? */
bool sep_entry_ready(int fd, uint32_t events);

/* Running kernel version as major * 100 + minor (6.12 -> 612). */
int sep_kver(void);
/* epoll_wait checks EBADF before maxevents (mainline >= 6.15). */
bool sep_wait_ebadf_first(void);

/* fdinfo: copy the "tfd:" lines of /proc/self/fdinfo/<fd> into buf. */
int sep_fdinfo_tfd(int fd, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Watched files. */

enum sep_ftype { SEP_EVENTFD, SEP_PIPE, SEP_SOCK };

struct sep_src {
	int type;
	int rfd;	/* the watched fd */
	int wfd;	/* the end written to make rfd readable */
};

int sep_src_open(struct sep_src *s, int type);
int sep_src_signal(struct sep_src *s);		/* one more unit readable */
int sep_src_drain(struct sep_src *s);		/* read everything */
void sep_src_close(struct sep_src *s);
const char *sep_ftype_name(int type);

/* ------------------------------------------------------------------ */
/* Two worlds: side 0 = real epoll, side 1 = shadow; each its own files. */

#define SEP_MAX_SRC	72
#define SEP_BUF_EVENTS	80

struct sep_side {
	const struct sep_backend *b;
	int ep;
	int n;
	struct sep_src src[SEP_MAX_SRC];
	struct epoll_event buf[SEP_BUF_EVENTS];
};

struct sep_call {
	int ret;
	int err;
	int n;				/* events returned (ret > 0) */
	uint64_t data[SEP_BUF_EVENTS];	/* real side's returned data */
	uint32_t events[SEP_BUF_EVENTS];
};

struct sep_duo {
	struct sep_side s[2];
	int calls;
	int diffs;
};

static inline uint64_t sep_data(int i)
{
	return 0xd47a000000000000ull | ((uint64_t)(i + 1) << 16) | 0xbe00u | (unsigned)i;
}

static inline int sep_data_idx(uint64_t d)
{
	if ((d >> 48) != 0xd47a)
		return -1;
	return (int)((d >> 16) & 0xffff) - 1;
}

/* One side: an instance of backend b and n sources of type. */
int sep_side_init(struct sep_side *side, const struct sep_backend *b, int n,
		  int type);
void sep_side_fini(struct sep_side *side);
/* 0 on success; both instances created, n sources of type opened per side. */
int sep_duo_init(struct sep_duo *d, int n, int type);
void sep_duo_fini(struct sep_duo *d);
/* ctl on both sides for source i (data = sep_data(i)); compares ret/errno. */
int sep_duo_ctl(struct sep_duo *d, int op, int i, uint32_t events);
int sep_duo_signal(struct sep_duo *d, int i);
int sep_duo_drain(struct sep_duo *d, int i);
/*
 * epoll_wait(max, timeout) on both; compares return, errno and the whole
 * max-slot buffer (pre-filled with a pattern).  0 when identical, -1 on a
 * difference (printed).  rec (may be NULL) gets the real side's result.
 */
int sep_duo_wait(struct sep_duo *d, int max, int timeout, struct sep_call *rec);
/*
 * Ready order: real side probed; shadow side READY dump compared with it,
 * then (device only) the shadow probed and compared as well.  Destructive.
 * 0 when equal; rec gets the real order (count in rec->n).
 */
int sep_duo_order(struct sep_duo *d, struct sep_call *rec);

/*
 * userfaultfd-paused wait on one side: the buffer's slot 0 is on a present
 * page, slot 1 on a missing page registered with userfaultfd.  While the
 * scan is blocked copying slot 1, the sources sig[] are signalled and (device
 * backend) the READY dump taken; then the page is supplied (UFFDIO_COPY).
 * Returns 0, -1 if userfaultfd is unavailable (errno set), -2 on failure.
 */
struct sep_uffd_result {
	int ret, err;
	struct epoll_event ev[16];
	int dump_n;		/* -1: no dump (not the device backend) */
	uint32_t dump_flags;
	uint64_t dump[32];
};

int sep_uffd_wait(struct sep_side *side, int max, const int *sig, int nsig,
		  struct sep_uffd_result *res);

/*
 * A buffer of `room` writable bytes followed by a PROT_NONE page (one per
 * side, reused).  Returns the buffer start, pre-filled with 0xa5.
 */
void *sep_fault_buf(int side, int room);

/* Compare one result pair; prints a diff with "what" and returns -1. */
int sep_cmp_result(const char *what, int r0, int e0, int r1, int e1);
int sep_cmp_bytes(const char *what, const void *a, const void *b, size_t n);

/* Format data indices of a returned array ("A B C" style) into buf. */
const char *sep_fmt_order(char *buf, size_t size, const uint64_t *data, int n);
const char *sep_fmt_events(char *buf, size_t size,
			   const struct epoll_event *ev, int n);

/* Letters: A..Z then a..z then digits, by index. */
char sep_letter(int i);

#define SEP_REQUIRE_SHADOW_MAIN						\
	int main(int argc, char **argv)					\
	{								\
		if (!sep_shadow_available())				\
			ksft_exit_skip("%s missing (set SEP_SHADOW_BACKEND=kernel to self-test)\n", \
				       SHADOW_EPOLL_DEVICE);		\
		return test_harness_run(argc, argv);			\
	}

/* ------------------------------------------------------------------ */
/*
 * Synthetic sources (SHADOW_EPOLL_IOC_SOURCE): pollable files whose mask is
 * set by ioctl.  They need /dev/shadow_epoll but work in in-tree epoll and
 * in shadow instances alike.  A source duo gives each side its own sources
 * (src[i].type == SEP_SOURCE, rfd == wfd == the source fd), so a trigger
 * fires once in the real scan and once in the shadow scan.  A single
 * source is made and changed with shep_source(), shep_source_change() and
 * shep_source_trigger() (libshadow_epoll).
 */
#define SEP_SOURCE	100

/* Both instances plus n sources per side with initial masks mask[i] (or 0). */
int sep_duo_init_sources(struct sep_duo *d, int n, const uint32_t *mask);
/* The same change on source i of both sides; compares the results. */
int sep_duo_src_change(struct sep_duo *d, int i, uint32_t op, uint32_t mask,
		       uint32_t key, uint32_t flags);
/* Arm "the next count re-polls of i change target" on both sides. */
int sep_duo_src_trigger(struct sep_duo *d, int i, int target, uint32_t count,
			uint32_t op, uint32_t mask, uint32_t key, uint32_t flags);
/* Disarm every trigger of a source duo (before probing the order). */
void sep_duo_src_disarm(struct sep_duo *d);

#endif /* SEP_LIB_H */
