// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_lib: in-tree epoll and /dev/shadow_epoll behind one API, plus the
 * differential helpers used by every *_test.c and by sep_report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sep_lib.h"

#define SEP_PAGE 4096

_Static_assert(sizeof(struct epoll_event) == 12,
	       "struct epoll_event must be the kernel's packed layout");

/* ------------------------------------------------------------------ */
/* In-tree epoll. */

static int k_create(int flags)
{
	return epoll_create1(flags);
}

static int k_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

static int k_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	/* epoll_wait is absent on some arches; pwait with NULL mask is equal. */
	return (int)syscall(SYS_epoll_pwait, epfd, evs, max, timeout, NULL, 0);
}

static int k_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
		   const sigset_t *sigmask, size_t sigsetsize)
{
	return (int)syscall(SYS_epoll_pwait, epfd, evs, max, timeout, sigmask,
			    sigsetsize);
}

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static int k_pwait2(int epfd, struct epoll_event *evs, int max,
		    const struct timespec *ts, const sigset_t *sigmask,
		    size_t sigsetsize)
{
	return (int)syscall(SYS_epoll_pwait2, epfd, evs, max, ts, sigmask,
			    sigsetsize);
}

static int k_close(int epfd)
{
	return close(epfd);
}

static int k_ready_order(int epfd, uint64_t *data, int max, uint32_t *dflags)
{
	if (dflags)
		*dflags = 0;
	return sep_probe_order(&sep_kernel_backend, epfd, data, max);
}

const struct sep_backend sep_kernel_backend = {
	.name = "in-tree",
	.create = k_create,
	.ctl = k_ctl,
	.wait = k_wait,
	.pwait = k_pwait,
	.pwait2 = k_pwait2,
	.close = k_close,
	.ready_order = k_ready_order,
};

/* ------------------------------------------------------------------ */
/* /dev/shadow_epoll. */

/*
 * The device calls are libshadow_epoll's; only epoll_pwait() and
 * epoll_pwait2() with a caller's sigsetsize (the tests pass wrong ones) need
 * the raw WAIT form.
 */
static int d_wait_raw(int epfd, struct epoll_event *evs, int max,
		      uint32_t flags, int timeout, const struct timespec *ts,
		      const sigset_t *sigmask, size_t sigsetsize)
{
	struct shadow_epoll_wait_args a = {
		.size = sizeof(a),
		.flags = flags,
		.epfd = epfd,
		.maxevents = max,
		.events = (uint64_t)(uintptr_t)evs,
		.timeout_ts = (uint64_t)(uintptr_t)ts,
		.sigmask = (uint64_t)(uintptr_t)sigmask,
		.sigsetsize = sigsetsize,
		.timeout_ms = timeout,
	};

	return shep_wait_raw(&a);
}

static int d_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
		   const sigset_t *sigmask, size_t sigsetsize)
{
	return d_wait_raw(epfd, evs, max, 0, timeout, NULL, sigmask,
			  sigsetsize);
}

static int d_pwait2(int epfd, struct epoll_event *evs, int max,
		    const struct timespec *ts, const sigset_t *sigmask,
		    size_t sigsetsize)
{
	return d_wait_raw(epfd, evs, max, SHADOW_EPOLL_WAIT_TIMESPEC, 0, ts,
			  sigmask, sigsetsize);
}

bool sep_entry_ready(int fd, uint32_t events)
{
	struct pollfd p = { .fd = fd };
	uint32_t want = events & ~(EPOLLET | EPOLLONESHOT | EPOLLWAKEUP |
				   EPOLLEXCLUSIVE);

	p.events = (short)(want & 0xffff);
	if (poll(&p, 1, 0) < 0 || (p.revents & POLLNVAL))
		return true;	/* cannot tell: keep it */
	return (p.revents & want) != 0;
}

/*
 * The READY dump as data values, without the entries whose file is not
 * ready now: the next scan drops those without reporting them, so probing
 * the in-tree epoll cannot see them either.
 */
