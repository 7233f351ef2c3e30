// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_ioctl_fuzz: throw malformed ioctls at /dev/shadow_epoll.
 *
 *   sep_ioctl_fuzz [-n CALLS] [-j THREADS] [-s SEED] [-D] [-F] [-q]
 *   sep_ioctl_fuzz -H
 *
 * Each call picks a target fd (the gateway, pooled instances and sources,
 * eventfds, pipes, a socket, an O_PATH fd, bad numbers), a command (valid
 * ones; valid numbers with random direction/size; random numbers in the
 * shadow magic; fully random 32-bit numbers; a few generic ioctls) and an
 * argument (a well-formed struct with random fields, random sizes, or a bad
 * pointer: NULL, kernel addresses, unmapped, misaligned, straddling a
 * PROT_NONE page).  Embedded pointers (events, timeout, sigmask, dump
 * buffers) and fds get the same treatment.  Meanwhile a closer thread keeps
 * closing and replacing the pooled fds, and a signal thread interrupts
 * blocking waits.
 *
 * Memory safety of the fuzzer itself: every pointer handed to the kernel is
 * either invalid by construction (NULL, kernel addresses, beyond the end of
 * user space, a PROT_NONE page, a hole fenced by PROT_NONE pages that no
 * mapping of ours can fill, a page below mmap_min_addr) or points into the
 * calling thread's own arena: page 0 holds the argument struct, page 1 the
 * embedded buffers, pages 2-3 are PROT_NONE, so whatever the kernel writes
 * (events, dump entries, counts, FIONREAD results) stays in pages 0-1.
 * Arenas and the hole are set up before any thread starts.  The fd table is
 * emptied above 2 first, so random fd numbers only ever hit our own objects.
 *
 * Determinism: each thread draws from its own xorshift stream derived from
 * the seed, and no draw depends on a call's outcome, so a seed always
 * generates the same calls per thread (fd numbers taken from the shared pool
 * depend on the closer's timing).  -D runs one fuzz thread and does the
 * closer's work inline: then the whole run is a function of the seed, and the
 * "digest" printed at the end (over every call's command, result and errno;
 * a WAIT's timeout and its EINTR from the watchdog count as one outcome)
 * must be equal across runs of one seed.
 *
 * The fuzzing runs in a child; the parent reports a crash of it (a signal) in
 * the summary line.  The last line of the output is always the summary:
 * "fuzz: summary: ... PASS" (exit 0) or "... FAIL ..." (exit non-zero).
 * Errnos are also checked per command: a valid command returning an errno
 * outside its documented set (docs/bad-input.md) is a failure.
 *
 * -F additionally runs an allocation-failure sweep (needs
 * CONFIG_FAULT_INJECTION + FAILSLAB + debugfs): each valid operation is
 * repeated with the 1st, 2nd, ... slab allocation of the call failing
 * (/proc/thread-self/fail-nth) until it no longer reaches the failure.
 *
 * -H (hold test, root, run after rmmod shadow_epoll_kunit) checks that an
 * instance made by SHADOW_EPOLL_IOC_CREATE and a source, each alone, keep
 * the module loaded: delete_module("shadow_epoll") must fail with
 * EAGAIN/EWOULDBLOCK (what the kernel returns for a module in use) or EBUSY
 * while either is open, the gateway having been closed.  The final rmmod is
 * left to the caller.
 *
 * Prints calls/s and a histogram of the results; fails on a kernel-internal
 * errno (>= 512) leaking out, on a hang (no progress for 30 s), or when the
 * device is missing (skip, exit 4).  A kernel splat is for the VM runner to
 * notice.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "sep_rel.h"

#ifndef EPIOCSPARAMS
#define EPIOCSPARAMS	_IOW(0x8A, 0x01, struct { __u32 a; __u16 b; __u8 c; __u8 d; })
#define EPIOCGPARAMS	_IOR(0x8A, 0x02, struct { __u32 a; __u16 b; __u8 c; __u8 d; })
#endif

#define NPOOL	24
#define NERR	600
#define MAXTH	8
#define PG	4096
/* Pages per arena: [0] argument struct, [1] embedded buffers, [2-3] PROT_NONE. */
#define ARENA_PAGES	4
/* -D: the closer's work is done inline every CLOSE_EVERY calls. */
#define CLOSE_EVERY	32

enum { T_GW, T_INST, T_SRC, T_EFD, T_PIPE, T_SOCK, T_OPATH };

static int gw;		/* libshadow_epoll's gateway, for the raw ioctls */
static _Atomic int pool[NPOOL];
static int opath;
/* Shadow fds that are never closed: the gateway, an instance, a source. */
static int stable[3];
static _Atomic uint64_t calls, hist_ok, hist_err[NERR], hist_other;
static _Atomic uint64_t fdret;
static _Atomic int failures;
static atomic_bool stop;
static uint64_t ncalls = 1000000;
/* -D: one fuzz thread, no closer thread: the run is a function of the seed. */
static bool det;
/* A page-sized hole between two PROT_NONE pages: never mapped. */
static unsigned char *hole;
/* Digest of every call's outcome, summed over the threads. */
static _Atomic uint64_t digest;

/* Command classes for the per-command errno histogram. */
enum {
	C_CREATE, C_CTL, C_WAIT, C_READY, C_INTEREST, C_SOURCE, C_SRC_SET,
	C_SRC_TRIGGER, C_MAGIC, C_RANDOM, C_GENERIC, NCLS
};
static const char *const cls_name[NCLS] = {
	"CREATE", "CTL", "WAIT", "READY", "INTEREST", "SOURCE", "SRC_SET",
	"SRC_TRIGGER", "magic-other", "random", "generic",
};
static _Atomic uint64_t cls_calls[NCLS], cls_ok[NCLS], cls_err[NCLS][NERR];

/*
 * The errnos each valid command may give on any fd (docs/bad-input.md):
 * every command: EFAULT, EINVAL, E2BIG, EBADF (bad or O_PATH fd),
 * ENOTTY (an fd that is not a shadow fd of the right kind); plus these.
 */
#define BIT64(e)	(1ULL << (e))
#define ERR_COMMON	(BIT64(EFAULT) | BIT64(EINVAL) | BIT64(E2BIG) | \
			 BIT64(EBADF) | BIT64(ENOTTY))
#define ERR_NEWFD	(BIT64(EMFILE) | BIT64(ENFILE) | BIT64(ENOMEM))
static const uint64_t cls_allowed[C_MAGIC + 1] = {
	[C_CREATE]	= ERR_COMMON | ERR_NEWFD,
	[C_CTL]		= ERR_COMMON | BIT64(EPERM) | BIT64(EEXIST) |
			  BIT64(ENOENT) | BIT64(ELOOP) | BIT64(ENOSPC) |
			  BIT64(ENOMEM),
	[C_WAIT]	= ERR_COMMON | BIT64(EINTR),
	[C_READY]	= ERR_COMMON | BIT64(ENOMEM),
	[C_INTEREST]	= ERR_COMMON | BIT64(ENOMEM) | BIT64(EINTR),
	[C_SOURCE]	= ERR_COMMON | ERR_NEWFD,
	[C_SRC_SET]	= ERR_COMMON,
	[C_SRC_TRIGGER]	= ERR_COMMON,
	/* other size field: the gateway ignores it, so any of the above */
	[C_MAGIC]	= ERR_COMMON | ERR_NEWFD | BIT64(EPERM) | BIT64(EEXIST) |
			  BIT64(ENOENT) | BIT64(ELOOP) | BIT64(ENOSPC) |
			  BIT64(EINTR),
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rel_vreport(atomic_fetch_add(&failures, 1), "fuzz", fmt, ap);
	va_end(ap);
}

/* A new pool object; draws the same numbers whatever the calls return. */
static int new_obj(uint64_t *s)
{
	uint32_t kind = rel_below(s, 6), mask = (uint32_t)rel_rand(s);
	uint32_t init = rel_below(s, 2), side = rel_below(s, 2);
	uint32_t use_pipe = rel_below(s, 2);
	int p[2], fd = -1;

	switch (kind) {
	case 0: case 1:
		fd = shep_create(EPOLL_CLOEXEC);
		break;
	case 2: case 3:
		fd = shep_source(O_CLOEXEC, mask);
		break;
	case 4:
		fd = eventfd(init, EFD_NONBLOCK | EFD_CLOEXEC);
		break;
	case 5:
		if (use_pipe) {
			if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0) {
				fd = p[side];
				close(p[!side]);
			}
		} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				      0, p) == 0) {
			fd = p[0];
			close(p[1]);
		}
		break;
	}
	return fd;
}

