// SPDX-License-Identifier: GPL-2.0-only
/*
 * libshadow_epoll_preload.so: run an unmodified dynamically linked program
 * on shadow-epoll.
 *
 *   LD_PRELOAD=/path/libshadow_epoll_preload.so [SHADOW_EPOLL_LOG=1|path] prog
 *
 * epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and
 * epoll_pwait2 are routed to /dev/shadow_epoll (libshadow_epoll): the
 * program gets shadow instance fds, which are real fds (poll, select, close,
 * dup, fork and nesting work as with an epoll fd), and the same return
 * values and errno as from the syscalls.
 *
 * Fallbacks (the real functions, found with dlsym(RTLD_NEXT)):
 *  - if the gateway cannot be opened (module not loaded), epoll_create*()
 *    creates a real epoll fd (logged; SHADOW_EPOLL_STRICT=1 makes it fail
 *    with the open error instead);
 *  - an epfd that is not a shadow instance (a real epoll fd made before the
 *    shim was loaded, or by syscall(2)) gets EINVAL from the module; the call
 *    is then repeated on the real syscall, which gives the right answer for a
 *    real epoll fd and the same EINVAL for anything else (the module checks
 *    in the syscall's order, so nothing before the epfd check differs).
 *
 * SHADOW_EPOLL_LOG=1 logs every call (arguments, result, errno, events) to
 * stderr; any other non-empty value except 0 is a file opened in append mode.
 * Logging uses only write(2) on a pre-formatted stack buffer (one write per
 * line), so it is async-signal-safe and does not touch stdio or malloc; errno
 * is preserved.  The log fd is moved high and re-opened if the program
 * closed it.
 *
 * Known gaps: epoll_wait & co. are cancellation points in glibc; the ioctl is
 * not (pthread_cancel() of a thread blocked in the shadow is deferred until
 * it returns).  Raw syscall(SYS_epoll_*) calls are not intercepted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "../lib/libshadow_epoll.h"
#include "../lib/shep_util.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*create_fn)(int);
typedef int (*ctl_fn)(int, int, int, struct epoll_event *);
typedef int (*wait_fn)(int, struct epoll_event *, int, int);
typedef int (*pwait_fn)(int, struct epoll_event *, int, int, const sigset_t *);
typedef int (*pwait2_fn)(int, struct epoll_event *, int,
			 const struct timespec *, const sigset_t *);

static struct {
	create_fn create, create1;
	ctl_fn ctl;
	wait_fn wait;
	pwait_fn pwait;
	pwait2_fn pwait2;
} real;

static int log_mode;		/* 0 off, 1 stderr, 2 file */
static const char *log_path;
static int log_fd = -1;
static int strict;
static int inited;
static int no_shadow;		/* the gateway could not be opened: all real */

/* The shadow can be used (the gateway is open or opens now). */
static int shadow_up(void)
{
	if (__atomic_load_n(&no_shadow, __ATOMIC_RELAXED))
		return 0;
	if (shep_gateway() >= 0)
		return 1;
	if (!strict)
		__atomic_store_n(&no_shadow, 1, __ATOMIC_RELAXED);
	return 0;
}

static void resolve(void)
{
	real.create = (create_fn)dlsym(RTLD_NEXT, "epoll_create");
	real.create1 = (create_fn)dlsym(RTLD_NEXT, "epoll_create1");
	real.ctl = (ctl_fn)dlsym(RTLD_NEXT, "epoll_ctl");
	real.wait = (wait_fn)dlsym(RTLD_NEXT, "epoll_wait");
	real.pwait = (pwait_fn)dlsym(RTLD_NEXT, "epoll_pwait");
	real.pwait2 = (pwait2_fn)dlsym(RTLD_NEXT, "epoll_pwait2");
}

static int log_open(void)
{
	int fd, hi;

	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, SHEP_GATEWAY_MIN_FD + 1);
	if (hi >= 0) {
		close(fd);
		fd = hi;
	}
	return fd;
}

