// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests for the per-user limit and EPOLLWAKEUP:
 *
 *  - max_user_watches → ENOSPC (epoll-semantics §4.5): both limits (the sysctl
 *    fs.epoll.max_user_watches and the module parameter max_user_watches)
 *    are set to the same value, the same script of ctl calls runs on each
 *    side in turn (each side alone, from zero registrations) and the two
 *    transcripts of return values and errnos must be identical.  The script
 *    covers the check order around ENOSPC (EEXIST, EBADF, EPERM, EINVAL and
 *    ELOOP still win), MOD and DEL at the limit, registrations spread over
 *    several instances, nested instances counting as watches, and the
 *    count going down when a watched file is closed, when an instance is
 *    closed and when the limit is lowered below the current count.
 *
 *  - EPOLLWAKEUP (epoll-semantics §4.2): kept with CAP_BLOCK_SUSPEND, silently
 *    stripped without it, on ADD and on MOD; compared through the fdinfo
 *    "tfd:" lines of a real epoll and a shadow instance watching the same
 *    file, and through the events a wait returns.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

#define SYSCTL_PATH	"/proc/sys/fs/epoll/max_user_watches"
#define PARAM_PATH	"/sys/module/shadow_epoll/parameters/max_user_watches"

/* ------------------------------------------------------------------ */
/* The limits. */