/* Put a new fd into @slot; close what was there (exactly once). */
static void adopt(uint32_t slot, int fd)
{
	int old = atomic_exchange(&pool[slot % NPOOL], fd);

	if (old >= 0)
		close(old);
}

static int rand_fd(uint64_t *s)
{
	static const int bad[] = { -1, -100, INT_MAX, 1 << 20, 1023 };

	switch (rel_below(s, 16)) {
	case 0: return bad[rel_below(s, 5)];
	case 1: return opath;
	case 2: case 3: return stable[rel_below(s, 3)];
	case 4: return 3 + (int)rel_below(s, 61);	/* whatever is there */
	default: return atomic_load(&pool[rel_below(s, NPOOL)]);
	}
}

/*
 * A thread's arena: [0] RW argument struct, [1] RW embedded buffers,
 * [2], [3] PROT_NONE.  Only this thread's calls point into it.
 */
struct mem {
	unsigned char *base;
};

/*
 * A pointer the kernel cannot access at all (or, for the last case, only
 * the part that lies in the arena's page 1).
 */
static void *bad_ptr(uint64_t *s, struct mem *m, size_t len)
{
	uint32_t k = rel_below(s, 9), off = rel_below(s, PG);

	switch (k) {
	case 0: return NULL;
	case 1: return (void *)0xffff888000000000UL;
	case 2: return (void *)0xffffffff81000000UL;
	case 3: return (void *)(-1UL - off % 64);
	case 4: return hole + off;			/* no mapping */
	case 5: return (void *)0x1000UL;		/* below mmap_min_addr */
	case 6: return (void *)(0x800000000000UL - off % 16);	/* end of user space */
	case 7: return m->base + 2 * PG + off;		/* PROT_NONE */
	default: /* straddles page 1 and the PROT_NONE page 2 */
		return m->base + 2 * PG - 1 - off % (len > 1 ? len - 1 : 1);
	}
}