/* Idempotent; may run before our constructor (another constructor's call). */
static void init(void)
{
	const char *v;

	if (__atomic_load_n(&inited, __ATOMIC_ACQUIRE))
		return;
	resolve();
	v = getenv("SHADOW_EPOLL_LOG");
	if (v && *v && strcmp(v, "0")) {
		if (!strcmp(v, "1") || !strcmp(v, "stderr")) {
			log_mode = 1;
		} else {
			log_mode = 2;
			log_path = v;
			log_fd = log_open();
		}
	}
	v = getenv("SHADOW_EPOLL_STRICT");
	strict = v && *v && strcmp(v, "0");
	__atomic_store_n(&inited, 1, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void preload_ctor(void)
{
	init();
}

/* ------------------------------------------------------------------ */
/* A tiny async-signal-safe formatter. */

struct lbuf {
	char b[1024];
	size_t n;
};

static void ls(struct lbuf *l, const char *s)
{
	while (*s && l->n < sizeof(l->b) - 1)
		l->b[l->n++] = *s++;
}

static void lu(struct lbuf *l, unsigned long long v, unsigned int base)
{
	char t[24];
	int i = 0;

	do {
		t[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		ls(l, "0x");
	while (i && l->n < sizeof(l->b) - 1)
		l->b[l->n++] = t[--i];
}

static void ld(struct lbuf *l, long long v)
{
	if (v < 0) {
		ls(l, "-");
		lu(l, -(unsigned long long)v, 10);
	} else {
		lu(l, (unsigned long long)v, 10);
	}
}

static void lmask(struct lbuf *l, uint32_t m)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" },
		{ EPOLLRDNORM, "RDNORM" }, { EPOLLRDBAND, "RDBAND" },
		{ EPOLLWRNORM, "WRNORM" }, { EPOLLWRBAND, "WRBAND" },
		{ EPOLLMSG, "MSG" }, { EPOLLRDHUP, "RDHUP" },
		{ EPOLLEXCLUSIVE, "EXCLUSIVE" }, { EPOLLWAKEUP, "WAKEUP" },
		{ EPOLLONESHOT, "ONESHOT" }, { EPOLLET, "ET" },
	};
	unsigned int i;
	int first = 1;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(m & bits[i].bit))
			continue;
		if (!first)
			ls(l, "|");
		ls(l, bits[i].name);
		first = 0;
		m &= ~bits[i].bit;
	}
	if (m || first) {
		if (!first)
			ls(l, "|");
		lu(l, m, 16);
	}
}

static void lop(struct lbuf *l, int op)
{
	if (op == EPOLL_CTL_ADD)
		ls(l, "EPOLL_CTL_ADD");
	else if (op == EPOLL_CTL_MOD)
		ls(l, "EPOLL_CTL_MOD");
	else if (op == EPOLL_CTL_DEL)
		ls(l, "EPOLL_CTL_DEL");
	else
		ld(l, op);
}

static void lbegin(struct lbuf *l, const char *fn)
{
	l->n = 0;
	ls(l, "shadow-epoll[");
	ld(l, getpid());
	ls(l, "] ");
	ls(l, fn);
	ls(l, "(");
}

/* Result, errno and where the call went; then write the line. */
static void lend(struct lbuf *l, int ret, int err, const char *where,
		 const struct epoll_event *evs)
{
	const char *en;
	int i;

	ls(l, ") = ");
	ld(l, ret);
	if (ret < 0) {
		ls(l, " ");
		en = shep_errname(err);
		if (en)
			ls(l, en);
		else
			ld(l, err);
	}
	if (evs && ret > 0) {
		ls(l, " [");
		for (i = 0; i < ret && i < 8; i++) {
			if (i)
				ls(l, ", ");
			ls(l, "{");
			lmask(l, evs[i].events);
			ls(l, ", ");
			lu(l, evs[i].data.u64, 16);
			ls(l, "}");
		}
		if (ret > 8)
			ls(l, ", ...");
		ls(l, "]");
	}
	ls(l, " -> ");
	ls(l, where);
	ls(l, "\n");
}