static int d_ready_order(int epfd, uint64_t *data, int max, uint32_t *dflags)
{
	struct shadow_epoll_ready_entry e[256];
	int n, i, k = 0;

	n = shep_ready(epfd, e, 256, dflags);
	if (n < 0)
		return -1;
	if (n > 256)
		n = 256;
	for (i = 0; i < n && k < max; i++)
		if (sep_entry_ready(e[i].fd, e[i].events))
			data[k++] = e[i].data;
	return k;
}

const struct sep_backend sep_device_backend = {
	.name = "shadow",
	.is_device = true,
	.ready_is_dump = true,
	.create = shep_create,
	.ctl = shep_ctl,
	.wait = shep_wait,
	.pwait = d_pwait,
	.pwait2 = d_pwait2,
	.close = k_close,
	.ready_order = d_ready_order,
};

/* ------------------------------------------------------------------ */
/*
 * The kernel fake with deliberate bugs (SEP_FAKE_BUG=a,b,...):
 *   reverse   wait returns the events in reverse order
 *   data      wait: the last event's data is off by one
 *   ctlerrno  ctl: EEXIST/ENOENT/EPERM/EBADF become EINVAL
 *   waiterrno wait: EBADF/EFAULT become EINVAL
 *   efault    wait: EFAULT becomes a successful 0
 *   order     ready_order reversed
 *   timeout   wait/pwait/pwait2 with a positive timeout do not wait
 *   eintr     wait: EINTR becomes 0
 *   excl      ctl ADD ignores EPOLLEXCLUSIVE
 *   loop      ctl: ELOOP becomes 0-returning success (the ADD is not done)
 *   cloexec   create ignores EPOLL_CLOEXEC
 *   oneshot   ctl ignores EPOLLONESHOT
 */

bool sep_fake_bug(const char *name)
{
	const char *s = getenv("SEP_FAKE_BUG");
	size_t n = strlen(name);

	if (!s || sep_shadow() != &sep_fake_backend)
		return false;
	while (*s) {
		if (!strncmp(s, name, n) && (s[n] == ',' || s[n] == 0))
			return true;
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	return false;
}

static int f_create(int flags)
{
	if (sep_fake_bug("cloexec"))
		flags &= ~EPOLL_CLOEXEC;
	return k_create(flags);
}

static int f_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event copy;
	int r;

	if (ev && op != EPOLL_CTL_DEL && (uintptr_t)ev > 4096 &&
	    (uintptr_t)ev < 0x800000000000ull &&
	    (sep_fake_bug("excl") || sep_fake_bug("oneshot"))) {
		copy = *ev;
		if (sep_fake_bug("excl"))
			copy.events &= ~EPOLLEXCLUSIVE;
		if (sep_fake_bug("oneshot"))
			copy.events &= ~EPOLLONESHOT;
		ev = &copy;
	}
	r = k_ctl(epfd, op, fd, ev);
	if (r < 0 && sep_fake_bug("ctlerrno") &&
	    (errno == EEXIST || errno == ENOENT || errno == EPERM ||
	     errno == EBADF))
		errno = EINVAL;
	if (r < 0 && errno == ELOOP && sep_fake_bug("loop"))
		r = 0;
	return r;
}

static int f_fix(int r, struct epoll_event *evs)
{
	int i;

	if (r < 0) {
		if (sep_fake_bug("waiterrno") &&
		    (errno == EBADF || errno == EFAULT))
			errno = EINVAL;
		if (errno == EFAULT && sep_fake_bug("efault"))
			return 0;
		if (errno == EINTR && sep_fake_bug("eintr"))
			return 0;
		return r;
	}
	if (r > 1 && sep_fake_bug("reverse")) {
		for (i = 0; i < r / 2; i++) {
			struct epoll_event t = evs[i];

			evs[i] = evs[r - 1 - i];
			evs[r - 1 - i] = t;
		}
	}
	if (r > 0 && sep_fake_bug("data"))
		evs[r - 1].data.u64++;
	return r;
}