/* Where to put a struct of @len bytes, or a bad pointer. */
static void *arg_ptr(uint64_t *s, struct mem *m, size_t len, bool *valid)
{
	uint32_t r = rel_below(s, 10), mis = 1 + rel_below(s, 7);
	void *bad = bad_ptr(s, m, len);

	*valid = r < 8;
	if (r < 6)
		return m->base;
	if (r < 8)
		return m->base + mis;		/* misaligned */
	return bad;
}

/* An embedded pointer: usually to valid scratch memory at @area. */
static uint64_t emb_ptr(uint64_t *s, struct mem *m, unsigned char *area, size_t len)
{
	uint32_t r = rel_below(s, 4), mis = rel_below(s, 4) ? 0 : rel_below(s, 8);
	void *bad = bad_ptr(s, m, len);

	return (uint64_t)(unsigned long)(r ? area + mis : bad);
}

static void fill_rand(uint64_t *s, unsigned char *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rel_rand(s);

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	while (n--)
		*p++ = (unsigned char)rel_rand(s);
}

static uint32_t rand_size(uint64_t *s, uint32_t real)
{
	static const uint32_t odd[] = { 0, 4, 7, 8, 4096, 0xffffffff, 0x80000000, 1 << 20 };

	switch (rel_below(s, 10)) {
	case 0: return odd[rel_below(s, 8)];
	case 1: return real - 4;
	case 2: return real + 8;
	case 3: return real + 4 * rel_below(s, 64);
	default: return real;
	}
}

static uint32_t rand_mask(uint64_t *s)
{
	static const uint32_t b[] = {
		EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLERR, EPOLLHUP, EPOLLRDHUP,
		EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLMSG,
		EPOLLRDNORM, EPOLLWRBAND, 1u << 27,
	};
	uint32_t m = 0;
	int k = rel_below(s, 4);

	if (rel_below(s, 8) == 0)
		return (uint32_t)rel_rand(s);
	while (k--)
		m |= b[rel_below(s, 14)];
	return m;
}

/* Fill the struct for command number @nr at @p (valid memory, @cap bytes). */
static void build(uint64_t *s, struct mem *m, unsigned int nr, unsigned char *p)
{
	unsigned char *scratch = m->base + PG;	/* page 1: embedded buffers */
	bool sane = rel_below(s, 8) != 0;

	fill_rand(s, p, 256);
	fill_rand(s, scratch, 256);
	switch (nr) {
	case 0x01: {
		struct shadow_epoll_create_args *a = (void *)p;

		a->size = rand_size(s, sizeof(*a));
		if (sane)
			a->flags = rel_below(s, 2) ? 0 : EPOLL_CLOEXEC;
		break;
	}
	case 0x02: {
		struct shadow_epoll_ctl_args *a = (void *)p;
		struct epoll_event *ev = (void *)scratch;

		a->size = rand_size(s, sizeof(*a));
		a->epfd = rand_fd(s);
		a->fd = rand_fd(s);
		a->op = sane ? 1 + (int)rel_below(s, 3) : (int)rel_rand(s);
		ev->events = rand_mask(s);
		a->event = rel_below(s, 8) ? emb_ptr(s, m, scratch, sizeof(*ev)) : 0;
		break;
	}
	case 0x03: {
		struct shadow_epoll_wait_args *a = (void *)p;
		static const int maxev[] = { 0, 1, 2, 8, -1, INT_MAX, INT_MAX / 12 + 1, 341 };
		struct timespec *ts = (void *)(scratch + 2048);
		uint64_t *sig = (void *)(scratch + 2048 + 64);

		a->size = rand_size(s, sizeof(*a));
		a->flags = sane ? rel_below(s, 2) : (uint32_t)rel_rand(s);
		a->epfd = rand_fd(s);
		a->maxevents = maxev[rel_below(s, 8)];
		a->events = emb_ptr(s, m, scratch, 12);
		ts->tv_sec = rel_below(s, 8) ? 0 : (long)rel_rand(s);
		ts->tv_nsec = rel_below(s, 8) ? (long)rel_below(s, 2000000) : (long)rel_rand(s);
		a->timeout_ts = rel_below(s, 6) ? emb_ptr(s, m, (unsigned char *)ts, 16) : 0;
		/*
		 * Never block SIGALRM, whatever 8 bytes of sig[0..1] a
		 * misaligned pointer picks: the watchdog must be able to end
		 * a wait (bit 13 is bit 5 of byte 1 of any window).
		 */
		sig[0] = rel_rand(s) & 0xdfdfdfdfdfdfdfdfULL;
		sig[1] = rel_rand(s) & 0xdfdfdfdfdfdfdfdfULL;
		a->sigmask = rel_below(s, 3) ? 0 : emb_ptr(s, m, (unsigned char *)sig, 8);
		if (a->sigmask != (uint64_t)(unsigned long)sig && rel_below(s, 2))
			a->sigmask = 0;
		a->sigsetsize = rel_below(s, 4) ? 8 : rel_rand(s);
		a->timeout_ms = rel_below(s, 4) ? (int)rel_below(s, 3) - 1 : (int)rel_rand(s);
		a->__reserved = sane ? 0 : (uint32_t)rel_rand(s);
		break;
	}
	case 0x04:
	case 0x05: {
		struct shadow_epoll_dump_args *a = (void *)p;
		static const uint32_t cnt[] = { 0, 1, 2, 8, 100, 0xffffffff, 0x10000000, 4096 / 24 };

		a->size = rand_size(s, sizeof(*a));
		a->epfd = rand_fd(s);
		a->count = cnt[rel_below(s, 8)];
		a->flags = sane ? 0 : (uint32_t)rel_rand(s);
		a->entries = emb_ptr(s, m, scratch, 40);
		break;
	}
	case 0x10: {
		struct shadow_epoll_source_args *a = (void *)p;

		a->size = rand_size(s, sizeof(*a));
		a->flags = sane ? (rel_below(s, 2) ? 0 : O_CLOEXEC) : (uint32_t)rel_rand(s);
		a->mask = rand_mask(s);
		a->__reserved = sane ? 0 : (uint32_t)rel_rand(s);
		break;
	}
	case 0x11:
	case 0x12: {
		struct shadow_epoll_source_trigger *t = (void *)p;
		struct shadow_epoll_source_change *c = nr == 0x11 ? (void *)p : &t->change;

		if (nr == 0x12) {
			t->size = rand_size(s, sizeof(*t));
			t->target_fd = rand_fd(s);
			t->count = rel_below(s, 4) ? rel_below(s, 4) : (uint32_t)rel_rand(s);
			t->__reserved = sane ? 0 : (uint32_t)rel_rand(s);
		}
		c->size = rand_size(s, sizeof(*c));
		c->op = sane ? rel_below(s, 4) : (uint32_t)rel_rand(s);
		c->mask = rand_mask(s);
		c->key = rel_below(s, 2) ? 0 : rand_mask(s);
		c->flags = sane ? rel_below(s, 4) : (uint32_t)rel_rand(s);
		c->__reserved = sane ? 0 : (uint32_t)rel_rand(s);
		break;
	}
	}
}

