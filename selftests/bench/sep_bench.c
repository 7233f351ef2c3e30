// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_bench: in-tree epoll and /dev/shadow_epoll, measured in the same
 * process on the same boot, batches alternating between the two so that
 * noise (TCG, other VMs on the host) hits both sides alike.
 *
 *   (a) delivered events/s with N registered, K ready, maxevents M, LT/ET
 *   (b) EPOLL_CTL_ADD / MOD / DEL per second at each N
 *   (c) wakeup latency: write in one thread -> return from a blocked wait
 *       in another (median, p99)
 *   (d) the differential fuzzer's ops/s, if sep_fuzz sits next to us; it
 *       runs last, with the N registrations still open (so every close()
 *       it does also pays the module's __fput hook at that N)
 *       (SEP_FUZZ=path, SEP_FUZZ_ARGS="..." override; default -q -s 1 -n 20000)
 *   plus the per-call floor: a no-op ioctl, and CTL/WAIT that fail on their
 *   first check, against the same failing syscalls.
 *
 * Every ratio is shadow cost / in-tree cost per operation (> 1: the shadow
 * is slower).  It only prints numbers; nothing is asserted on timing.
 *
 *   sep_bench [-q] [-N n,n,...] [-K k,...] [-M m,...] [-r reps] [-t ms]
 *             [-l samples] [-d dups] [-F] [-L]
 *
 * Registrations beyond the K "hot" eventfds are dups of idle eventfds (the
 * key is (file, fd), so every dup is a distinct registration), -d dups per
 * idle file (default 64).  Run as root for N > RLIMIT_NOFILE: the program
 * raises fs.nr_open, RLIMIT_NOFILE, fs.epoll.max_user_watches and the
 * module's max_user_watches parameter itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/shadow_epoll.h>

#include "libshadow_epoll.h"
#include "shep_util.h"
#include "../reliability/sep_rel.h"

#define HOT_MAX		1024	/* largest K */
#define SPARE		1024	/* targets of the ctl benchmark */
#define MAX_LIST	16
#define MAX_CASES	512

/* ------------------------------------------------------------------ */
/* options */

static int quick;
static long n_list[MAX_LIST] = { 1024, 10000, 100000, 1000000 };
static int n_cnt = 4;
static long k_list[MAX_LIST] = { 1, 64, 1024 };
static int k_cnt = 3;
static long m_list[MAX_LIST] = { 1, 64, 1024 };
static int m_cnt = 3;
static int reps = 21;
static double batch_ms = 4;
static int lat_samples = 200;
static long dups_per_file = 64;
static int want_fuzz = -1;	/* -1: full mode only */
static int want_lat = 1;
static const char *sections = "lfdc";	/* latency floor deliver ctl */
static int use_median;

static int want(char c)
{
	return strchr(sections, c) != NULL;
}

/* ------------------------------------------------------------------ */
/* helpers */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sep_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double percentile(double *v, int n, double p)
{
	int i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (int)(p / 100.0 * n + 0.5) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* The smallest step of CLOCK_MONOTONIC seen here (ns). */
static double clock_step(void)
{
	uint64_t a, b, best = UINT64_MAX;
	int i;

	for (i = 0; i < 5; i++) {
		a = shep_now_ns();
		while ((b = shep_now_ns()) == a)
			;
		if (b - a < best)
			best = b - a;
	}
	return (double)best;
}

static int parse_list(const char *s, long *out)
{
	int n = 0;
	char *end;

	while (*s && n < MAX_LIST) {
		out[n] = strtol(s, &end, 10);
		if (end == s)
			die("bad list '%s'", s);
		if (*end == 'k' || *end == 'K') {
			out[n] *= 1000;
			end++;
		} else if (*end == 'm' || *end == 'M') {
			out[n] *= 1000000;
			end++;
		}
		n++;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static const char *human(long n, char *buf)
{
	if (n >= 1000000 && n % 1000000 == 0)
		sprintf(buf, "%ldM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		sprintf(buf, "%ldk", n / 1000);
	else
		sprintf(buf, "%ld", n);
	return buf;
}

/* ------------------------------------------------------------------ */
/* the two sides */

struct side {
	const char *name;
	struct rel_ep rel;	/* in-tree syscalls or libshadow_epoll */
	int ep;
	int hot[HOT_MAX];
	int spare[SPARE];
	int et;		/* current mode of the hot registrations */
};

static struct side sides[2];	/* [0] in-tree, [1] shadow */
static uint64_t t_start;

static void stamp(const char *what)
{
	printf("[%7.1f s] %s\n", (double)(shep_now_ns() - t_start) / 1e9, what);
}

static void xctl(const struct side *s, int ep, int op, int fd,
		 uint32_t events, uint64_t data)
{
	if (rel_ctl(&s->rel, ep, op, fd, events, data))
		die("%s: ctl op %d fd %d: %s", s->name, op, fd,
		    strerror(errno));
}

static struct epoll_event evbuf[HOT_MAX];

/* ------------------------------------------------------------------ */
/* results */

struct result {
	char name[64];
	char group[16];
	double intree, shadow;	/* ns per op (or ns) */
	const char *unit;
	double calls;		/* shadow ioctls per op (0: not adjusted) */
};

static struct result results[MAX_CASES];
static int nresults;

static struct result *add_result(const char *group, const char *name,
				 double intree, double shadow, const char *unit)
{
	struct result *r;

	if (nresults == MAX_CASES)
		return NULL;
	r = &results[nresults++];
	snprintf(r->group, sizeof(r->group), "%s", group);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->intree = intree;
	r->shadow = shadow;
	r->unit = unit;
	r->calls = 0;
	return r;
}

/*
 * Run @fn on both sides, @reps times each, alternating which side goes
 * first; @fn returns ns per op for one batch of @iters.  Returns medians.
 */
typedef double (*batch_fn)(struct side *s, long iters, void *ctx);

static long calibrate(batch_fn fn, void *ctx)
{
	long iters = 1;
	double per;

	/* Double until a batch takes ~1/8 of the target, then scale. */
	for (;;) {
		uint64_t t0 = shep_now_ns();

		fn(&sides[0], iters, ctx);
		per = (double)(shep_now_ns() - t0);
		if (per >= batch_ms * 1e6 / 8 || iters >= (1L << 24))
			break;
		iters *= 2;
	}
	iters = (long)(iters * (batch_ms * 1e6 / (per > 1 ? per : 1)));
	return iters < 1 ? 1 : iters;
}

static void run_both(batch_fn fn, void *ctx, long iters, double *intree,
		     double *shadow)
{
	double a[64], b[64];
	int i, n = reps > 64 ? 64 : reps;

	/* warm-up */
	fn(&sides[0], iters / 8 + 1, ctx);
	fn(&sides[1], iters / 8 + 1, ctx);
	for (i = 0; i < n; i++) {
		if (i & 1) {
			b[i] = fn(&sides[1], iters, ctx);
			a[i] = fn(&sides[0], iters, ctx);
		} else {
			a[i] = fn(&sides[0], iters, ctx);
			b[i] = fn(&sides[1], iters, ctx);
		}
	}
	*intree = use_median ? median(a, n) : percentile(a, n, 0);
	*shadow = use_median ? median(b, n) : percentile(b, n, 0);
}

/* ------------------------------------------------------------------ */
/* registrations */

static int *idle_fds;		/* all idle dups, both sides register them */
static long idle_n;
static long idle_cap;
static int idle_base = -1;
static long idle_base_dups;

static int new_eventfd(unsigned int init)
{
	int fd = eventfd(init, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		die("eventfd: %s", strerror(errno));
	return fd;
}

static int new_idle_fd(void)
{
	int fd;

	if (idle_base < 0 || idle_base_dups >= dups_per_file) {
		idle_base = new_eventfd(0);
		idle_base_dups = 1;
		return idle_base;
	}
	fd = dup(idle_base);
	if (fd < 0)
		die("dup (%ld fds): %s", idle_n, strerror(errno));
	idle_base_dups++;
	return fd;
}

/* Grow both sides to @n registrations (hot ones included). */
static void grow_to(long n)
{
	long want = n - HOT_MAX, i;
	int j;

	if (want <= idle_n)
		return;
	if (want > idle_cap) {
		idle_cap = want;
		idle_fds = realloc(idle_fds, idle_cap * sizeof(*idle_fds));
		if (!idle_fds)
			die("out of memory");
	}
	for (i = idle_n; i < want; i++) {
		idle_fds[i] = new_idle_fd();
		for (j = 0; j < 2; j++)
			xctl(&sides[j], sides[j].ep, EPOLL_CTL_ADD,
			     idle_fds[i], EPOLLIN, (uint64_t)i << 16);
	}
	idle_n = want;
}

static void raise_limits(long n)
{
	long need = n + 2 * (HOT_MAX + SPARE) + n / (dups_per_file ? dups_per_file : 1) + 256;
	struct rlimit rl;

	if (shep_read_long("/proc/sys/fs/nr_open") < need)
		shep_write_long("/proc/sys/fs/nr_open", need);
	rl.rlim_cur = rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (shep_read_long("/proc/sys/fs/epoll/max_user_watches") < 4 * n)
		shep_write_long("/proc/sys/fs/epoll/max_user_watches", 4 * n);
	if (shep_read_long("/sys/module/shadow_epoll/parameters/max_user_watches") < 4 * n)
		shep_write_long("/sys/module/shadow_epoll/parameters/max_user_watches", 4 * n);
}

/* ------------------------------------------------------------------ */
/* (a) delivery */

struct dctx {
	int k, m, et;
	long events;	/* delivered in the last batch */
};

static void drain_eventfd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		die("eventfd write: %s", strerror(errno));
}

/* Put side @s in the state "exactly hot[0..k-1] queued, mode @et". */
static void prepare(struct side *s, int k, int et)
{
	int i, n, guard;

	if (s->et != et) {
		for (i = 0; i < HOT_MAX; i++)
			xctl(s, s->ep, EPOLL_CTL_MOD, s->hot[i],
			     EPOLLIN | (et ? EPOLLET : 0), i);
		s->et = et;
	}
	for (i = 0; i < HOT_MAX; i++)
		drain_eventfd(s->hot[i]);
	/* Stale queued items re-poll to 0 and are dropped. */
	for (guard = 0; guard < 64; guard++) {
		n = rel_wait(&s->rel, s->ep, evbuf, HOT_MAX, 0);
		if (n <= 0)
			break;
	}
	for (i = 0; i < k; i++)
		kick(s->hot[i]);
}

static double deliver_batch(struct side *s, long iters, void *ctx)
{
	struct dctx *c = ctx;
	long events = 0, r;
	uint64_t t0;
	int i, n, got;

	t0 = shep_now_ns();
	for (r = 0; r < iters; r++) {
		if (!c->et) {
			n = rel_wait(&s->rel, s->ep, evbuf, c->m, 0);
			if (n > 0)
				events += n;
			continue;
		}
		/* ET: re-arm every ready item, then drain them all. */
		for (i = 0; i < c->k; i++)
			kick(s->hot[i]);
		for (got = 0; got < c->k; got += n) {
			n = rel_wait(&s->rel, s->ep, evbuf, c->m, 0);
			if (n <= 0)
				break;
		}
		events += got;
	}
	c->events = events;
	return events ? (double)(shep_now_ns() - t0) / events : 0;
}

static void print_deliver_header(void)
{
	printf("\n%-30s %12s %12s %10s %10s %7s\n", "delivery case",
	       "in-tree ns/ev", "shadow ns/ev", "in-tree Mev/s", "shadow Mev/s",
	       "ratio");
}

static void bench_deliver(long n, int k, int m, int et)
{
	struct dctx c = { .k = k, .m = m, .et = et };
	struct result *r;
	double it, sh;
	char name[64], b1[16], b2[16], b3[16];
	long iters, ev_it, ev_sh;

	prepare(&sides[0], k, et);
	prepare(&sides[1], k, et);
	iters = calibrate(deliver_batch, &c);
	run_both(deliver_batch, &c, iters, &it, &sh);

	/* Same state, one batch each: the event counts must agree. */
	deliver_batch(&sides[0], 4, &c);
	ev_it = c.events;
	deliver_batch(&sides[1], 4, &c);
	ev_sh = c.events;

	snprintf(name, sizeof(name), "deliver/N=%s/K=%s/M=%s/%s",
		 human(n, b1), human(k, b2), human(m, b3), et ? "ET" : "LT");
	r = add_result("deliver", name, it, sh, "ns/ev");
	/* LT: every wait returns min(K, M); ET: ceil(K / M) waits per K. */
	if (r)
		r->calls = et ? (double)((k + m - 1) / m) / k :
				1.0 / (k < m ? k : m);
	printf("%-30s %12.0f %12.0f %10.3f %10.3f %7.2f%s\n", name + 8, it, sh,
	       it > 0 ? 1e3 / it : 0, sh > 0 ? 1e3 / sh : 0,
	       it > 0 ? sh / it : 0,
	       ev_it != ev_sh ? "  (event counts differ!)" : "");
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* (b) ctl */

enum { OP_ADD, OP_MOD, OP_DEL };

struct cctx {
	double per[3];
};

/* One batch: ADD, MOD, DEL all SPARE targets @iters times. */
static double ctl_batch(struct side *s, long iters, void *ctx)
{
	struct cctx *c = ctx;
	uint64_t t[4], sum[3] = { 0, 0, 0 };
	long r;
	int i;

	for (r = 0; r < iters; r++) {
		t[0] = shep_now_ns();
		for (i = 0; i < SPARE; i++)
			xctl(s, s->ep, EPOLL_CTL_ADD, s->spare[i], EPOLLIN, i);
		t[1] = shep_now_ns();
		for (i = 0; i < SPARE; i++)
			xctl(s, s->ep, EPOLL_CTL_MOD, s->spare[i],
			     EPOLLIN | EPOLLOUT, i);
		t[2] = shep_now_ns();
		for (i = 0; i < SPARE; i++)
			xctl(s, s->ep, EPOLL_CTL_DEL, s->spare[i], 0, 0);
		t[3] = shep_now_ns();
		for (i = 0; i < 3; i++)
			sum[i] += t[i + 1] - t[i];
	}
	for (i = 0; i < 3; i++)
		c->per[i] = (double)sum[i] / (iters * SPARE);
	return (double)(sum[0] + sum[1] + sum[2]) / (iters * SPARE * 3);
}

/*
 * Not a comparison: the cost of creating and closing an unwatched eventfd.
 * The module's final-fput hook runs on every file release in the system,
 * so this shows whether that hook's cost grows with N.
 */
static void bench_fput(long n)
{
	double best = 0, per;
	uint64_t t0;
	int i, r, fd;
	char b1[16], name[64];

	for (r = 0; r < reps; r++) {
		t0 = shep_now_ns();
		for (i = 0; i < 1000; i++) {
			fd = eventfd(0, EFD_CLOEXEC);
			if (fd < 0)
				die("eventfd: %s", strerror(errno));
			close(fd);
		}
		per = (double)(shep_now_ns() - t0) / 1000;
		if (!r || per < best)
			best = per;
	}
	snprintf(name, sizeof(name), "fput/N=%s", human(n, b1));
	printf("%-30s %12.0f ns per eventfd()+close() (both sides: the __fput hook is global)\n",
	       name, best);
}

static void bench_ctl(long n)
{
	static const char *const names[3] = { "add", "mod", "del" };
	double a[3][64], b[3][64];
	struct cctx c;
	int i, j, nr = reps > 64 ? 64 : reps;
	char name[64], b1[16];
	long iters;

	iters = calibrate(ctl_batch, &c);
	ctl_batch(&sides[1], 1, &c);
	for (i = 0; i < nr; i++) {
		for (j = 0; j < 2; j++) {
			struct side *s = &sides[(i + j) & 1];

			ctl_batch(s, iters, &c);
			if (!s->rel.kernel) {
				b[0][i] = c.per[0];
				b[1][i] = c.per[1];
				b[2][i] = c.per[2];
			} else {
				a[0][i] = c.per[0];
				a[1][i] = c.per[1];
				a[2][i] = c.per[2];
			}
		}
	}
	for (j = 0; j < 3; j++) {
		double it = use_median ? median(a[j], nr) : percentile(a[j], nr, 0);
		double sh = use_median ? median(b[j], nr) : percentile(b[j], nr, 0);
		struct result *r;

		snprintf(name, sizeof(name), "ctl-%s/N=%s", names[j],
			 human(n, b1));
		r = add_result("ctl", name, it, sh, "ns/op");
		if (r)
			r->calls = 1;
		printf("%-30s %12.0f %12.0f %10.3f %10.3f %7.2f\n", name, it,
		       sh, 1e3 / it, 1e3 / sh, sh / it);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* per-call floor: what any ioctl-based call costs before real work */

struct fctx {
	int what;	/* 0 no-op ioctl, 1 ctl EBADF, 2 wait EINVAL */
	int fd;		/* an eventfd */
};

static double floor_batch(struct side *s, long iters, void *ctx)
{
	struct fctx *c = ctx;
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t t0 = shep_now_ns();
	long r;

	for (r = 0; r < iters; r++) {
		switch (c->what) {
		case 0:
			/* Unknown command: the ioctl path and nothing else. */
			ioctl(s->ep, _IO(SHADOW_EPOLL_IOC_MAGIC, 0x7f), 0);
			break;
		case 1:
			/* Fails at the first fd lookup, after the copies. */
			rel_ctl(&s->rel, -1, EPOLL_CTL_ADD, c->fd, ev.events, 0);
			break;
		case 2:
			/* maxevents 0: EINVAL after the argument copy. */
			rel_wait(&s->rel, s->ep, evbuf, 0, 0);
			break;
		}
	}
	return (double)(shep_now_ns() - t0) / iters;
}

/*
 * The shadow's failing CTL and WAIT, raw: libshadow_epoll checks its
 * gateway (one fstat) after EBADF and EINVAL, a cost of the library's
 * recovery, not of the ioctl ABI that the floor measures.
 */
static double shadow_floor_batch(struct side *s, long iters, void *ctx)
{
	struct fctx *c = ctx;
	struct shadow_epoll_ctl_args a;
	struct shadow_epoll_wait_args w;
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t t0 = shep_now_ns();
	long r;

	if (!!s->rel.kernel || c->what == 0)
		return floor_batch(s, iters, ctx);
	for (r = 0; r < iters; r++) {
		if (c->what == 1) {
			a.size = sizeof(a);
			a.epfd = -1;
			a.op = EPOLL_CTL_ADD;
			a.fd = c->fd;
			a.event = (uintptr_t)&ev;
			ioctl(s->ep, SHADOW_EPOLL_IOC_CTL, &a);
		} else {
			memset(&w, 0, sizeof(w));
			w.size = sizeof(w);
			w.epfd = s->ep;
			w.events = (uintptr_t)evbuf;
			ioctl(s->ep, SHADOW_EPOLL_IOC_WAIT, &w);
		}
	}
	return (double)(shep_now_ns() - t0) / iters;
}

static void bench_floor(void)
{
	static const char *const names[3] = {
		"floor-noop-ioctl", "floor-ctl-ebadf", "floor-wait-einval"
	};
	struct fctx c = { .fd = new_eventfd(0) };
	double it, sh;
	long iters;

	printf("\n%-30s %12s %12s %10s %10s %7s\n", "per-call floor",
	       "in-tree ns", "shadow ns", "", "", "ratio");
	for (c.what = 0; c.what < 3; c.what++) {
		batch_fn fn = shadow_floor_batch;

		iters = calibrate(fn, &c);
		run_both(fn, &c, iters, &it, &sh);
		add_result("floor", names[c.what], it, sh, "ns/call");
		printf("%-30s %12.0f %12.0f %10s %10s %7.2f\n", names[c.what],
		       it, sh, "", "", sh / it);
	}
	close(c.fd);
	fflush(stdout);
}

static const struct result *find_result(const char *name)
{
	int i;

	for (i = 0; i < nresults; i++)
		if (!strcmp(results[i].name, name))
			return &results[i];
	return NULL;
}

/*
 * The ratios again with the per-call floor taken out of the shadow's cost:
 * what an ioctl (plus its argument struct) costs beyond the matching
 * syscall, measured above with calls that fail at their first check.  The
 * floor is a property of the ioctl ABI, not of the implementation; this
 * shows what is left.
 */
static void print_net_of_floor(void)
{
	const struct result *fw = find_result("floor-wait-einval");
	const struct result *fc = find_result("floor-ctl-ebadf");
	double worst_d = 0, worst_c = 0, floor, net;
	int i;

	if (!fw || !fc)
		return;
	printf("bench: floor per call: wait %+.0f ns, ctl %+.0f ns (ioctl path and argument copy, over the syscall)\n",
	       fw->shadow - fw->intree, fc->shadow - fc->intree);
	for (i = 0; i < nresults; i++) {
		const struct result *r = &results[i];
		int deliver = !strcmp(r->group, "deliver");

		if (r->calls <= 0 || r->intree <= 0)
			continue;
		floor = deliver ? fw->shadow - fw->intree : fc->shadow - fc->intree;
		net = (r->shadow - floor * r->calls) / r->intree;
		printf("bench: net-of-floor %s shadow/in-tree = %.2f\n", r->name,
		       net);
		if (deliver && net > worst_d)
			worst_d = net;
		if (!deliver && net > worst_c)
			worst_c = net;
	}
	printf("bench: worst net-of-floor delivery ratio %.2f, ctl ratio %.2f\n",
	       worst_d, worst_c);
}

/* ------------------------------------------------------------------ */
/* (c) wakeup latency */

struct lat {
	int ep[2], efd[2];
	int side;	/* side the waiter blocks on next */
	int quit;
	int cmd;		/* eventfd: "go" */
	pid_t tid;
	uint64_t t0;
	uint64_t t1;
	int done;
	int donefd;		/* eventfd: "returned" (same-CPU mode) */
	int cpu;		/* -1: threads float; else both pinned here */
};

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *lat_waiter(void *arg)
{
	struct lat *l = arg;
	struct epoll_event ev;
	uint64_t v;
	int n;

	pin_to(l->cpu);
	__atomic_store_n(&l->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (;;) {
		while (read(l->cmd, &v, sizeof(v)) != sizeof(v))
			;
		if (l->quit)
			break;
		n = rel_wait(&sides[l->side].rel, l->ep[l->side], &ev, 1, -1);
		l->t1 = shep_now_ns();
		if (n != 1)
			die("latency wait returned %d: %s", n, strerror(errno));
		drain_eventfd(l->efd[l->side]);
		__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
		if (l->cpu >= 0)
			kick(l->donefd);
	}
	return NULL;
}

/* Is the waiter blocked in the wait call of side @shadow? */
static int waiter_blocked(pid_t tid, int shadow)
{
	char path[64], buf[128];
	long nr;
	int fd, len;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	len = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	if (!strncmp(buf, "running", 7))
		return 0;
	nr = strtol(buf, NULL, 10);
	if (shadow)
		return nr == SYS_ioctl;
	return nr == SYS_epoll_wait || nr == SYS_epoll_pwait
#ifdef SYS_epoll_pwait2
	       || nr == SYS_epoll_pwait2
#endif
		;
}

static void bench_latency(int cpu)
{
	struct lat l = { .cpu = cpu };
	pthread_t th;
	double *v[2], it50, sh50, it99, sh99;
	char n50[32], n99[32];
	int i, j, n[2] = { 0, 0 }, spins, fallback = 0;
	uint64_t one = 1;

	for (j = 0; j < 2; j++) {
		v[j] = calloc(lat_samples, sizeof(double));
		l.ep[j] = rel_create(&sides[j].rel);
		l.efd[j] = new_eventfd(0);
		if (!v[j] || l.ep[j] < 0)
			die("latency setup: %s", strerror(errno));
		xctl(&sides[j], l.ep[j], EPOLL_CTL_ADD, l.efd[j], EPOLLIN, 1);
	}
	l.cmd = eventfd(0, EFD_CLOEXEC);
	l.donefd = eventfd(0, EFD_CLOEXEC);
	pin_to(cpu);
	if (pthread_create(&th, NULL, lat_waiter, &l))
		die("pthread_create");
	while (!__atomic_load_n(&l.tid, __ATOMIC_ACQUIRE))
		usleep(100);

	for (i = 0; i < 2 * lat_samples; i++) {
		j = (i ^ (i >> 1)) & 1;	/* s i i s s i i s ... */
		l.side = j;
		l.done = 0;
		if (write(l.cmd, &one, sizeof(one)) != sizeof(one))
			die("cmd write");
		/* Wait until it really sleeps in the wait call. */
		for (spins = 0;; spins++) {
			int b = fallback ? 0 : waiter_blocked(l.tid, j);

			if (b > 0)
				break;
			if (b < 0 || spins > 20000) {
				fallback = 1;
				usleep(2000);
				break;
			}
			if (spins > 50)
				usleep(50);
		}
		l.t0 = shep_now_ns();
		if (write(l.efd[j], &one, sizeof(one)) != sizeof(one))
			die("eventfd write");
		if (cpu >= 0) {
			uint64_t v;

			/* One CPU: block, so the waiter can run. */
			while (read(l.donefd, &v, sizeof(v)) != sizeof(v))
				;
		}
		while (!__atomic_load_n(&l.done, __ATOMIC_ACQUIRE))
			;
		if (i >= 4 && n[j] < lat_samples)	/* first two: warm-up */
			v[j][n[j]++] = (double)(l.t1 - l.t0);
	}
	l.quit = 1;
	if (write(l.cmd, &one, sizeof(one)) != sizeof(one))
		die("cmd write");
	pthread_join(th, NULL);

	it50 = percentile(v[0], n[0], 50);
	it99 = percentile(v[0], n[0], 99);
	sh50 = percentile(v[1], n[1], 50);
	sh99 = percentile(v[1], n[1], 99);
	snprintf(n50, sizeof(n50), "wakeup-%s-p50", cpu >= 0 ? "samecpu" : "crosscpu");
	snprintf(n99, sizeof(n99), "wakeup-%s-p99", cpu >= 0 ? "samecpu" : "crosscpu");
	printf("\n%-30s %12s %12s %10s %10s %7s\n",
	       cpu >= 0 ? "wakeup latency, both on CPU 0" :
			  "wakeup latency, threads float",
	       "in-tree us", "shadow us", "", "", "ratio");
	printf("%-30s %12.1f %12.1f %10s %10s %7.2f\n", n50, it50 / 1e3,
	       sh50 / 1e3, "", "", sh50 / it50);
	printf("%-30s %12.1f %12.1f %10s %10s %7.2f\n", n99, it99 / 1e3,
	       sh99 / 1e3, "", "", sh99 / it99);
	if (fallback)
		printf("  (no /proc/.../syscall: waited 2 ms per sample instead)\n");
	printf("  (%d samples per side, alternating)\n", n[0]);
	add_result("wakeup", n50, it50, sh50, "ns");
	add_result("wakeup", n99, it99, sh99, "ns");
	for (j = 0; j < 2; j++) {
		close(l.ep[j]);
		close(l.efd[j]);
		free(v[j]);
	}
	close(l.cmd);
	close(l.donefd);
	if (cpu >= 0) {
		cpu_set_t all;

		CPU_ZERO(&all);
		for (i = 0; i < CPU_SETSIZE && i < sysconf(_SC_NPROCESSORS_ONLN); i++)
			CPU_SET(i, &all);
		sched_setaffinity(0, sizeof(all), &all);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* (d) the fuzzer's ops/s */

static void bench_fuzz(const char *argv0)
{
	char path[PATH_MAX], cmd[PATH_MAX + 256], line[512], *p;
	const char *dir_end = strrchr(argv0, '/');
	const char *env = getenv("SEP_FUZZ");
	const char *args = getenv("SEP_FUZZ_ARGS");
	double ops = -1;
	FILE *f;
	int st;

	if (env)
		snprintf(path, sizeof(path), "%s", env);
	else if (dir_end)
		snprintf(path, sizeof(path), "%.*s/sep_fuzz",
			 (int)(dir_end - argv0), argv0);
	else
		snprintf(path, sizeof(path), "./sep_fuzz");
	printf("\nfuzzer: ");
	if (access(path, X_OK)) {
		printf("%s not found, skipped (set SEP_FUZZ=path)\n", path);
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", path,
		 args ? args : "-q -s 1 -n 20000");
	printf("running %s\n", cmd);
	fflush(stdout);
	f = popen(cmd, "r");
	if (!f) {
		printf("  popen failed: %s\n", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		printf("  | %s", line);
		p = strstr(line, "ops/s");
		if (p) {
			/* the number right before "ops/s" (or after "ops/s[:=]") */
			char *q = p;

			while (q > line && (q[-1] == ' ' || q[-1] == '='))
				q--;
			while (q > line && (strchr("0123456789.eE+-", q[-1])))
				q--;
			if (q < p && strtod(q, NULL) > 0)
				ops = strtod(q, NULL);
			else if (strpbrk(p + 5, "0123456789"))
				ops = strtod(strpbrk(p + 5, "0123456789"), NULL);
		}
	}
	st = pclose(f);
	printf("  exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (ops >= 0)
		printf("bench: fuzz ops/s = %.0f\n", ops);
	else
		printf("bench: fuzz ops/s = unknown (no \"ops/s\" in its output)\n");
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: sep_bench [-q] [-N n,...] [-K k,...] [-M m,...] [-r reps]\n"
		"                 [-t batch_ms] [-l latency_samples] [-d dups_per_file]\n"
		"                 [-F] [-L]\n"
		"  -q  quick smoke run (a few seconds)   -F  run sep_fuzz even with -q\n"
		"  -L  skip the latency test             sizes accept k/M suffixes\n"
		"  -S  sections to run, default lfdc: l latency, f per-call floor,\n"
		"      d delivery, c ctl                 -m  median of reps (default: best)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct utsname u;
	long maxn = 0;
	int opt, i, j, ni, ki, mi, et;
	double worst_deliver = 0, worst_ctl = 0;
	char b1[16], b2[16];

	while ((opt = getopt(argc, argv, "qN:K:M:r:t:l:d:FLS:mh")) != -1) {
		switch (opt) {
		case 'q':
			quick = 1;
			n_list[0] = 1024;
			n_cnt = 1;
			k_list[0] = 1;
			k_list[1] = 64;
			k_cnt = 2;
			m_list[0] = 1;
			m_list[1] = 64;
			m_cnt = 2;
			reps = 5;
			batch_ms = 2;
			lat_samples = 20;
			break;
		case 'N':
			n_cnt = parse_list(optarg, n_list);
			break;
		case 'K':
			k_cnt = parse_list(optarg, k_list);
			break;
		case 'M':
			m_cnt = parse_list(optarg, m_list);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 't':
			batch_ms = atof(optarg);
			break;
		case 'l':
			lat_samples = atoi(optarg);
			break;
		case 'd':
			dups_per_file = atol(optarg);
			break;
		case 'F':
			want_fuzz = 1;
			break;
		case 'L':
			want_lat = 0;
			break;
		case 'S':
			sections = optarg;
			break;
		case 'm':
			use_median = 1;
			break;
		default:
			usage();
		}
	}
	if (reps < 1 || lat_samples < 1 || batch_ms <= 0 || dups_per_file < 1)
		usage();
	for (i = 0; i < k_cnt; i++)
		if (k_list[i] < 1 || k_list[i] > HOT_MAX)
			die("K must be 1..%d", HOT_MAX);
	for (i = 0; i < m_cnt; i++)
		if (m_list[i] < 1 || m_list[i] > HOT_MAX)
			die("M must be 1..%d", HOT_MAX);
	for (i = 0; i < n_cnt; i++) {
		if (n_list[i] < HOT_MAX)
			die("N must be >= %d (the hot set)", HOT_MAX);
		if (n_list[i] > maxn)
			maxn = n_list[i];
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = shep_now_ns();
	uname(&u);
	printf("sep_bench: kernel %s, %ld CPUs, %s mode, %d reps x %.0f ms batches, alternating, %s of reps\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), quick ? "quick" : "full",
	       reps, batch_ms, use_median ? "median" : "best");
	printf("ratio = shadow / in-tree cost per op (> 1: the shadow is slower)\n");

	if (shep_gateway() < 0) {
		printf("sep_bench: %s: %s; skipped\n", shep_device_path(),
		       strerror(errno));
		return 4;	/* KSFT_SKIP */
	}
	raise_limits(maxn);
	{
		double step = clock_step();

		/* A coarse clock (jiffies on some debug kernels): longer batches. */
		if (step > 1000 && batch_ms < step * 200 / 1e6) {
			batch_ms = step * 200 / 1e6;
			printf("clock step %.0f us: batches raised to %.0f ms\n",
			       step / 1e3, batch_ms);
		}
	}

	sides[0].name = "in-tree";
	sides[0].rel.kernel = true;
	sides[1].name = "shadow";
	for (j = 0; j < 2; j++) {
		sides[j].ep = rel_create(&sides[j].rel);
		if (sides[j].ep < 0)
			die("%s: create: %s", sides[j].name, strerror(errno));
	}

	/* (c) first, while the process is single-threaded afterwards again */
	if (want_lat && want('l')) {
		bench_latency(0);
		bench_latency(-1);
		stamp("latency done");
	}
	if (want('f')) {
		bench_floor();
		stamp("floor done");
	}

	for (j = 0; j < 2; j++) {
		for (i = 0; i < HOT_MAX; i++) {
			sides[j].hot[i] = new_eventfd(0);
			xctl(&sides[j], sides[j].ep, EPOLL_CTL_ADD,
			     sides[j].hot[i], EPOLLIN, i);
		}
		for (i = 0; i < SPARE; i++)
			sides[j].spare[i] = new_eventfd(0);
	}

	for (ni = 0; ni < n_cnt; ni++) {
		uint64_t t0 = shep_now_ns();

		grow_to(n_list[ni]);
		printf("\n== N = %s registrations per side (%ld idle dups of %ld idle eventfds; setup %.1f s)\n",
		       human(n_list[ni], b1), idle_n,
		       (idle_n + dups_per_file - 1) / dups_per_file,
		       (double)(shep_now_ns() - t0) / 1e9);
		if (want('d'))
			print_deliver_header();
		for (et = 0; et < 2 && want('d'); et++)
			for (ki = 0; ki < k_cnt; ki++)
				for (mi = 0; mi < m_cnt; mi++)
					bench_deliver(n_list[ni], (int)k_list[ki],
						      (int)m_list[mi], et);
		if (want('c')) {
			printf("\n%-30s %12s %12s %10s %10s %7s\n",
			       "ctl (1024 eventfds)", "in-tree ns/op",
			       "shadow ns/op", "in-tree Mop/s", "shadow Mop/s",
			       "ratio");
			bench_ctl(n_list[ni]);
			bench_fput(n_list[ni]);
		}
		stamp("N done");
	}

	if (want_fuzz > 0 || (want_fuzz < 0 && !quick))
		bench_fuzz(argv[0]);

	printf("\n");
	for (i = 0; i < nresults; i++) {
		struct result *r = &results[i];
		double ratio = r->intree > 0 ? r->shadow / r->intree : 0;

		if (ratio > 0)
			printf("bench: %s shadow/in-tree = %.2f\n", r->name, ratio);
		else
			printf("bench: %s shadow/in-tree = n/a (no time measured)\n",
			       r->name);
		if (!strcmp(r->group, "deliver") && ratio > worst_deliver)
			worst_deliver = ratio;
		if (!strcmp(r->group, "ctl") && ratio > worst_ctl)
			worst_ctl = ratio;
	}
	/* Growth with N at fixed K, M, mode: last N row over first N row. */
	if (n_cnt > 1 && want('d')) {
		int per_n = 2 * k_cnt * m_cnt, k, idx = 0, ng = 0;
		struct result *first[2 * MAX_LIST * MAX_LIST] = { NULL };
		double git[2 * MAX_LIST * MAX_LIST], gsh[2 * MAX_LIST * MAX_LIST];
		double wit = 0, wsh = 0;

		for (k = 0; k < nresults; k++) {
			struct result *r = &results[k];

			if (strcmp(r->group, "deliver"))
				continue;
			if (idx < per_n)
				first[idx] = r;
			else if (idx >= (n_cnt - 1) * per_n && first[idx % per_n]) {
				struct result *f = first[idx % per_n];

				git[ng] = r->intree / f->intree;
				gsh[ng] = r->shadow / f->shadow;
				if (git[ng] > wit)
					wit = git[ng];
				if (gsh[ng] > wsh)
					wsh = gsh[ng];
				ng++;
			}
			idx++;
		}
		if (ng)
			printf("bench: growth N=%s/N=%s per-event cost over %d cases: in-tree median %.2f worst %.2f, shadow median %.2f worst %.2f\n",
			       human(n_list[n_cnt - 1], b1), human(n_list[0], b2),
			       ng, median(git, ng), wit, median(gsh, ng), wsh);
	}
	print_net_of_floor();
	printf("bench: worst delivery ratio %.2f, worst ctl ratio %.2f\n",
	       worst_deliver, worst_ctl);
	return 0;
}