static int f_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	if (timeout > 0 && sep_fake_bug("timeout"))
		timeout = 0;
	return f_fix(k_wait(epfd, evs, max, timeout), evs);
}

static int f_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
		   const sigset_t *sigmask, size_t sigsetsize)
{
	if (timeout > 0 && sep_fake_bug("timeout"))
		timeout = 0;
	return f_fix(k_pwait(epfd, evs, max, timeout, sigmask, sigsetsize), evs);
}

static int f_pwait2(int epfd, struct epoll_event *evs, int max,
		    const struct timespec *ts, const sigset_t *sigmask,
		    size_t sigsetsize)
{
	static const struct timespec zero;

	if (sep_fake_bug("timeout") && ts && (uintptr_t)ts > 4096 &&
	    (uintptr_t)ts < 0x800000000000ull && ts->tv_sec >= 0 &&
	    ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000 &&
	    (ts->tv_sec || ts->tv_nsec))
		ts = &zero;
	return f_fix(k_pwait2(epfd, evs, max, ts, sigmask, sigsetsize), evs);
}

static int f_ready_order(int epfd, uint64_t *data, int max, uint32_t *dflags)
{
	int n = k_ready_order(epfd, data, max, dflags);
	int i;

	if (n > 1 && sep_fake_bug("order")) {
		for (i = 0; i < n / 2; i++) {
			uint64_t t = data[i];

			data[i] = data[n - 1 - i];
			data[n - 1 - i] = t;
		}
	}
	return n;
}

const struct sep_backend sep_fake_backend = {
	.name = "fake",
	.create = f_create,
	.ctl = f_ctl,
	.wait = f_wait,
	.pwait = f_pwait,
	.pwait2 = f_pwait2,
	.close = k_close,
	.ready_order = f_ready_order,
};

/* ------------------------------------------------------------------ */

const struct sep_backend *sep_real(void)
{
	return &sep_kernel_backend;
}

const struct sep_backend *sep_shadow(void)
{
	const char *s = getenv("SEP_SHADOW_BACKEND");

	if (s && !strcmp(s, "kernel"))
		return &sep_fake_backend;
	return &sep_device_backend;
}

bool sep_shadow_is_device(void)
{
	return sep_shadow()->is_device;
}

bool sep_shadow_available(void)
{
	if (!sep_shadow_is_device())
		return true;
	return access(SHADOW_EPOLL_DEVICE, F_OK) == 0 && shep_gateway() >= 0;
}

int sep_probe_order(const struct sep_backend *b, int epfd, uint64_t *data,
		    int max)
{
	struct epoll_event ev;
	int n = 0, i, r;

	for (;;) {
		r = b->wait(epfd, &ev, 1, 0);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		for (i = 0; i < n; i++)
			if (data[i] == ev.data.u64)
				return n;
		if (n == max)
			break;
		data[n++] = ev.data.u64;
	}
	return n;
}

int sep_kver(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u))
		return 0;
	sscanf(u.release, "%d.%d", &maj, &min);
	return maj * 100 + min;
}

bool sep_wait_ebadf_first(void)
{
	return sep_kver() >= 615;
}

int sep_fdinfo_tfd(int fd, char *buf, size_t size)
{
	char path[64], line[512];
	size_t used = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	buf[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);

		if (strncmp(line, "tfd:", 4))
			continue;
		if (used + l + 1 > size)
			break;
		memcpy(buf + used, line, l + 1);
		used += l;
	}
	fclose(f);
	return (int)used;
}

/* ------------------------------------------------------------------ */

const char *sep_ftype_name(int type)
{
	switch (type) {
	case SEP_EVENTFD: return "eventfd";
	case SEP_PIPE: return "pipe";
	case SEP_SOCK: return "socketpair";
	}
	return "?";
}