static const unsigned int valid_cmds[] = {
	SHADOW_EPOLL_IOC_CREATE, SHADOW_EPOLL_IOC_CTL, SHADOW_EPOLL_IOC_WAIT,
	SHADOW_EPOLL_IOC_READY, SHADOW_EPOLL_IOC_INTEREST, SHADOW_EPOLL_IOC_SOURCE,
	SHADOW_EPOLL_IOC_SRC_SET, SHADOW_EPOLL_IOC_SRC_TRIGGER,
};
#define NVALID (sizeof(valid_cmds) / sizeof(valid_cmds[0]))

/* What each fuzz thread is doing now, for the hang report. */
struct cur {
	_Atomic unsigned int cmd;
	_Atomic int fd;
	_Atomic unsigned long arg;
	unsigned char copy[96];		/* the argument struct, if readable */
	_Atomic int tid;
};
static struct cur cur[MAXTH];
static __thread struct cur *me;
static __thread uint64_t my_digest = 0xcbf29ce484222325ULL;

static void mix(uint64_t v)
{
	my_digest = (my_digest ^ v) * 0x100000001b3ULL;
}

static int classify(unsigned int cmd, uint32_t r)
{
	unsigned int i;

	for (i = 0; i < NVALID; i++)
		if (cmd == valid_cmds[i])
			return C_CREATE + i;
	if (r >= 80 && r < 88)
		return C_RANDOM;
	if (_IOC_TYPE(cmd) == SHADOW_EPOLL_IOC_MAGIC)
		return C_MAGIC;
	return C_GENERIC;
}

