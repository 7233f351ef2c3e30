// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: every errno path of create, ctl and wait/pwait/pwait2,
 * and the order of the checks.  Each call runs on in-tree epoll and on the
 * shadow (each with its own files); results must be identical.  Where the
 * spec documents the result, it is also asserted on the in-tree side
 * (following the running kernel's version where the order changed in 6.15).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

#define ANY	0x7fff0000	/* do not assert a spec value */
#define BADFD	777
#define BADPTR	((void *)1)
#define KPTR	((void *)0xffff888000000000ull)

struct world {
	const struct sep_backend *b;
	int ep;		/* an instance of this side */
	int ep2;	/* another instance of this side */
	int efd;	/* an eventfd (also: "not an epoll" epfd) */
	int reg;	/* a regular file (memfd): not pollable */
	int opath;	/* O_PATH fd */
	int dir;	/* a directory */
};

FIXTURE(err) {
	struct world w[2];
	struct epoll_event ev;
	struct epoll_event buf[8];
};

FIXTURE_SETUP(err)
{
	int s;

	for (s = 0; s < 2; s++) {
		struct world *w = &self->w[s];

		w->b = s ? sep_shadow() : sep_real();
		w->ep = w->b->create(0);
		ASSERT_LE(0, w->ep);
		w->ep2 = w->b->create(0);
		ASSERT_LE(0, w->ep2);
		w->efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, w->efd);
		w->reg = memfd_create("sep_regular", MFD_CLOEXEC);
		ASSERT_LE(0, w->reg);
		w->opath = open("/", O_PATH | O_CLOEXEC);
		ASSERT_LE(0, w->opath);
		w->dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ASSERT_LE(0, w->dir);
	}
	self->ev.events = EPOLLIN;
	self->ev.data.u64 = 0x1122334455667788ull;
	ASSERT_EQ(-1, fcntl(BADFD, F_GETFD));	/* BADFD is not open */
}

FIXTURE_TEARDOWN(err)
{
	int s;

	for (s = 0; s < 2; s++) {
		close(self->w[s].ep);
		close(self->w[s].ep2);
		close(self->w[s].efd);
		close(self->w[s].reg);
		close(self->w[s].opath);
		close(self->w[s].dir);
	}
}

/*
 * Evaluate expr on both sides (b = backend, w = world of that side), compare
 * return value and errno, and assert the documented value on the in-tree side.
 */
#define BOTH(want_r, want_e, expr) do {					\
	int _r[2], _e[2], _s;						\
	for (_s = 0; _s < 2; _s++) {					\
		const struct sep_backend *b = self->w[_s].b;		\
		struct world *w = &self->w[_s];				\
		(void)b; (void)w;					\
		errno = 0;						\
		_r[_s] = (expr);					\
		_e[_s] = errno;						\
	}								\
	EXPECT_EQ(0, sep_cmp_result(#expr, _r[0], _e[0], _r[1], _e[1])); \
	if ((want_r) != ANY) {						\
		EXPECT_EQ(want_r, _r[0]);				\
		if ((want_r) < 0)					\
			EXPECT_EQ(want_e, _e[0]) TH_LOG("%s", strerror(_e[0])); \
	}								\
} while (0)

static struct epoll_event big_buf[4];

#define EV (&self->ev)
#define BUF (self->buf)

/* ---- epoll_create1 ---- */

TEST_F(err, create_flags)
{
	BOTH(-1, EINVAL, b->create(O_NONBLOCK));
	BOTH(-1, EINVAL, b->create(-1));
	BOTH(-1, EINVAL, b->create(1));
	BOTH(-1, EINVAL, b->create(EPOLL_CLOEXEC | O_NONBLOCK));
	BOTH(-1, EINVAL, b->create(O_RDWR));
}

TEST_F(err, create_cloexec)
{
	int fd[2][2], s;

	for (s = 0; s < 2; s++) {
		fd[s][0] = self->w[s].b->create(0);
		fd[s][1] = self->w[s].b->create(EPOLL_CLOEXEC);
		ASSERT_LE(0, fd[s][0]);
		ASSERT_LE(0, fd[s][1]);
	}
	EXPECT_EQ(0, fcntl(fd[0][0], F_GETFD));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd[0][1], F_GETFD));
	EXPECT_EQ(fcntl(fd[0][0], F_GETFD), fcntl(fd[1][0], F_GETFD));
	EXPECT_EQ(fcntl(fd[0][1], F_GETFD), fcntl(fd[1][1], F_GETFD));
	/* Both are O_RDWR files. */
	EXPECT_EQ(fcntl(fd[0][0], F_GETFL) & O_ACCMODE,
		  fcntl(fd[1][0], F_GETFL) & O_ACCMODE);
	for (s = 0; s < 2; s++) {
		close(fd[s][0]);
		close(fd[s][1]);
	}
}