static void lflush(struct lbuf *l)
{
	ssize_t w;
	int fd;

	if (log_mode == 1) {
		fd = 2;
	} else {
		fd = __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE);
		if (fd < 0) {
			fd = log_open();
			if (fd < 0)
				return;
			__atomic_store_n(&log_fd, fd, __ATOMIC_RELEASE);
		}
	}
	w = write(fd, l->b, l->n);
	if (w < 0 && errno == EBADF && log_mode == 2) {
		/* The program closed our log fd: reopen (never close it). */
		fd = log_open();
		if (fd >= 0) {
			__atomic_store_n(&log_fd, fd, __ATOMIC_RELEASE);
			w = write(fd, l->b, l->n);
		}
	}
	(void)w;
}

/* ------------------------------------------------------------------ */

static const char *const SHADOW = "shadow";
static const char *const REAL = "in-tree (fallback: no shadow gateway)";
static const char *const REAL_FD = "in-tree (epfd is not a shadow instance)";
static const char *const NOWHERE = "nowhere (size <= 0)";

static int do_create(const char *fn, int size, int flags, int is_create1)
{
	const char *where = SHADOW;
	struct lbuf l;
	int ret, err;

	init();
	if (!is_create1 && size <= 0) {
		where = NOWHERE;
		ret = -1;
		err = EINVAL;
	} else if (shadow_up() || strict) {
		ret = shep_create(is_create1 ? flags : 0);
		err = errno;
	} else {
		where = REAL;
		if (is_create1)
			ret = real.create1 ? real.create1(flags) :
			      (errno = ENOSYS, -1);
		else
			ret = real.create ? real.create(size) :
			      (errno = ENOSYS, -1);
		err = errno;
	}
	if (log_mode) {
		lbegin(&l, fn);
		if (is_create1) {
			if (flags == EPOLL_CLOEXEC)
				ls(&l, "EPOLL_CLOEXEC");
			else
				lu(&l, (unsigned int)flags, 16);
		} else {
			ld(&l, size);
		}
		lend(&l, ret, err, where, NULL);
		lflush(&l);
	}
	errno = err;
	return ret;
}

EXPORT int epoll_create(int size)
{
	return do_create("epoll_create", size, 0, 0);
}

EXPORT int epoll_create1(int flags)
{
	return do_create("epoll_create1", 0, flags, 1);
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	const char *where = SHADOW;
	struct lbuf l;
	int ret, err;

	init();
	if (shadow_up()) {
		ret = shep_ctl(epfd, op, fd, event);
	} else {
		where = REAL;
		ret = real.ctl ? real.ctl(epfd, op, fd, event) : (errno = ENOSYS, -1);
	}
	err = errno;
	if (ret < 0 && err == EINVAL && where == SHADOW && real.ctl) {
		int r2 = real.ctl(epfd, op, fd, event);

		if (!(r2 < 0 && errno == EINVAL))
			where = REAL_FD;
		ret = r2;
		err = errno;
	}
	if (log_mode) {
		lbegin(&l, "epoll_ctl");
		ld(&l, epfd);
		ls(&l, ", ");
		lop(&l, op);
		ls(&l, ", ");
		ld(&l, fd);
		ls(&l, ", ");
		if (!event) {
			ls(&l, "NULL");
		} else if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD) {
			lu(&l, (unsigned long)event, 16);
		} else {
			/* ADD/MOD copy the event first: it was readable
			 * unless the call failed with EFAULT. */
			if (ret < 0 && err == EFAULT) {
				lu(&l, (unsigned long)event, 16);
			} else {
				ls(&l, "{");
				lmask(&l, event->events);
				ls(&l, ", ");
				lu(&l, event->data.u64, 16);
				ls(&l, "}");
			}
		}
		lend(&l, ret, err, where, NULL);
		lflush(&l);
	}
	errno = err;
	return ret;
}