static void one_call(uint64_t *s, struct mem *m)
{
	unsigned int cmd, nr;
	bool valid;
	unsigned char *p;
	int fd, ret, err, cls;
	uint32_t r = rel_below(s, 100), slot = rel_below(s, NPOOL);

	if (r < 45) {
		cmd = valid_cmds[rel_below(s, NVALID)];
	} else if (r < 65) {
		cmd = valid_cmds[rel_below(s, NVALID)];
		cmd = _IOC(rel_below(s, 4), SHADOW_EPOLL_IOC_MAGIC, _IOC_NR(cmd),
			   rel_below(s, 4) ? rel_below(s, 128) : rel_below(s, 1u << 14));
	} else if (r < 80) {
		cmd = _IOC(rel_below(s, 4), SHADOW_EPOLL_IOC_MAGIC, rel_below(s, 0x20),
			   rel_below(s, 1u << 14));
	} else if (r < 88) {
		cmd = (uint32_t)rel_rand(s);
	} else {
		static const unsigned int gen[] = {
			EPIOCSPARAMS, EPIOCGPARAMS, FIONREAD, FIONBIO, FIOCLEX,
			FIONCLEX, FIOASYNC, FIOQSIZE,
		};
		cmd = gen[rel_below(s, 8)];
	}
	nr = _IOC_NR(cmd);

	/*
	 * Target: fully random command numbers go only to the never-closed
	 * shadow fds, so that they cannot reach socket or pipe ioctls;
	 * shadow-magic and generic commands go to any fd (not 0-2).
	 */
	if (_IOC_TYPE(cmd) == SHADOW_EPOLL_IOC_MAGIC && rel_below(s, 10) < 7)
		/* mostly the right kind: sources for SRC_*, gateways for the rest */
		fd = (nr == 0x11 || nr == 0x12) == (rel_below(s, 8) != 0)
			? stable[2] : stable[rel_below(s, 2)];
	else if (r >= 80 && r < 88)
		fd = stable[rel_below(s, 3)];
	else if (rel_below(s, 10) < 7)
		fd = stable[rel_below(s, 3)];
	else
		fd = rand_fd(s);

	p = arg_ptr(s, m, 64, &valid);
	if (valid)
		build(s, m, _IOC_TYPE(cmd) == SHADOW_EPOLL_IOC_MAGIC ? nr : 0, p);
	me->cmd = cmd;
	me->fd = fd;
	me->arg = (unsigned long)p;
	if (valid)
		memcpy(me->copy, p, sizeof(me->copy));
	else
		memset(me->copy, 0, sizeof(me->copy));
	ret = ioctl(fd, cmd, p);
	err = ret < 0 ? errno : 0;
	cls = classify(cmd, r);
	atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&cls_calls[cls], 1, memory_order_relaxed);

	/* A wait that timed out or was cut short by the watchdog: one outcome. */
	mix(cmd);
	if (_IOC_TYPE(cmd) == SHADOW_EPOLL_IOC_MAGIC && nr == 0x03 &&
	    (ret == 0 || err == EINTR))
		mix(0x7100);
	else
		mix(ret >= 0 ? (uint64_t)ret : 0x10000 + (uint64_t)err);

	if (ret >= 0) {
		atomic_fetch_add_explicit(&hist_ok, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&cls_ok[cls], 1, memory_order_relaxed);
		if (_IOC_TYPE(cmd) == SHADOW_EPOLL_IOC_MAGIC && (nr == 0x01 || nr == 0x10) &&
		    ret > 2 && fcntl(ret, F_GETFD) >= 0) {
			atomic_fetch_add(&fdret, 1);
			adopt(slot, ret);
		}
	} else if (err > 0 && err < NERR) {
		atomic_fetch_add_explicit(&hist_err[err], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&cls_err[cls][err], 1, memory_order_relaxed);
		if (err >= 512)
			fail("kernel-internal errno %d leaked: fd %d cmd %#x arg %p",
			     err, fd, cmd, (void *)p);
		else if (cls <= C_MAGIC && (err >= 64 || !(cls_allowed[cls] & BIT64(err))))
			fail("%s: unexpected errno %s (%d): fd %d cmd %#x arg %p",
			     cls_name[cls], strerrorname_np(err), err, fd, cmd,
			     (void *)p);
	} else {
		atomic_fetch_add_explicit(&hist_other, 1, memory_order_relaxed);
		fail("errno %d out of range: fd %d cmd %#x", err, fd, cmd);
	}
}

struct targ {
	uint64_t seed;
	uint64_t n;
	pthread_t self;
	bool joined;
	int idx;
};

static void dump_file(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
}