static int read_long(const char *path, long *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%ld", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int write_long(const char *path, long v)
{
	char s[32];
	int fd, len, r;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(s, sizeof(s), "%ld\n", v);
	r = write(fd, s, len) == len ? 0 : -1;
	close(fd);
	return r;
}

/* Set the limit of both sides (the module parameter only with the module). */
static int set_limit(long v)
{
	if (write_long(SYSCTL_PATH, v))
		return -1;
	if (sep_shadow_is_device() && write_long(PARAM_PATH, v))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* A transcript: what every call of a script returned on one side. */

#define MAX_CALLS	96

struct transcript {
	int n;
	int ret[MAX_CALLS];
	int err[MAX_CALLS];
	const char *what[MAX_CALLS];
};

static int rec(struct transcript *t, const char *what, int r)
{
	if (t->n < MAX_CALLS) {
		t->what[t->n] = what;
		t->ret[t->n] = r;
		t->err[t->n] = r < 0 ? errno : 0;
		t->n++;
	}
	return r;
}

#define REC(expr)	rec(t, #expr, (expr))

/* 0 when the two transcripts are identical, else the differences printed. */
static int cmp_transcripts(const struct transcript *a,
			   const struct transcript *b)
{
	int i, diffs = 0;

	if (a->n != b->n) {
		fprintf(stderr, "# transcripts differ in length: %d vs %d\n",
			a->n, b->n);
		return -1;
	}
	for (i = 0; i < a->n; i++) {
		if (a->ret[i] == b->ret[i] && a->err[i] == b->err[i])
			continue;
		fprintf(stderr, "# call %d %s: in-tree %d (%s), shadow %d (%s)\n",
			i, a->what[i], a->ret[i], strerror(a->err[i]),
			b->ret[i], strerror(b->err[i]));
		diffs++;
	}
	return diffs ? -1 : 0;
}

static int count_ok(const struct transcript *t)
{
	int i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->ret[i] >= 0;
	return n;
}

static int count_errno(const struct transcript *t, int e)
{
	int i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->ret[i] < 0 && t->err[i] == e;
	return n;
}

#define NFILES	12

struct script_env {
	const struct sep_backend *b;
	int ep[3];
	int efd[NFILES];
	int reg;	/* memfd: not pollable */
};

static int env_open(struct script_env *e, const struct sep_backend *b)
{
	int i;

	e->b = b;
	for (i = 0; i < 3; i++) {
		e->ep[i] = b->create(EPOLL_CLOEXEC);
		if (e->ep[i] < 0)
			return -1;
	}
	for (i = 0; i < NFILES; i++) {
		e->efd[i] = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		if (e->efd[i] < 0)
			return -1;
	}
	e->reg = memfd_create("sep_limits", MFD_CLOEXEC);
	return e->reg < 0 ? -1 : 0;
}

static void env_close(struct script_env *e)
{
	int i;

	for (i = 0; i < 3; i++)
		if (e->ep[i] >= 0)
			e->b->close(e->ep[i]);
	for (i = 0; i < NFILES; i++)
		if (e->efd[i] >= 0)
			close(e->efd[i]);
	close(e->reg);
}

static int add(struct script_env *e, int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)fd };

	return e->b->ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(struct script_env *e, int ep, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = ~(uint64_t)fd };

	return e->b->ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static int del(struct script_env *e, int ep, int fd)
{
	return e->b->ctl(ep, EPOLL_CTL_DEL, fd, NULL);
}

/* Close a file of the script (a watched eventfd or an instance). */
static int close_efd(struct script_env *e, int i)
{
	int r = close(e->efd[i]);

	e->efd[i] = -1;
	return r;
}

static int close_ep(struct script_env *e, int i)
{
	int r = e->b->close(e->ep[i]);

	e->ep[i] = -1;
	return r;
}

/* Wait on an instance; the events are compared through the count only. */
static int wait0(struct script_env *e, int ep)
{
	struct epoll_event buf[NFILES + 4];

	return e->b->wait(ep, buf, NFILES + 4, 0);
}

/* Limit 6 spread over three instances; the check order around ENOSPC. */
static void script_fill(struct script_env *e, struct transcript *t)
{
	int *ep = e->ep, *f = e->efd;

	REC(add(e, ep[0], f[0], EPOLLIN));
	REC(add(e, ep[0], f[1], EPOLLIN | EPOLLET));
	REC(add(e, ep[0], f[2], EPOLLIN | EPOLLONESHOT));
	REC(add(e, ep[0], f[3], EPOLLOUT));
	REC(add(e, ep[1], f[4], EPOLLIN));
	REC(add(e, ep[1], f[5], EPOLLIN | EPOLLEXCLUSIVE));
	/* at the limit */
	REC(add(e, ep[0], f[6], EPOLLIN));
	REC(add(e, ep[1], f[6], EPOLLIN));
	REC(add(e, ep[2], f[6], EPOLLIN | EPOLLEXCLUSIVE));
	REC(add(e, ep[2], ep[0], EPOLLIN));
	/* checks that come before the insert */
	REC(add(e, ep[0], f[0], EPOLLIN));			/* EEXIST */
	REC(add(e, ep[0], 777, EPOLLIN));			/* EBADF */
	REC(add(e, ep[0], e->reg, EPOLLIN));			/* EPERM */
	REC(add(e, ep[0], ep[0], EPOLLIN));			/* EINVAL */
	REC(add(e, ep[0], f[7], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT));
	REC(mod(e, ep[0], f[7], EPOLLIN));			/* ENOENT */
	/* MOD, wait and DEL at the limit */
	REC(mod(e, ep[0], f[0], EPOLLIN | EPOLLET));
	REC(wait0(e, ep[0]));
	REC(wait0(e, ep[1]));
	REC(del(e, ep[0], f[1]));
	REC(add(e, ep[2], f[6], EPOLLIN));			/* fits again */
	REC(add(e, ep[2], f[7], EPOLLIN));
	/* a nested instance is a watch; ELOOP is checked first */
	REC(del(e, ep[0], f[2]));
	REC(add(e, ep[1], ep[0], EPOLLIN));
	REC(add(e, ep[0], ep[1], EPOLLIN));			/* ELOOP */
	REC(add(e, ep[2], ep[1], EPOLLIN));
	/* closing a watched file gives its registration back */
	REC(close_efd(e, 3));
	REC(add(e, ep[2], ep[1], EPOLLIN));
	REC(add(e, ep[2], f[8], EPOLLIN));
	/* closing an instance gives all of its registrations back */
	REC(close_ep(e, 1));	/* f4, f5, ep0 */
	REC(add(e, ep[2], f[8], EPOLLIN));
	REC(add(e, ep[2], f[9], EPOLLIN));
	REC(add(e, ep[0], f[10], EPOLLIN));
	REC(add(e, ep[0], f[11], EPOLLIN));
	REC(wait0(e, ep[2]));
	REC(add(e, ep[0], f[1], EPOLLIN));
}

/* Limit 0: nothing fits; every other error still wins. */
static void script_zero(struct script_env *e, struct transcript *t)
{
	int *ep = e->ep, *f = e->efd;

	REC(add(e, ep[0], f[0], EPOLLIN));
	REC(add(e, ep[0], ep[1], EPOLLIN));
	REC(add(e, ep[0], 777, EPOLLIN));
	REC(add(e, ep[0], e->reg, EPOLLIN));
	REC(add(e, ep[0], ep[0], EPOLLIN));
	REC(mod(e, ep[0], f[0], EPOLLIN));
	REC(del(e, ep[0], f[0]));
	REC(wait0(e, ep[0]));
}

/* The limit lowered below the current count, then raised again. */
static void script_lowered(struct script_env *e, struct transcript *t)
{
	int *ep = e->ep, *f = e->efd;
	int i;

	for (i = 0; i < 5; i++)
		REC(add(e, ep[0], f[i], EPOLLIN));
	REC(set_limit(3));
	REC(add(e, ep[0], f[5], EPOLLIN));			/* 5 >= 3 */
	REC(mod(e, ep[0], f[0], EPOLLOUT));
	REC(wait0(e, ep[0]));
	REC(del(e, ep[0], f[0]));
	REC(add(e, ep[0], f[5], EPOLLIN));			/* 4 >= 3 */
	REC(del(e, ep[0], f[1]));
	REC(add(e, ep[0], f[5], EPOLLIN));			/* 3 >= 3 */
	REC(del(e, ep[0], f[2]));
	REC(add(e, ep[0], f[5], EPOLLIN));			/* fits */
	REC(add(e, ep[0], f[6], EPOLLIN));
	REC(set_limit(8));
	for (i = 6; i < NFILES; i++)				/* 5 of 6 fit */
		REC(add(e, ep[1], f[i], EPOLLIN));
	REC(wait0(e, ep[1]));
}

typedef void (*script_fn)(struct script_env *e, struct transcript *t);

/* Run a script on one side with the limit set first; -1 on setup errors. */
static int run_side(const struct sep_backend *b, long limit, script_fn fn,
		    struct transcript *t)
{
	struct script_env e;
	int r = -1;

	memset(t, 0, sizeof(*t));
	memset(&e, 0xff, sizeof(e));
	if (set_limit(limit))
		return -1;
	if (!env_open(&e, b)) {
		fn(&e, t);
		r = 0;
	}
	env_close(&e);
	return r;
}

FIXTURE(limits) {
	long sysctl, param;
	bool have_param;
	struct transcript t[2];
};

FIXTURE_SETUP(limits)
{
	if (geteuid() != 0 || access(SYSCTL_PATH, W_OK))
		SKIP(return, "needs root to set %s", SYSCTL_PATH);
	ASSERT_EQ(0, read_long(SYSCTL_PATH, &self->sysctl));
	self->have_param = sep_shadow_is_device();
	if (self->have_param)
		ASSERT_EQ(0, read_long(PARAM_PATH, &self->param));
}

FIXTURE_TEARDOWN(limits)
{
	if (geteuid() != 0 || access(SYSCTL_PATH, W_OK))
		return;
	write_long(SYSCTL_PATH, self->sysctl);
	if (self->have_param)
		write_long(PARAM_PATH, self->param);
}

/* Both sides, one after the other, then the transcripts compared. */
static int run_both(struct transcript *t, long limit, script_fn fn)
{
	if (run_side(sep_real(), limit, fn, &t[0]))
		return -1;
	if (run_side(sep_shadow(), limit, fn, &t[1]))
		return -1;
	return cmp_transcripts(&t[0], &t[1]);
}

TEST_F(limits, enospc_fill_and_order)
{
	ASSERT_EQ(0, run_both(self->t, 6, script_fill));
	/* epoll-semantics §4.5 on the in-tree side: the script hits the limit 8 times */
	EXPECT_EQ(8, count_errno(&self->t[0], ENOSPC));
	EXPECT_EQ(1, count_errno(&self->t[0], ELOOP));
	EXPECT_EQ(1, count_errno(&self->t[0], EEXIST));
	EXPECT_EQ(1, count_errno(&self->t[0], EBADF));
	EXPECT_EQ(1, count_errno(&self->t[0], EPERM));
}

TEST_F(limits, enospc_zero)
{
	ASSERT_EQ(0, run_both(self->t, 0, script_zero));
	EXPECT_EQ(2, count_errno(&self->t[0], ENOSPC));
	EXPECT_EQ(1, count_ok(&self->t[0]));	/* the empty wait */
}

TEST_F(limits, enospc_lowered_limit)
{
	ASSERT_EQ(0, run_both(self->t, 100, script_lowered));
	EXPECT_EQ(5, count_errno(&self->t[0], ENOSPC));
}

/* The watches of one side are counted per user, across processes. */
static void script_children(struct script_env *e, struct transcript *t)
{
	int i, st;
	pid_t pid;

	for (i = 0; i < 3; i++)
		REC(add(e, e->ep[0], e->efd[i], EPOLLIN));
	pid = fork();
	if (pid == 0) {
		/* 3 of 5 are used: the child's fresh instance gets 2 */
		int ep = e->b->create(0), n = 0;

		for (i = 3; i < 6; i++)
			n += add(e, ep, e->efd[i], EPOLLIN) == 0;
		_exit(ep < 0 ? 100 : n);
	}
	REC(pid > 0 ? 0 : -1);
	REC(waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* the child's exit gave its 2 back */
	REC(add(e, e->ep[1], e->efd[6], EPOLLIN));
	REC(add(e, e->ep[1], e->efd[7], EPOLLIN));
	REC(add(e, e->ep[1], e->efd[8], EPOLLIN));
}

TEST_F(limits, enospc_per_user_across_processes)
{
	ASSERT_EQ(0, run_both(self->t, 5, script_children));
	EXPECT_EQ(2, self->t[0].ret[4]);		/* the child's count */
	EXPECT_EQ(1, count_errno(&self->t[0], ENOSPC));
}

/* ------------------------------------------------------------------ */
/* EPOLLWAKEUP: one real epoll and one shadow instance, one shared file. */

#define CAP_BIT(c)	(1u << ((c) & 31))

/* Drop CAP_BLOCK_SUSPEND from the effective set of this (test) process. */
static int drop_block_suspend(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_BLOCK_SUSPEND / 32].effective &= ~CAP_BIT(CAP_BLOCK_SUSPEND);
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

static bool have_block_suspend(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_BLOCK_SUSPEND / 32].effective & CAP_BIT(CAP_BLOCK_SUSPEND);
}

FIXTURE(wakeup) {
	const struct sep_backend *b[2];
	int ep[2];
	int efd[3];
};

FIXTURE_SETUP(wakeup)
{
	int s, i;

	self->b[0] = sep_real();
	self->b[1] = sep_shadow();
	for (s = 0; s < 2; s++) {
		self->ep[s] = self->b[s]->create(EPOLL_CLOEXEC);
		ASSERT_LE(0, self->ep[s]);
	}
	for (i = 0; i < 3; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(wakeup)
{
	int i;

	for (i = 0; i < 2; i++)
		self->b[i]->close(self->ep[i]);
	for (i = 0; i < 3; i++)
		close(self->efd[i]);
}

/* ctl on both; same result, and (ret 0) identical fdinfo tfd lines. */
static int ctl_both(struct __test_metadata *_metadata,
		    FIXTURE_DATA(wakeup) *self, int op, int i, uint32_t events)
{
	char a[4096], b[4096];
	int r[2], e[2], s;

	for (s = 0; s < 2; s++) {
		struct epoll_event ev = {
			.events = events,
			.data.u64 = 0x3a3a000000000000ull | events,
		};

		errno = 0;
		r[s] = self->b[s]->ctl(self->ep[s], op, self->efd[i], &ev);
		e[s] = errno;
	}
	EXPECT_EQ(0, sep_cmp_result("ctl", r[0], e[0], r[1], e[1]));
	EXPECT_LE(0, sep_fdinfo_tfd(self->ep[0], a, sizeof(a)));
	EXPECT_LE(0, sep_fdinfo_tfd(self->ep[1], b, sizeof(b)));
	EXPECT_STREQ(a, b);
	return r[0];
}

/* The stored mask of the real epoll's registration of efd[i] (fdinfo). */
static int real_events(FIXTURE_DATA(wakeup) *self, int i, uint32_t *events)
{
	char buf[4096], *p;
	int tfd;

	if (sep_fdinfo_tfd(self->ep[0], buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (sscanf(p, "tfd: %d events: %x", &tfd, events) == 2 &&
		    tfd == self->efd[i])
			return 0;
	return -1;
}

/* Signal, then wait on both: identical returns and event bytes. */
static void wait_both(struct __test_metadata *_metadata,
		      FIXTURE_DATA(wakeup) *self, int i)
{
	struct epoll_event out[2][4];
	int r[2], e[2], s;

	ASSERT_EQ(8, write(self->efd[i], &(uint64_t){ 1 }, 8));
	memset(out, 0xa5, sizeof(out));
	for (s = 0; s < 2; s++) {
		errno = 0;
		r[s] = self->b[s]->wait(self->ep[s], out[s], 4, 0);
		e[s] = errno;
	}
	EXPECT_EQ(0, sep_cmp_result("wait", r[0], e[0], r[1], e[1]));
	EXPECT_EQ(0, sep_cmp_bytes("events", out[0], out[1], sizeof(out[0])));
}

#define ALWAYS	((uint32_t)(EPOLLERR | EPOLLHUP))

/*
 * What the in-tree side keeps of EPOLLWAKEUP with CAP_BLOCK_SUSPEND: the bit
 * without CONFIG_PM_SLEEP (whose /sys/power/wakeup_count tells) is always
 * stripped, as on the debug kernel.
 */
static uint32_t kept_wakeup(void)
{
	return access("/sys/power/wakeup_count", F_OK) ? 0 : EPOLLWAKEUP;
}

TEST_F(wakeup, kept_with_cap_block_suspend)
{
	uint32_t ev;

	if (!have_block_suspend())
		SKIP(return, "needs CAP_BLOCK_SUSPEND");
	ASSERT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 0,
			      EPOLLIN | EPOLLWAKEUP));
	ASSERT_EQ(0, real_events(self, 0, &ev));
	/* stored with CONFIG_PM_SLEEP (Debian), stripped without */
	EXPECT_EQ(EPOLLIN | ALWAYS | kept_wakeup(), ev);
	wait_both(_metadata, self, 0);
	/* ET and EXCLUSIVE may carry it too */
	EXPECT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 1,
			      EPOLLIN | EPOLLET | EPOLLWAKEUP));
	EXPECT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 2,
			      EPOLLIN | EPOLLEXCLUSIVE | EPOLLWAKEUP));
	wait_both(_metadata, self, 1);
	wait_both(_metadata, self, 2);
}