int sep_src_open(struct sep_src *s, int type)
{
	int p[2];

	s->type = type;
	switch (type) {
	case SEP_EVENTFD:
		s->rfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		s->wfd = s->rfd;
		return s->rfd < 0 ? -1 : 0;
	case SEP_PIPE:
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
			return -1;
		break;
	case SEP_SOCK:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0, p))
			return -1;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	s->rfd = p[0];
	s->wfd = p[1];
	return 0;
}

int sep_src_signal(struct sep_src *s)
{
	uint64_t one = 1;
	char c = 'x';

	if (s->type == SEP_EVENTFD)
		return write(s->wfd, &one, 8) == 8 ? 0 : -1;
	return write(s->wfd, &c, 1) == 1 ? 0 : -1;
}

int sep_src_drain(struct sep_src *s)
{
	char buf[4096];
	ssize_t r;

	do {
		r = read(s->rfd, buf, s->type == SEP_EVENTFD ? 8 : sizeof(buf));
	} while (r > 0 && s->type != SEP_EVENTFD);
	return 0;
}

void sep_src_close(struct sep_src *s)
{
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->wfd >= 0 && s->wfd != s->rfd)
		close(s->wfd);
	s->rfd = s->wfd = -1;
}

/* ------------------------------------------------------------------ */

char sep_letter(int i)
{
	static const char l[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+*";

	if (i < 0 || i >= (int)sizeof(l) - 1)
		return '?';
	return l[i];
}

const char *sep_fmt_order(char *buf, size_t size, const uint64_t *data, int n)
{
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && used + 20 < size; i++) {
		int idx = sep_data_idx(data[i]);

		if (idx >= 0)
			used += snprintf(buf + used, size - used, "%s%c",
					 i ? " " : "", sep_letter(idx));
		else
			used += snprintf(buf + used, size - used, "%s<%llx>",
					 i ? " " : "",
					 (unsigned long long)data[i]);
	}
	return buf;
}

const char *sep_fmt_events(char *buf, size_t size,
			   const struct epoll_event *ev, int n)
{
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && used + 32 < size; i++) {
		int idx = sep_data_idx(ev[i].data.u64);

		if (idx >= 0)
			used += snprintf(buf + used, size - used, "%s%c:%x",
					 i ? " " : "", sep_letter(idx),
					 ev[i].events);
		else
			used += snprintf(buf + used, size - used,
					 "%s<%llx>:%x", i ? " " : "",
					 (unsigned long long)ev[i].data.u64,
					 ev[i].events);
	}
	return buf;
}

int sep_cmp_result(const char *what, int r0, int e0, int r1, int e1)
{
	if (r0 == r1 && (r0 >= 0 || e0 == e1))
		return 0;
	fprintf(stderr, "# DIFF %s: in-tree %d (%s), shadow %d (%s)\n", what,
		r0, r0 < 0 ? strerror(e0) : "ok", r1,
		r1 < 0 ? strerror(e1) : "ok");
	return -1;
}