/* read/write on an instance fail as on an epoll fd; lseek is a no-op. */
TEST_F(err, instance_file_ops)
{
	char c[8] = { 0 };

	BOTH(-1, EINVAL, (int)read(w->ep, c, sizeof(c)));
	BOTH(-1, EINVAL, (int)write(w->ep, c, sizeof(c)));
	BOTH(0, 0, (int)lseek(w->ep, 0, SEEK_SET));
}

/* ---- epoll_ctl ---- */

TEST_F(err, ctl_bad_epfd)
{
	BOTH(-1, EBADF, b->ctl(-1, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, EBADF, b->ctl(BADFD, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, EBADF, b->ctl(w->opath, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, EBADF, b->ctl(BADFD, EPOLL_CTL_DEL, w->efd, NULL));
}

TEST_F(err, ctl_bad_fd)
{
	BOTH(-1, EBADF, b->ctl(w->ep, EPOLL_CTL_ADD, -1, EV));
	BOTH(-1, EBADF, b->ctl(w->ep, EPOLL_CTL_ADD, BADFD, EV));
	BOTH(-1, EBADF, b->ctl(w->ep, EPOLL_CTL_ADD, w->opath, EV));
	BOTH(-1, EBADF, b->ctl(w->ep, EPOLL_CTL_MOD, BADFD, EV));
	BOTH(-1, EBADF, b->ctl(w->ep, EPOLL_CTL_DEL, BADFD, NULL));
	/* epfd checked before fd */
	BOTH(-1, EBADF, b->ctl(BADFD, EPOLL_CTL_ADD, w->reg, EV));
}

TEST_F(err, ctl_unpollable)
{
	BOTH(-1, EPERM, b->ctl(w->ep, EPOLL_CTL_ADD, w->reg, EV));
	BOTH(-1, EPERM, b->ctl(w->ep, EPOLL_CTL_ADD, w->dir, EV));
	BOTH(-1, EPERM, b->ctl(w->ep, EPOLL_CTL_DEL, w->reg, NULL));
	BOTH(-1, EPERM, b->ctl(w->ep, EPOLL_CTL_MOD, w->reg, EV));
	/* EPERM comes before "epfd is not an epoll" */
	BOTH(-1, EPERM, b->ctl(w->efd, EPOLL_CTL_ADD, w->reg, EV));
}

TEST_F(err, ctl_bad_op)
{
	BOTH(-1, EINVAL, b->ctl(w->ep, 99, w->efd, EV));
	BOTH(-1, EINVAL, b->ctl(w->ep, 0, w->efd, EV));
	BOTH(-1, EINVAL, b->ctl(w->ep, -1, w->efd, EV));
	/* a bad op still "has an event": copied first */
	BOTH(-1, EFAULT, b->ctl(w->ep, 99, w->efd, BADPTR));
	BOTH(-1, EFAULT, b->ctl(BADFD, 99, BADFD, BADPTR));
	BOTH(-1, EBADF, b->ctl(w->ep, 99, BADFD, EV));
	BOTH(-1, EPERM, b->ctl(w->ep, 99, w->reg, EV));
	/* a bad op on a registered fd */
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, EINVAL, b->ctl(w->ep, 4, w->efd, EV));
}

/* epfd is not an instance: EINVAL (the shadow: not a shadow instance). */
TEST_F(err, ctl_epfd_not_epoll)
{
	BOTH(-1, EINVAL, b->ctl(w->efd, EPOLL_CTL_ADD, w->ep2, EV));
	BOTH(-1, EINVAL, b->ctl(w->efd, EPOLL_CTL_DEL, w->ep2, NULL));
	BOTH(-1, EINVAL, b->ctl(w->dir, EPOLL_CTL_ADD, w->efd, EV));
}

/* The other side's kind of instance is not an instance of this kind. */
TEST_F(err, ctl_epfd_other_kind)
{
	int r0, e0, r1, e1;

	if (!sep_shadow_is_device())
		SKIP(return, "needs the module (the fake has one kind)");
	errno = 0;
	r0 = self->w[0].b->ctl(self->w[1].ep, EPOLL_CTL_ADD, self->w[0].efd, EV);
	e0 = errno;
	errno = 0;
	r1 = self->w[1].b->ctl(self->w[0].ep, EPOLL_CTL_ADD, self->w[1].efd, EV);
	e1 = errno;
	EXPECT_EQ(-1, r0);
	EXPECT_EQ(EINVAL, e0);
	EXPECT_EQ(0, sep_cmp_result("ctl on other kind", r0, e0, r1, e1));
}

TEST_F(err, ctl_self_add)
{
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_ADD, w->ep, EV));
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_DEL, w->ep, NULL));
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_MOD, w->ep, EV));
}