/* Print what every fuzz thread is stuck in. */
static void hang_report(int nth)
{
	char path[64];
	int i, k;

	for (i = 0; i < nth; i++) {
		printf("fuzz: thread %d (tid %d): ioctl(fd %d, cmd %#x, arg %#lx), arg bytes:",
		       i, cur[i].tid, cur[i].fd, cur[i].cmd, cur[i].arg);
		for (k = 0; k < 96; k++)
			printf("%s%02x", k % 16 ? " " : "\n  ", cur[i].copy[k]);
		printf("\n");
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", cur[i].tid);
		printf("  wchan: ");
		dump_file(path);
		printf("\n  stack:\n");
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", cur[i].tid);
		dump_file(path);
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", cur[i].tid);
		printf("  status:\n");
		dump_file(path);
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", cur[0].fd);
	fflush(stdout);
}

/* Is [p, p + len) free of any mapping? (mincore fails with ENOMEM.) */
static bool unmapped(void *p, size_t len)
{
	unsigned char vec[4];

	return mincore(p, len, vec) < 0 && errno == ENOMEM;
}

/*
 * Set up before any thread exists, so no thread stack or arena can land in
 * the hole: the hole is fenced by PROT_NONE pages and only a mapping of at
 * most one page could fill it; this program makes none after setup.
 */
static struct mem mem_new(void)
{
	struct mem m;

	m.base = mmap(NULL, ARENA_PAGES * PG, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.base == MAP_FAILED ||
	    mprotect(m.base, 2 * PG, PROT_READ | PROT_WRITE)) {
		perror("fuzz: arena");
		exit(1);
	}
	return m;
}

static void hole_new(void)
{
	hole = mmap(NULL, 3 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED || munmap(hole + PG, PG)) {
		perror("fuzz: hole");
		exit(1);
	}
	hole += PG;
	if (!unmapped(hole, PG) || !unmapped((void *)0x1000UL, PG)) {
		fprintf(stderr, "fuzz: setup: the hole or page 0x1000 is mapped\n");
		exit(1);
	}
}

static struct mem arena[MAXTH];

/* The closer's step: a new object into a slot (its old fd closed). */
static void close_step(uint64_t *s)
{
	uint32_t slot = rel_below(s, NPOOL);
	int fd = new_obj(s);

	if (fd >= 0)
		adopt(slot, fd);
}

static void *fuzzer(void *arg)
{
	struct targ *t = arg;
	uint64_t s = t->seed, cs = t->seed ^ 0x5851F42D4C957F2DULL, i;

	me = &cur[t->idx];
	me->tid = (int)syscall(SYS_gettid);

	for (i = 0; i < t->n && !atomic_load(&stop); i++) {
		one_call(&s, &arena[t->idx]);
		if (det && i % CLOSE_EVERY == CLOSE_EVERY - 1)
			close_step(&cs);
	}
	atomic_fetch_add(&digest, my_digest);
	return NULL;
}

static void *closer(void *arg)
{
	struct targ *t = arg;
	uint64_t s = t->seed;

	while (!atomic_load(&stop)) {
		close_step(&s);
		usleep(50 + rel_below(&s, 200));
	}
	return NULL;
}

static void on_alrm(int sig)
{
	(void)sig;
}

/* ------------------------------------------------- allocation-failure sweep */

static int write_file(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -1;
	close(fd);
	return r;
}

static int fail_nth_fd = -1;

static void set_nth(int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%d", n);

	if (pwrite(fail_nth_fd, b, l, 0) != l)
		fail("fail-nth write: %s", strerror(errno));
}

static int get_nth(void)
{
	char b[16] = "";

	if (pread(fail_nth_fd, b, sizeof(b) - 1, 0) <= 0)
		return -1;
	return atoi(b);
}

/* One operation under test; returns the syscall result, cleans up. */
typedef int (*fop_t)(int ep, int efd, int src);

static int op_create(int ep, int efd, int src)
{
	int r = rel_create(&(struct rel_ep){ .kernel = false });

	(void)ep, (void)efd, (void)src;
	if (r >= 0)
		close(r);
	return r;
}

static int op_source(int ep, int efd, int src)
{
	int r = shep_source(O_CLOEXEC, EPOLLIN);

	(void)ep, (void)efd, (void)src;
	if (r >= 0)
		close(r);
	return r;
}

static int op_add_efd(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };
	int r = rel_ctl(&b, ep, EPOLL_CTL_ADD, efd, EPOLLIN, 1);

	(void)src;
	if (r == 0)
		rel_ctl(&b, ep, EPOLL_CTL_DEL, efd, 0, 0);
	return r;
}

static int op_add_src_close(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };
	int s2 = shep_source(O_CLOEXEC, EPOLLIN), r;

	(void)efd, (void)src;
	if (s2 < 0)
		return -2;
	r = rel_ctl(&b, ep, EPOLL_CTL_ADD, s2, EPOLLIN | EPOLLET, 2);
	close(s2);	/* removal through __fput */
	return r;
}

static int op_add_nested(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };
	int in = rel_create(&b), r;

	(void)efd, (void)src;
	if (in < 0)
		return -2;
	r = rel_ctl(&b, in, EPOLL_CTL_ADD, ep, EPOLLIN, 3);
	close(in);
	return r;
}

static int op_mod(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };

	(void)efd;
	return rel_ctl(&b, ep, EPOLL_CTL_MOD, src, EPOLLIN | EPOLLOUT, 4);
}

static int op_wait(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };
	struct epoll_event ev[4];

	(void)efd, (void)src;
	return rel_wait(&b, ep, ev, 4, 0);
}

static int op_dump(int ep, int efd, int src)
{
	union {
		struct shadow_epoll_ready_entry r[4];
		struct shadow_epoll_interest_entry i[4];
	} e;

	(void)src;
	return efd & 1 ? shep_ready(ep, e.r, 4, NULL) : shep_interest(ep, e.i, 4);
}

static int op_src_set(int ep, int efd, int src)
{
	(void)ep, (void)efd;
	return shep_source_change(src, SHADOW_EPOLL_SRC_POLLFREE, EPOLLIN, 0, 0);
}

static int op_trigger(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };
	struct epoll_event ev[4];

	(void)efd;
	if (shep_source_trigger(src, src, 1, SHADOW_EPOLL_SRC_OR, EPOLLOUT, 0, 0))
		return -1;
	return rel_wait(&b, ep, ev, 4, 0);
}

static int op_close_inst(int ep, int efd, int src)
{
	struct rel_ep b = { .kernel = false };
	int in = rel_create(&b), r;

	(void)ep;
	if (in < 0)
		return -2;
	r = rel_ctl(&b, in, EPOLL_CTL_ADD, efd, EPOLLIN, 5);
	if (!r)
		r = rel_ctl(&b, in, EPOLL_CTL_ADD, src, EPOLLIN, 6);
	close(in);
	return r;
}

static const struct { const char *name; fop_t fn; } fops[] = {
	{ "create", op_create }, { "source", op_source }, { "add", op_add_efd },
	{ "add+close", op_add_src_close }, { "nest", op_add_nested },
	{ "mod", op_mod }, { "wait", op_wait }, { "dump", op_dump },
	{ "pollfree", op_src_set }, { "trigger", op_trigger },
	{ "close", op_close_inst },
};