TEST_F(wakeup, mod_sets_and_clears)
{
	uint32_t ev;

	if (!have_block_suspend())
		SKIP(return, "needs CAP_BLOCK_SUSPEND");
	ASSERT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 0, EPOLLIN));
	ASSERT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_MOD, 0,
			      EPOLLIN | EPOLLWAKEUP | EPOLLONESHOT));
	ASSERT_EQ(0, real_events(self, 0, &ev));
	EXPECT_EQ(EPOLLIN | ALWAYS | kept_wakeup() | EPOLLONESHOT, ev);
	wait_both(_metadata, self, 0);
	/* the ONESHOT disarm keeps only the private bits */
	ASSERT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_MOD, 0, EPOLLOUT));
	ASSERT_EQ(0, real_events(self, 0, &ev));
	EXPECT_EQ(EPOLLOUT | ALWAYS, ev);
	/* EXCLUSIVE items refuse MOD, with or without the bit */
	EXPECT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 1,
			      EPOLLIN | EPOLLEXCLUSIVE));
	EXPECT_EQ(-1, ctl_both(_metadata, self, EPOLL_CTL_MOD, 1,
			       EPOLLIN | EPOLLWAKEUP));
}

TEST_F(wakeup, stripped_without_cap_block_suspend)
{
	uint32_t ev;

	if (have_block_suspend())
		ASSERT_EQ(0, drop_block_suspend());
	ASSERT_FALSE(have_block_suspend());
	ASSERT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 0,
			      EPOLLIN | EPOLLWAKEUP));
	ASSERT_EQ(0, real_events(self, 0, &ev));
	EXPECT_EQ(EPOLLIN | ALWAYS, ev);
	wait_both(_metadata, self, 0);
	ASSERT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_MOD, 0,
			      EPOLLIN | EPOLLET | EPOLLWAKEUP));
	ASSERT_EQ(0, real_events(self, 0, &ev));
	EXPECT_EQ(EPOLLIN | EPOLLET | ALWAYS, ev);
	wait_both(_metadata, self, 0);
	/* stripping happens before the EXCLUSIVE check: still accepted */
	EXPECT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 1,
			      EPOLLIN | EPOLLEXCLUSIVE | EPOLLWAKEUP));
	EXPECT_EQ(0, ctl_both(_metadata, self, EPOLL_CTL_ADD, 2,
			      EPOLLWAKEUP));
	ASSERT_EQ(0, real_events(self, 2, &ev));
	EXPECT_EQ(ALWAYS, ev);
}

SEP_REQUIRE_SHADOW_MAIN