TEST_F(err, ctl_eexist_enoent)
{
	BOTH(-1, ENOENT, b->ctl(w->ep, EPOLL_CTL_MOD, w->efd, EV));
	BOTH(-1, ENOENT, b->ctl(w->ep, EPOLL_CTL_DEL, w->efd, NULL));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, EEXIST, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_MOD, w->efd, EV));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_DEL, w->efd, NULL));
	BOTH(-1, ENOENT, b->ctl(w->ep, EPOLL_CTL_DEL, w->efd, NULL));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
}

/* A dup is a different key: ADD works, MOD/DEL need the same number. */
TEST_F(err, ctl_dup_key)
{
	int d[2], s;

	for (s = 0; s < 2; s++)
		d[s] = dup(self->w[s].efd);
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, ENOENT, b->ctl(w->ep, EPOLL_CTL_MOD, d[_s], EV));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, d[_s], EV));
	BOTH(2, 0, b->wait(w->ep, BUF, 8, 0));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_DEL, d[_s], NULL));
	BOTH(1, 0, b->wait(w->ep, BUF, 8, 0));
	for (s = 0; s < 2; s++)
		close(d[s]);
}

TEST_F(err, ctl_efault)
{
	BOTH(-1, EFAULT, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, NULL));
	BOTH(-1, EFAULT, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, BADPTR));
	BOTH(-1, EFAULT, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, KPTR));
	BOTH(-1, EFAULT, b->ctl(w->ep, EPOLL_CTL_MOD, w->efd, NULL));
	/* EFAULT before EBADF */
	BOTH(-1, EFAULT, b->ctl(-1, EPOLL_CTL_ADD, -1, NULL));
	BOTH(-1, EFAULT, b->ctl(BADFD, EPOLL_CTL_MOD, BADFD, BADPTR));
	/* DEL ignores the pointer */
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_DEL, w->efd, BADPTR));
	BOTH(-1, ENOENT, b->ctl(w->ep, EPOLL_CTL_DEL, w->efd, NULL));
	BOTH(-1, EBADF, b->ctl(BADFD, EPOLL_CTL_DEL, w->efd, BADPTR));
}