static int fault_sweep(void)
{
	int ep, efd, src, f, n, injected = 0, enomem = 0, other = 0;
	struct rel_ep b = { .kernel = false };

	if (write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N") ||
	    write_file("/sys/kernel/debug/failslab/verbose", "0")) {
		printf("fuzz: fail-nth: SKIP (no /sys/kernel/debug/failslab)\n");
		return 0;
	}
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0) {
		printf("fuzz: fail-nth: SKIP (%s)\n", strerror(errno));
		return 0;
	}
	for (f = 0; f < (int)(sizeof(fops) / sizeof(fops[0])); f++) {
		int nf = 0;

		ep = rel_create(&b);
		efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		src = shep_source(O_CLOEXEC, EPOLLIN);
		if (ep < 0 || efd < 0 || src < 0 ||
		    rel_ctl(&b, ep, EPOLL_CTL_ADD, src, EPOLLIN, 9)) {
			fail("fail-nth setup: %s", strerror(errno));
			return 1;
		}
		for (n = 1; n < 200; n++) {
			int r, e, left;

			set_nth(n);
			r = fops[f].fn(ep, efd, src);
			e = errno;
			left = get_nth();
			set_nth(0);
			if (left > 0)
				break;		/* the call made fewer than n attempts */
			injected++, nf++;
			if (r < 0 && e == ENOMEM)
				enomem++;
			else if (r < 0)
				other++;
			if (r < 0 && e >= 512)
				fail("fail-nth %s #%d: kernel-internal errno %d", fops[f].name, n, e);
		}
		printf("fuzz: fail-nth %-9s %d failure point(s)\n", fops[f].name, nf);
		close(src);
		close(efd);
		close(ep);
	}
	printf("fuzz: fail-nth: %d injected failures, %d ENOMEM, %d other errors\n",
	       injected, enomem, other);
	close(fail_nth_fd);
	write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
	return 0;
}

/* ---------------------------------------------------------------- hold test */

static int try_unload(const char *what)
{
	long r = syscall(SYS_delete_module, "shadow_epoll", O_NONBLOCK);

	if (r == 0) {
		printf("fuzz: hold: FAIL: shadow_epoll unloaded while %s was open\n", what);
		return 1;
	}
	if (errno != EAGAIN && errno != EBUSY) {
		printf("fuzz: hold: FAIL: delete_module with %s open: %s, not EAGAIN/EBUSY\n",
		       what, strerror(errno));
		return 1;
	}
	printf("fuzz: hold: rmmod refused while %s is open: %s\n", what,
	       strerrorname_np(errno));
	return 0;
}

static int hold_test(void)
{
	struct rel_ep b;
	int inst, src, efd, bad = 0;

	gw = shep_gateway();
	if (gw < 0) {
		printf("fuzz: hold: FAIL: %s: %s\n", shep_device_path(), strerror(errno));
		return 1;
	}
	b.kernel = false;
	bad |= try_unload("a /dev/shadow_epoll instance");
	inst = rel_create(&b);
	src = shep_source(O_CLOEXEC, EPOLLIN);
	efd = eventfd(1, EFD_CLOEXEC);
	if (inst < 0 || src < 0 || efd < 0 ||
	    rel_ctl(&b, inst, EPOLL_CTL_ADD, src, EPOLLIN, 1) ||
	    rel_ctl(&b, inst, EPOLL_CTL_ADD, efd, EPOLLIN, 2)) {
		printf("fuzz: hold: FAIL: setup: %s\n", strerror(errno));
		return 1;
	}
	close(gw);
	shep_gateway_forget();
	bad |= try_unload("an IOC_CREATE instance and a source");
	close(inst);
	bad |= try_unload("a source");
	close(src);
	close(efd);
	return bad;
}

/* --------------------------------------------------------------------- main */

static void print_hist(void)
{
	int c, i;

	printf("fuzz: results: ok %llu", (unsigned long long)atomic_load(&hist_ok));
	for (i = 0; i < NERR; i++) {
		uint64_t v = atomic_load(&hist_err[i]);

		if (v)
			printf(", %s %llu", strerrorname_np(i) ?: "E?",
			       (unsigned long long)v);
	}
	if (atomic_load(&hist_other))
		printf(", other %llu", (unsigned long long)atomic_load(&hist_other));
	printf("\n");
	for (c = 0; c < NCLS; c++) {
		printf("fuzz:   %-11s %8llu calls: ok %llu", cls_name[c],
		       (unsigned long long)atomic_load(&cls_calls[c]),
		       (unsigned long long)atomic_load(&cls_ok[c]));
		for (i = 0; i < NERR; i++) {
			uint64_t v = atomic_load(&cls_err[c][i]);

			if (v)
				printf(", %s %llu", strerrorname_np(i) ?: "E?",
				       (unsigned long long)v);
		}
		printf("\n");
	}
}