static void log_wait(const char *fn, int epfd, const struct epoll_event *evs,
		     int max, const char *tmo, long long ms,
		     const struct timespec *ts, const sigset_t *sigmask,
		     int has_sigmask, int ret, int err, const char *where)
{
	struct lbuf l;

	lbegin(&l, fn);
	ld(&l, epfd);
	ls(&l, ", ");
	lu(&l, (unsigned long)evs, 16);
	ls(&l, ", ");
	ld(&l, max);
	ls(&l, ", ");
	if (tmo) {
		ls(&l, tmo);
	} else if (ts) {
		ls(&l, "{");
		ld(&l, ts->tv_sec);
		ls(&l, "s, ");
		ld(&l, ts->tv_nsec);
		ls(&l, "ns}");
	} else {
		ld(&l, ms);
	}
	if (has_sigmask) {
		ls(&l, ", ");
		if (sigmask)
			lu(&l, (unsigned long)sigmask, 16);
		else
			ls(&l, "NULL");
	}
	/* The events are only read back when the call succeeded. */
	lend(&l, ret, err, where, ret > 0 ? evs : NULL);
	lflush(&l);
}

/* One epoll_wait(), epoll_pwait() or epoll_pwait2() call. */
enum wait_kind { WAIT, PWAIT, PWAIT2 };

struct wait_call {
	enum wait_kind kind;
	int epfd;
	struct epoll_event *evs;
	int max;
	int ms;				/* WAIT, PWAIT */
	const struct timespec *ts;	/* PWAIT2 */
	const sigset_t *sigmask;	/* PWAIT, PWAIT2 */
};

static int wait_shadow(const struct wait_call *c)
{
	switch (c->kind) {
	case WAIT:
		return shep_wait(c->epfd, c->evs, c->max, c->ms);
	case PWAIT:
		return shep_pwait(c->epfd, c->evs, c->max, c->ms, c->sigmask);
	default:
		return shep_pwait2(c->epfd, c->evs, c->max, c->ts, c->sigmask);
	}
}

/* The C library has the real function (dlsym found it). */
static int have_real(const struct wait_call *c)
{
	switch (c->kind) {
	case WAIT:
		return real.wait != NULL;
	case PWAIT:
		return real.pwait != NULL;
	default:
		return real.pwait2 != NULL;
	}
}

static int wait_real(const struct wait_call *c)
{
	if (!have_real(c)) {
		errno = ENOSYS;
		return -1;
	}
	switch (c->kind) {
	case WAIT:
		return real.wait(c->epfd, c->evs, c->max, c->ms);
	case PWAIT:
		return real.pwait(c->epfd, c->evs, c->max, c->ms, c->sigmask);
	default:
		return real.pwait2(c->epfd, c->evs, c->max, c->ts, c->sigmask);
	}
}

static int do_wait(const char *fn, const struct wait_call *c)
{
	const char *where = SHADOW;
	int ret, err;

	init();
	if (shadow_up()) {
		ret = wait_shadow(c);
	} else {
		where = REAL;
		ret = wait_real(c);
	}
	err = errno;
	if (ret < 0 && err == EINVAL && where == SHADOW && have_real(c)) {
		int r2 = wait_real(c);

		if (!(r2 < 0 && errno == EINVAL))
			where = REAL_FD;
		ret = r2;
		err = errno;
	}
	if (log_mode)
		log_wait(fn, c->epfd, c->evs, c->max,
			 c->kind == PWAIT2 && !c->ts ? "NULL" : NULL, c->ms,
			 c->ts, c->sigmask, c->kind != WAIT, ret, err, where);
	errno = err;
	return ret;
}

EXPORT int epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		      int timeout)
{
	struct wait_call c = { WAIT, epfd, events, maxevents, timeout, NULL, NULL };

	return do_wait("epoll_wait", &c);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		       int timeout, const sigset_t *sigmask)
{
	struct wait_call c = { PWAIT, epfd, events, maxevents, timeout, NULL,
			       sigmask };

	return do_wait("epoll_pwait", &c);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			const struct timespec *timeout, const sigset_t *sigmask)
{
	struct wait_call c = { PWAIT2, epfd, events, maxevents, 0, timeout,
			       sigmask };

	return do_wait("epoll_pwait2", &c);
}