TEST_F(err, ctl_exclusive)
{
	struct epoll_event x = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct epoll_event xo = { .events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT };
	struct epoll_event xr = { .events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP };
	struct epoll_event xp = { .events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI };
	struct epoll_event xe = { .events = EPOLLIN | EPOLLOUT | EPOLLERR |
				  EPOLLHUP | EPOLLET | EPOLLEXCLUSIVE };

	/* MOD with EXCLUSIVE: EINVAL before the lookup (not ENOENT) */
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_MOD, w->efd, &x));
	/* EXCLUSIVE on an epoll target */
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_ADD, w->ep2, &x));
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, &xo));
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, &xr));
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, &xp));
	/* EXCLUSIVE checks come after EBADF/EPERM */
	BOTH(-1, EBADF, b->ctl(w->ep, EPOLL_CTL_MOD, BADFD, &x));
	BOTH(-1, EPERM, b->ctl(w->ep, EPOLL_CTL_ADD, w->reg, &xo));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, &xe));
	/* an exclusive item can never be modified, even without the flag */
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_MOD, w->efd, EV));
	BOTH(-1, EINVAL, b->ctl(w->ep, EPOLL_CTL_MOD, w->efd, &x));
	BOTH(-1, EEXIST, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, &x));
	BOTH(1, 0, b->wait(w->ep, BUF, 8, 0));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_DEL, w->efd, NULL));
}

/* Unknown event bits are accepted; the events reported are the same. */
TEST_F(err, ctl_unknown_bits)
{
	struct epoll_event all = { .events = 0xefffffffu & ~EPOLLEXCLUSIVE };
	struct epoll_event out[2][4];
	int r[2], e[2], s;

	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, &all));
	memset(out, 0xa5, sizeof(out));
	for (s = 0; s < 2; s++) {
		errno = 0;
		r[s] = self->w[s].b->wait(self->w[s].ep, out[s], 4, 0);
		e[s] = errno;
	}
	EXPECT_EQ(1, r[0]);
	EXPECT_EQ(0, sep_cmp_result("wait", r[0], e[0], r[1], e[1]));
	EXPECT_EQ(0, sep_cmp_bytes("events", out[0], out[1], sizeof(out[0])));
}

/* ---- epoll_wait ---- */

TEST_F(err, wait_maxevents)
{
	BOTH(-1, EINVAL, b->wait(w->ep, BUF, 0, 0));
	BOTH(-1, EINVAL, b->wait(w->ep, BUF, -1, 0));
	BOTH(-1, EINVAL, b->wait(w->ep, BUF, SEP_EP_MAX_EVENTS + 1, 0));
	BOTH(-1, EINVAL, b->wait(w->ep, BUF, 0x7fffffff, 0));
	/* the largest valid value, nothing ready (a low .bss buffer, so the
	 * 2 GiB range stays below the top of the user address space) */
	BOTH(0, 0, b->wait(w->ep, big_buf, SEP_EP_MAX_EVENTS, 0));
	EXPECT_EQ(178956970, SEP_EP_MAX_EVENTS);
}

TEST_F(err, wait_bad_epfd)
{
	BOTH(-1, EBADF, b->wait(-1, BUF, 1, 0));
	BOTH(-1, EBADF, b->wait(BADFD, BUF, 1, 0));
	BOTH(-1, EBADF, b->wait(w->opath, BUF, 1, 0));
	BOTH(-1, EINVAL, b->wait(w->efd, BUF, 1, 0));
	BOTH(-1, EINVAL, b->wait(w->dir, BUF, 1, 0));
}

/* The order of the checks changed in 6.15 (EBADF first). */
TEST_F(err, wait_check_order)
{
	bool ml = sep_wait_ebadf_first();

	BOTH(-1, ml ? EBADF : EINVAL, b->wait(BADFD, BUF, 0, 0));
	BOTH(-1, ml ? EBADF : EINVAL, b->wait(-1, BUF, -1, 0));
	BOTH(-1, ml ? EBADF : EFAULT, b->wait(BADFD, KPTR, 1, 0));
	BOTH(-1, EINVAL, b->wait(w->efd, BUF, 0, 0));
	BOTH(-1, EFAULT, b->wait(w->efd, KPTR, 1, 0));
	BOTH(-1, EINVAL, b->wait(w->ep, KPTR, 0, 0));
	BOTH(-1, EINVAL, b->wait(w->efd, KPTR, 0, 0));
}