/* The fuzzing proper (in the child). */
static int run(uint64_t seed, int nth, int quiet, int sweep)
{
	uint64_t last = 0;
	struct targ ta[MAXTH + 1];
	struct rlimit rl = { 4096, 4096 };
	struct sigaction sa = { .sa_handler = on_alrm };	/* no SA_RESTART */
	double t0, t1, tprog;
	int i, nthreads = det ? nth : nth + 1;

	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGALRM, &sa, NULL);

	gw = shep_gateway();
	if (gw < 0) {
		printf("fuzz: SKIP: %s: %s\n", shep_device_path(), strerror(errno));
		return 4;
	}
	opath = open("/", O_PATH | O_CLOEXEC);
	stable[0] = gw;
	stable[1] = rel_create(&(struct rel_ep){ .kernel = false });
	stable[2] = shep_source(O_CLOEXEC, EPOLLIN);
	if (stable[1] < 0 || stable[2] < 0) {
		perror("fuzz: setup");
		return 1;
	}
	{
		uint64_t s = seed;

		for (i = 0; i < NPOOL; i++)
			pool[i] = new_obj(&s);
	}
	for (i = 0; i < nth; i++)
		arena[i] = mem_new();
	hole_new();
	printf("fuzz: %llu calls, %d thread(s)%s, seed %#llx\n",
	       (unsigned long long)ncalls, nth,
	       det ? ", closer inline (deterministic)" : " + closer",
	       (unsigned long long)seed);

	t0 = shep_now_s();
	for (i = 0; i < nthreads; i++) {
		ta[i].seed = seed + 0xD1B54A32D192ED03ULL * (i + 1);
		ta[i].n = ncalls / nth + (i < (int)(ncalls % nth));
		ta[i].joined = false;
		ta[i].idx = i;
		if (pthread_create(&ta[i].self, NULL, i < nth ? fuzzer : closer, &ta[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	/* watchdog: interrupt waits every 20 ms, detect hangs */
	tprog = shep_now_s();
	for (;;) {
		uint64_t c = atomic_load(&calls);
		bool done = true;

		for (i = 0; i < nth; i++) {
			if (ta[i].joined)
				continue;
			if (pthread_tryjoin_np(ta[i].self, NULL) == EBUSY) {
				done = false;
				pthread_kill(ta[i].self, SIGALRM);
			} else {
				ta[i].joined = true;
			}
		}
		if (done)
			break;
		if (c != last) {
			last = c;
			tprog = shep_now_s();
		} else if (shep_now_s() - tprog > 30) {
			fail("no progress for 30 s after %llu calls: a call hangs",
			     (unsigned long long)c);
			hang_report(nth);
			printf("fuzz: summary: seed %#llx: %llu calls: FAIL (hang)\n",
			       (unsigned long long)seed, (unsigned long long)c);
			fflush(NULL);
			_exit(3);
		}
		if (!quiet && (int)(shep_now_s() - t0) / 10 != (int)(shep_now_s() - t0 - 0.02) / 10)
			fprintf(stderr, "fuzz: %llu calls\n", (unsigned long long)c);
		usleep(20000);
	}
	t1 = shep_now_s();
	atomic_store(&stop, true);
	if (!det)
		pthread_join(ta[nth].self, NULL);
	if (!unmapped(hole, PG))
		fail("the hole at %p got mapped", (void *)hole);

	printf("fuzz: %llu calls in %.1f s, %.0f calls/s, %llu fds returned\n",
	       (unsigned long long)atomic_load(&calls), t1 - t0,
	       atomic_load(&calls) / (t1 - t0), (unsigned long long)atomic_load(&fdret));
	print_hist();

	if (sweep)
		fault_sweep();

	for (i = 0; i < NPOOL; i++)
		if (pool[i] >= 0)
			close(pool[i]);
	close(gw);
	shep_gateway_forget();
	printf("fuzz: summary: seed %#llx, %llu calls, %.0f calls/s, ok %llu, EFAULT %llu, EINVAL %llu, ENOTTY %llu, digest %016llx%s: %s\n",
	       (unsigned long long)seed, (unsigned long long)atomic_load(&calls),
	       atomic_load(&calls) / (t1 - t0),
	       (unsigned long long)atomic_load(&hist_ok),
	       (unsigned long long)atomic_load(&hist_err[EFAULT]),
	       (unsigned long long)atomic_load(&hist_err[EINVAL]),
	       (unsigned long long)atomic_load(&hist_err[ENOTTY]),
	       (unsigned long long)atomic_load(&digest), det ? " (-D)" : "",
	       atomic_load(&failures) ? "FAIL" : "PASS");
	return atomic_load(&failures) ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ getpid();
	int nth = 2, opt, quiet = 0, sweep = 0, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:j:s:DFqH")) != -1) {
		switch (opt) {
		case 'H': return hold_test();
		case 'n': ncalls = strtoull(optarg, NULL, 0); break;
		case 'j': nth = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'D': det = true; break;
		case 'F': sweep = 1; break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: sep_ioctl_fuzz [-n calls] [-j threads] [-s seed] [-D] [-F] [-q]\n");
			return 2;
		}
	}
	if (nth < 1 || nth > MAXTH)
		nth = 2;
	if (det)
		nth = 1;
	if (!seed)
		seed = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Random fd numbers must only ever hit our own objects. */
	syscall(SYS_close_range, 3U, ~0U, 0U);

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid)
		exit(run(seed, nth, quiet, sweep));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			return 1;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	printf("fuzz: summary: seed %#llx: FAIL: the fuzzer crashed: %s (signal %d)\n",
	       (unsigned long long)seed, sigabbrev_np(WTERMSIG(status)) ?: "?",
	       WTERMSIG(status));
	return 1;
}