int sep_cmp_bytes(const char *what, const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++) {
		if (x[i] != y[i]) {
			fprintf(stderr,
				"# DIFF %s: byte %zu (slot %zu): in-tree %02x shadow %02x\n",
				what, i, i / SEP_EVENT_SIZE, x[i], y[i]);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */

/* Nothing open: safe to sep_side_fini() whatever happens next. */
static void side_reset(struct sep_side *side)
{
	int i;

	memset(side, 0, sizeof(*side));
	for (i = 0; i < SEP_MAX_SRC; i++)
		side->src[i].rfd = side->src[i].wfd = -1;
	side->ep = -1;
}

int sep_side_init(struct sep_side *side, const struct sep_backend *b, int n,
		  int type)
{
	int i;

	side_reset(side);
	if (n > SEP_MAX_SRC) {
		errno = EINVAL;
		return -1;
	}
	side->b = b;
	side->ep = b->create(0);
	if (side->ep < 0)
		return -1;
	side->n = n;
	for (i = 0; i < n; i++)
		if (sep_src_open(&side->src[i], type))
			return -1;
	return 0;
}

void sep_side_fini(struct sep_side *side)
{
	int i;

	for (i = 0; i < side->n; i++)
		sep_src_close(&side->src[i]);
	if (side->ep >= 0)
		side->b->close(side->ep);
	side->ep = -1;
}

int sep_duo_init(struct sep_duo *d, int n, int type)
{
	memset(d, 0, sizeof(*d));
	side_reset(&d->s[0]);
	side_reset(&d->s[1]);
	if (sep_side_init(&d->s[0], sep_real(), n, type))
		return -1;
	return sep_side_init(&d->s[1], sep_shadow(), n, type);
}

void sep_duo_fini(struct sep_duo *d)
{
	sep_side_fini(&d->s[0]);
	sep_side_fini(&d->s[1]);
}

int sep_duo_ctl(struct sep_duo *d, int op, int i, uint32_t events)
{
	struct epoll_event ev;
	int r[2], e[2], s;
	char what[64];

	for (s = 0; s < 2; s++) {
		ev.events = events;
		ev.data.u64 = sep_data(i);
		errno = 0;
		r[s] = d->s[s].b->ctl(d->s[s].ep, op, d->s[s].src[i].rfd, &ev);
		e[s] = errno;
	}
	snprintf(what, sizeof(what), "ctl(op %d, %c, %#x)", op, sep_letter(i),
		 events);
	if (sep_cmp_result(what, r[0], e[0], r[1], e[1])) {
		d->diffs++;
		return -1;
	}
	return 0;
}

int sep_duo_signal(struct sep_duo *d, int i)
{
	return sep_src_signal(&d->s[0].src[i]) | sep_src_signal(&d->s[1].src[i]);
}

int sep_duo_drain(struct sep_duo *d, int i)
{
	return sep_src_drain(&d->s[0].src[i]) | sep_src_drain(&d->s[1].src[i]);
}

int sep_duo_wait(struct sep_duo *d, int max, int timeout, struct sep_call *rec)
{
	int r[2], e[2], s, slots = max;
	char what[64], b0[1024], b1[1024];

	if (slots > SEP_BUF_EVENTS)
		slots = SEP_BUF_EVENTS;
	if (slots < 0)
		slots = 0;
	for (s = 0; s < 2; s++) {
		memset(d->s[s].buf, 0xa5, sizeof(d->s[s].buf));
		errno = 0;
		r[s] = d->s[s].b->wait(d->s[s].ep, d->s[s].buf, max, timeout);
		e[s] = errno;
	}
	d->calls++;
	if (rec) {
		int i;

		rec->ret = r[0];
		rec->err = e[0];
		rec->n = r[0] > 0 ? r[0] : 0;
		for (i = 0; i < rec->n && i < SEP_BUF_EVENTS; i++) {
			rec->data[i] = d->s[0].buf[i].data.u64;
			rec->events[i] = d->s[0].buf[i].events;
		}
	}
	snprintf(what, sizeof(what), "call %d wait(max %d)", d->calls, max);
	if (sep_cmp_result(what, r[0], e[0], r[1], e[1]) ||
	    sep_cmp_bytes(what, d->s[0].buf, d->s[1].buf,
			  (size_t)slots * SEP_EVENT_SIZE)) {
		fprintf(stderr, "#   in-tree: [%s]\n#   shadow:  [%s]\n",
			sep_fmt_events(b0, sizeof(b0), d->s[0].buf,
				       r[0] > 0 ? r[0] : 0),
			sep_fmt_events(b1, sizeof(b1), d->s[1].buf,
				       r[1] > 0 ? r[1] : 0));
		d->diffs++;
		return -1;
	}
	return 0;
}

int sep_duo_order(struct sep_duo *d, struct sep_call *rec)
{
	uint64_t real[256], sh[256];
	int nr, ns, rc = 0;
	uint32_t fl = 0;
	char b0[1024], b1[1024];

	nr = sep_probe_order(d->s[0].b, d->s[0].ep, real, 256);
	ns = d->s[1].b->ready_order(d->s[1].ep, sh, 256, &fl);
	if (rec) {
		rec->n = nr;
		memcpy(rec->data, real, sizeof(uint64_t) *
		       (nr > SEP_BUF_EVENTS ? SEP_BUF_EVENTS : (nr > 0 ? nr : 0)));
	}
	if (nr != ns || (nr > 0 && memcmp(real, sh, sizeof(uint64_t) * nr))) {
		fprintf(stderr, "# DIFF ready order: in-tree (probe) [%s], %s [%s]\n",
			sep_fmt_order(b0, sizeof(b0), real, nr),
			d->s[1].b->ready_is_dump ? "shadow (READY dump)" :
			"shadow (probe)",
			sep_fmt_order(b1, sizeof(b1), sh, ns));
		rc = -1;
	}
	if (fl & SHADOW_EPOLL_DUMP_SCANNING) {
		fprintf(stderr, "# DIFF ready dump says SCANNING while idle\n");
		rc = -1;
	}
	if (d->s[1].b->ready_is_dump) {
		ns = sep_probe_order(d->s[1].b, d->s[1].ep, sh, 256);
		if (nr != ns ||
		    (nr > 0 && memcmp(real, sh, sizeof(uint64_t) * nr))) {
			fprintf(stderr,
				"# DIFF delivery order: in-tree [%s], shadow [%s]\n",
				sep_fmt_order(b0, sizeof(b0), real, nr),
				sep_fmt_order(b1, sizeof(b1), sh, ns));
			rc = -1;
		}
	}
	if (rc)
		d->diffs++;
	return rc;
}

/* ------------------------------------------------------------------ */
/* userfaultfd and fault buffers. */

struct uffd_waiter {
	const struct sep_backend *b;
	int ep, max, ret, err;
	struct epoll_event *buf;
};

static void *uffd_waiter_fn(void *arg)
{
	struct uffd_waiter *w = arg;

	errno = 0;
	w->ret = w->b->wait(w->ep, w->buf, w->max, 0);
	w->err = errno;
	return NULL;
}

static int sep_uffd_open(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

#ifdef USERFAULTFD_IOC_NEW
	if (fd < 0) {
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			close(dev);
		}
	}
#endif
	if (fd >= 0) {
		struct uffdio_api api = { .api = UFFD_API };

		if (ioctl(fd, UFFDIO_API, &api)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}


int sep_uffd_wait(struct sep_side *side, int max, const int *sig, int nsig,
		  struct sep_uffd_result *res)
{
	struct uffdio_register reg;
	struct uffdio_copy copy;
	struct uffd_waiter w;
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t th;
	static char zero[SEP_PAGE];
	char *area;
	int uffd, i, rc = 0;

	res->dump_n = -1;
	uffd = sep_uffd_open();
	if (uffd < 0)
		return -1;
	area = mmap(NULL, 2 * SEP_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		close(uffd);
		return -2;
	}
	memset(area, 0xa5, SEP_PAGE);	/* page 0 present; page 1 missing */
	reg.range.start = (uintptr_t)(area + SEP_PAGE);
	reg.range.len = SEP_PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		rc = -1;
		goto out;
	}
	w.b = side->b;
	w.ep = side->ep;
	w.max = max;
	w.buf = (struct epoll_event *)(area + SEP_PAGE - SEP_EVENT_SIZE);
	if (pthread_create(&th, NULL, uffd_waiter_fn, &w)) {
		rc = -2;
		goto out;
	}
	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1 || read(uffd, &msg, sizeof(msg)) !=
	    sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT) {
		fprintf(stderr, "# no userfault seen\n");
		rc = -2;
	}
	for (i = 0; i < nsig; i++)
		sep_src_signal(&side->src[sig[i]]);
	if (side->b->is_device) {
		struct shadow_epoll_ready_entry e[32];

		res->dump_n = shep_ready(side->ep, e, 32, &res->dump_flags);
		for (i = 0; i < res->dump_n && i < 32; i++)
			res->dump[i] = e[i].data;
	}
	memset(zero, 0xa5, sizeof(zero));
	copy.dst = (uintptr_t)(area + SEP_PAGE);
	copy.src = (uintptr_t)zero;
	copy.len = SEP_PAGE;
	copy.mode = 0;
	copy.copy = 0;
	if (ioctl(uffd, UFFDIO_COPY, &copy))
		rc = -2;
	pthread_join(th, NULL);
	res->ret = w.ret;
	res->err = w.err;
	memset(res->ev, 0, sizeof(res->ev));
	if (w.ret > 0)
		memcpy(res->ev, w.buf, (size_t)(w.ret < 16 ? w.ret : 16) *
		       SEP_EVENT_SIZE);
out:
	munmap(area, 2 * SEP_PAGE);
	close(uffd);
	return rc;
}

void *sep_fault_buf(int side, int room)
{
	static char *area[2];

	if (!area[side]) {
		area[side] = mmap(NULL, 2 * SEP_PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area[side] == MAP_FAILED) {
			area[side] = NULL;
			return NULL;
		}
		mprotect(area[side] + SEP_PAGE, SEP_PAGE, PROT_NONE);
	}
	memset(area[side], 0xa5, SEP_PAGE);
	return area[side] + SEP_PAGE - room;
}

/* ------------------------------------------------------------------ */
/* Synthetic sources. */

int sep_duo_init_sources(struct sep_duo *d, int n, const uint32_t *mask)
{
	int s, i;

	if (n > SEP_MAX_SRC) {
		errno = EINVAL;
		return -1;
	}
	if (sep_duo_init(d, 0, SEP_EVENTFD))
		return -1;
	for (s = 0; s < 2; s++) {
		struct sep_side *side = &d->s[s];

		for (i = 0; i < n; i++) {
			int fd = shep_source(O_CLOEXEC, mask ? mask[i] : 0);

			if (fd < 0)
				return -1;
			side->src[i].type = SEP_SOURCE;
			side->src[i].rfd = fd;
			side->src[i].wfd = fd;
			side->n = i + 1;
		}
	}
	return 0;
}

int sep_duo_src_change(struct sep_duo *d, int i, uint32_t op, uint32_t mask,
		       uint32_t key, uint32_t flags)
{
	int r[2], e[2], s;
	char what[80];

	for (s = 0; s < 2; s++) {
		errno = 0;
		r[s] = shep_source_change(d->s[s].src[i].rfd, op, mask, key, flags);
		e[s] = errno;
	}
	snprintf(what, sizeof(what), "src_set(%c, op %u, %#x, key %#x)",
		 sep_letter(i), op, mask, key);
	if (sep_cmp_result(what, r[0], e[0], r[1], e[1])) {
		d->diffs++;
		return -1;
	}
	return r[0] < 0 ? -1 : 0;
}

int sep_duo_src_trigger(struct sep_duo *d, int i, int target, uint32_t count,
			uint32_t op, uint32_t mask, uint32_t key, uint32_t flags)
{
	int r[2], e[2], s;

	for (s = 0; s < 2; s++) {
		errno = 0;
		r[s] = shep_source_trigger(d->s[s].src[i].rfd,
					  d->s[s].src[target].rfd, count, op,
					  mask, key, flags);
		e[s] = errno;
	}
	if (sep_cmp_result("src_trigger", r[0], e[0], r[1], e[1])) {
		d->diffs++;
		return -1;
	}
	return r[0] < 0 ? -1 : 0;
}

void sep_duo_src_disarm(struct sep_duo *d)
{
	int s, i;

	for (s = 0; s < 2; s++)
		for (i = 0; i < d->s[s].n; i++)
			if (d->s[s].src[i].type == SEP_SOURCE)
				shep_source_trigger(d->s[s].src[i].rfd,
						   d->s[s].src[i].rfd, 0, 0, 0,
						   0, 0);
}