TEST_F(err, wait_buffers)
{
	/* kernel address: EFAULT up front, even with nothing ready */
	BOTH(-1, EFAULT, b->wait(w->ep, KPTR, 1, 0));
	/* NULL / unmapped user address: fine while nothing is ready */
	BOTH(0, 0, b->wait(w->ep, NULL, 1, 0));
	BOTH(0, 0, b->wait(w->ep, BADPTR, 4, 0));
	BOTH(0, 0, b->ctl(w->ep, EPOLL_CTL_ADD, w->efd, EV));
	BOTH(-1, EFAULT, b->wait(w->ep, NULL, 1, 0));
	BOTH(-1, EFAULT, b->wait(w->ep, BADPTR, 4, 0));
	BOTH(1, 0, b->wait(w->ep, BUF, 4, 0));
}

TEST_F(err, pwait_sigmask)
{
	sigset_t set;

	sigemptyset(&set);
	BOTH(-1, EINVAL, b->pwait(w->ep, BUF, 1, 0, &set, 4));
	BOTH(-1, EINVAL, b->pwait(w->ep, BUF, 1, 0, &set, 16));
	BOTH(-1, EINVAL, b->pwait(w->ep, BUF, 1, 0, &set, 0));
	BOTH(-1, EFAULT, b->pwait(w->ep, BUF, 1, 0, BADPTR, SEP_SIGSETSIZE));
	BOTH(-1, EFAULT, b->pwait(w->ep, BUF, 1, 0, KPTR, SEP_SIGSETSIZE));
	/* sigsetsize is ignored without a mask */
	BOTH(0, 0, b->pwait(w->ep, BUF, 1, 0, NULL, 4));
	BOTH(0, 0, b->pwait(w->ep, BUF, 1, 0, &set, SEP_SIGSETSIZE));
	/* the sigmask is checked before epfd and maxevents */
	BOTH(-1, EINVAL, b->pwait(BADFD, BUF, 0, 0, &set, 4));
	BOTH(-1, EFAULT, b->pwait(BADFD, BUF, 0, 0, BADPTR, SEP_SIGSETSIZE));
	BOTH(-1, EBADF, b->pwait(BADFD, BUF, 1, 0, &set, SEP_SIGSETSIZE));
}

TEST_F(err, pwait2_timespec)
{
	struct timespec big = { .tv_sec = 0, .tv_nsec = 1000000000 };
	struct timespec negs = { .tv_sec = -1, .tv_nsec = 0 };
	struct timespec negn = { .tv_sec = 0, .tv_nsec = -1 };
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	BOTH(-1, EINVAL, b->pwait2(w->ep, BUF, 1, &big, NULL, 0));
	BOTH(-1, EINVAL, b->pwait2(w->ep, BUF, 1, &negs, NULL, 0));
	BOTH(-1, EINVAL, b->pwait2(w->ep, BUF, 1, &negn, NULL, 0));
	BOTH(-1, EFAULT, b->pwait2(w->ep, BUF, 1, BADPTR, NULL, 0));
	BOTH(-1, EFAULT, b->pwait2(w->ep, BUF, 1, KPTR, NULL, 0));
	BOTH(0, 0, b->pwait2(w->ep, BUF, 1, &zero, NULL, 0));
	/* timespec first, then sigmask, then the wait checks */
	BOTH(-1, EFAULT, b->pwait2(BADFD, BUF, 0, BADPTR, &set, 4));
	BOTH(-1, EINVAL, b->pwait2(BADFD, BUF, 0, &big, BADPTR, SEP_SIGSETSIZE));
	BOTH(-1, EINVAL, b->pwait2(BADFD, BUF, 0, &zero, &set, 4));
	BOTH(-1, EFAULT, b->pwait2(BADFD, BUF, 0, &zero, BADPTR, SEP_SIGSETSIZE));
	BOTH(-1, sep_wait_ebadf_first() ? EBADF : EINVAL,
	     b->pwait2(BADFD, BUF, 0, &zero, &set, SEP_SIGSETSIZE));
	BOTH(-1, EINVAL, b->pwait2(w->efd, BUF, 1, &zero, &set, SEP_SIGSETSIZE));
	BOTH(0, 0, b->pwait2(w->ep, BUF, 1, &zero, &set, SEP_SIGSETSIZE));
}

/* ---- ioctls on the instance fd: EPIOCSPARAMS / EPIOCGPARAMS (epoll-semantics §9) ---- */

/* Debian 12's userspace headers predate them (6.9). */
struct sep_epoll_params {
	uint32_t busy_poll_usecs;
	uint16_t busy_poll_budget;
	uint8_t prefer_busy_poll;
	uint8_t pad;
};

#define SEP_EPIOCSPARAMS	_IOW(0x8A, 0x01, struct sep_epoll_params)
#define SEP_EPIOCGPARAMS	_IOR(0x8A, 0x02, struct sep_epoll_params)

static int set_params(int ep, uint32_t usecs, uint16_t budget, uint8_t prefer,
		      uint8_t pad)
{
	struct sep_epoll_params p = {
		.busy_poll_usecs = usecs, .busy_poll_budget = budget,
		.prefer_busy_poll = prefer, .pad = pad,
	};

	return ioctl(ep, SEP_EPIOCSPARAMS, &p);
}

/* EPIOCGPARAMS as a value to compare: the bytes folded, or -errno. */
static long long get_params(int ep)
{
	struct sep_epoll_params p;

	memset(&p, 0xa5, sizeof(p));
	if (ioctl(ep, SEP_EPIOCGPARAMS, &p))
		return -errno;
	return ((long long)p.busy_poll_usecs << 32) |
	       ((long long)p.busy_poll_budget << 16) |
	       (p.prefer_busy_poll << 8) | p.pad;
}

/* The errno of an epoll-fd ioctl: ENOTTY before 6.9 (no epoll ioctl). */
#define NEW(e)	(sep_kver() >= 609 ? (e) : ENOTTY)

TEST_F(err, epioc_params)
{
	long long g[2];
	int s;

	/* 6.1: ENOTTY for all; 6.9+: the checks of epoll-semantics §9 (results as is) */
	BOTH(ANY, 0, set_params(w->ep, 10, 8, 1, 0));
	for (s = 0; s < 2; s++)
		g[s] = get_params(self->w[s].ep);
	EXPECT_EQ(g[0], g[1]);
	BOTH(-1, NEW(EINVAL), set_params(w->ep, 20, 8, 0, 1));	/* pad */
	BOTH(-1, NEW(EINVAL), set_params(w->ep, 0x80000000u, 8, 0, 0));
	BOTH(-1, NEW(EINVAL), set_params(w->ep, 20, 8, 2, 0));	/* prefer > 1 */
	BOTH(ANY, 0, set_params(w->ep, 20, 65, 1, 0));		/* budget > 64 */
	BOTH(ANY, 0, set_params(w->ep, 0, 0, 0, 0));
	for (s = 0; s < 2; s++)
		g[s] = get_params(self->w[s].ep);
	EXPECT_EQ(g[0], g[1]);
	BOTH(-1, NEW(EFAULT), ioctl(w->ep, SEP_EPIOCSPARAMS, NULL));
	BOTH(-1, NEW(EFAULT), ioctl(w->ep, SEP_EPIOCGPARAMS, NULL));
	BOTH(-1, NEW(EFAULT), ioctl(w->ep, SEP_EPIOCGPARAMS, KPTR));
	BOTH(-1, NEW(EINVAL),
	     ioctl(w->ep, _IOW(0x8A, 0x03, struct sep_epoll_params), NULL));
	/* not an epoll: the eventfd's own answer */
	BOTH(-1, ENOTTY, ioctl(w->efd, SEP_EPIOCGPARAMS, NULL));
	if (sep_kver() < 609) {
		errno = 0;
		EXPECT_EQ(-1, set_params(self->w[0].ep, 10, 8, 1, 0));
		EXPECT_EQ(ENOTTY, errno);
	}
}

/* ---- shadow-only ABI rules (uapi header), device backend only ---- */

struct big_create {
	struct shadow_epoll_create_args a;
	uint32_t extra;
};

TEST(abi_extensible_structs)
{
	struct big_create bc = { .a = { .size = sizeof(bc), .flags = 0 } };
	struct shadow_epoll_create_args ca = { .size = 0 };
	struct shadow_epoll_ctl_args ctl = { .size = 4 };
	int gw, fd;

	if (!sep_shadow_is_device())
		SKIP(return, "shadow ABI needs the module");
	gw = shep_gateway();
	ASSERT_LE(0, gw);
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &ca));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_CTL, &ctl));
	EXPECT_EQ(EINVAL, errno);
	/* larger with zero tail: accepted; non-zero tail: E2BIG */
	fd = ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &bc);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	bc.extra = 1;
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_CREATE, &bc));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_CREATE, BADPTR));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(gw, _IO(SHADOW_EPOLL_IOC_MAGIC, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST(abi_wait_flags_reserved)
{
	struct epoll_event ev[2];
	struct shadow_epoll_wait_args a;
	int gw, ep;

	if (!sep_shadow_is_device())
		SKIP(return, "shadow ABI needs the module");
	gw = shep_gateway();
	ep = sep_shadow()->create(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.epfd = ep;
	a.maxevents = 2;
	a.events = (uintptr_t)ev;
	EXPECT_EQ(0, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &a));
	a.flags = 1u << 7;
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.__reserved = 1;
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_WAIT, &a));
	EXPECT_EQ(EINVAL, errno);
	close(ep);
}

/* READY: count out may exceed the capacity; only capacity entries written. */
TEST(abi_ready_dump_capacity)
{
	struct shadow_epoll_ready_entry e[4];
	struct shadow_epoll_dump_args a;
	struct sep_src src[3];
	int gw, ep, i;

	if (!sep_shadow_is_device())
		SKIP(return, "shadow ABI needs the module");
	gw = shep_gateway();
	ep = sep_shadow()->create(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	for (i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
					  .data.u64 = sep_data(i) };

		ASSERT_EQ(0, sep_src_open(&src[i], SEP_EVENTFD));
		sep_src_signal(&src[i]);
		ASSERT_EQ(0, sep_shadow()->ctl(ep, EPOLL_CTL_ADD, src[i].rfd, &ev));
	}
	memset(e, 0xa5, sizeof(e));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.epfd = ep;
	a.count = 1;
	a.entries = (uintptr_t)e;
	EXPECT_EQ(0, ioctl(gw, SHADOW_EPOLL_IOC_READY, &a));
	EXPECT_EQ(3u, a.count);
	EXPECT_EQ(0u, a.flags);
	EXPECT_EQ(sep_data(0), e[0].data);
	EXPECT_EQ(src[0].rfd, e[0].fd);
	EXPECT_EQ((uint32_t)(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP), e[0].events);
	EXPECT_EQ((uint32_t)SHADOW_EPOLL_ENTRY_READY, e[0].flags);
	EXPECT_EQ(0xa5a5a5a5u, (uint32_t)e[1].fd);
	/* flags must be 0 on input */
	a.count = 4;
	a.flags = 1;
	EXPECT_EQ(-1, ioctl(gw, SHADOW_EPOLL_IOC_READY, &a));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < 3; i++)
		sep_src_close(&src[i]);
	close(ep);
}

SEP_REQUIRE_SHADOW_MAIN
