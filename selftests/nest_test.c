// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: nesting.  The reference side is epoll-in-epoll; the
 * other side is shadow-in-epoll, epoll-in-shadow or shadow-in-shadow.  Also
 * poll() on an instance fd, cycles (ELOOP), the depth limit (chains of 5/6
 * instances, built both ways) and self-add.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sep_harness.h"
#include "sep_test.h"

#define NINNER 3

struct nside {
	const struct sep_backend *ob, *ib;	/* outer and inner kinds */
	int outer;
	int inner[NINNER];
	struct sep_src src[NINNER];		/* one source per inner */
	struct epoll_event buf[8];
};

FIXTURE(nest) {
	struct nside s[2];
	int diffs;
};

FIXTURE_VARIANT(nest) {
	bool outer_shadow;
	bool inner_shadow;
};

FIXTURE_VARIANT_ADD(nest, shadow_in_epoll) { .outer_shadow = false, .inner_shadow = true };
FIXTURE_VARIANT_ADD(nest, epoll_in_shadow) { .outer_shadow = true, .inner_shadow = false };
FIXTURE_VARIANT_ADD(nest, shadow_in_shadow) { .outer_shadow = true, .inner_shadow = true };

FIXTURE_SETUP(nest)
{
	int s, i;

	for (s = 0; s < 2; s++) {
		struct nside *n = &self->s[s];

		n->ob = s && variant->outer_shadow ? sep_shadow() : sep_real();
		n->ib = s && variant->inner_shadow ? sep_shadow() : sep_real();
		n->outer = n->ob->create(0);
		ASSERT_LE(0, n->outer);
		for (i = 0; i < NINNER; i++) {
			n->inner[i] = n->ib->create(0);
			ASSERT_LE(0, n->inner[i]);
			ASSERT_EQ(0, sep_src_open(&n->src[i], SEP_EVENTFD));
		}
	}
	self->diffs = 0;
}

FIXTURE_TEARDOWN(nest)
{
	int s, i;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < NINNER; i++) {
			close(self->s[s].inner[i]);
			sep_src_close(&self->s[s].src[i]);
		}
		close(self->s[s].outer);
	}
}

/* ctl on both sides; on_outer: into the outer (fd = inner i), else inner i. */
static int nctl(FIXTURE_DATA(nest) *self, bool on_outer, int op, int i,
		uint32_t events)
{
	int r[2], e[2], s;

	for (s = 0; s < 2; s++) {
		struct nside *n = &self->s[s];
		struct epoll_event ev = { .events = events };

		errno = 0;
		if (on_outer) {
			ev.data.u64 = sep_data(10 + i);
			r[s] = n->ob->ctl(n->outer, op, n->inner[i], &ev);
		} else {
			ev.data.u64 = sep_data(i);
			r[s] = n->ib->ctl(n->inner[i], op, n->src[i].rfd, &ev);
		}
		e[s] = errno;
	}
	if (sep_cmp_result(on_outer ? "outer ctl" : "inner ctl", r[0], e[0],
			   r[1], e[1])) {
		self->diffs++;
		return -1;
	}
	return r[0];
}

/* wait on the outer (or on inner i) on both sides and compare. */
static int nwait(FIXTURE_DATA(nest) *self, int which, int max, int *ret)
{
	int r[2], e[2], s;

	for (s = 0; s < 2; s++) {
		struct nside *n = &self->s[s];

		memset(n->buf, 0xa5, sizeof(n->buf));
		errno = 0;
		if (which < 0)
			r[s] = n->ob->wait(n->outer, n->buf, max, 0);
		else
			r[s] = n->ib->wait(n->inner[which], n->buf, max, 0);
		e[s] = errno;
	}
	if (ret)
		*ret = r[0];
	if (sep_cmp_result("nested wait", r[0], e[0], r[1], e[1]) ||
	    sep_cmp_bytes("nested wait", self->s[0].buf, self->s[1].buf,
			  sizeof(self->s[0].buf))) {
		self->diffs++;
		return -1;
	}
	return 0;
}

static void nsignal(FIXTURE_DATA(nest) *self, int i)
{
	sep_src_signal(&self->s[0].src[i]);
	sep_src_signal(&self->s[1].src[i]);
}

static void ndrain(FIXTURE_DATA(nest) *self, int i)
{
	sep_src_drain(&self->s[0].src[i]);
	sep_src_drain(&self->s[1].src[i]);
}

/* kselftest epoll17-20 shape: outer LT/ET over inner LT/ET, twice. */
TEST_F(nest, modes)
{
	static const uint32_t m[2] = { 0, EPOLLET };
	static const int want2[2][2] = { { 1, 1 }, { 0, 0 } };
	int om, im, ret;

	for (om = 0; om < 2; om++) {
		for (im = 0; im < 2; im++) {
			EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 0,
					  EPOLLIN | m[im]));
			EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 0,
					  EPOLLIN | m[om]));
			nsignal(self, 0);
			EXPECT_EQ(0, nwait(self, -1, 4, &ret));
			EXPECT_EQ(1, ret);
			EXPECT_EQ(0, nwait(self, -1, 4, &ret));
			EXPECT_EQ(want2[om][im], ret) TH_LOG("outer %d inner %d", om, im);
			/* the inner still has its item */
			EXPECT_EQ(0, nwait(self, 0, 4, &ret));
			EXPECT_EQ(1, ret);
			EXPECT_EQ(0, nwait(self, 0, 4, &ret));
			ndrain(self, 0);
			EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_DEL, 0, 0));
			EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_DEL, 0, 0));
		}
	}
	EXPECT_EQ(0, self->diffs);
}

/* Several inner instances: the outer's ready list in callback order. */
TEST_F(nest, order_of_inners)
{
	int i, c, ret;

	for (i = 0; i < NINNER; i++) {
		EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, i, EPOLLIN));
		EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, i, EPOLLIN));
	}
	nsignal(self, 2);
	nsignal(self, 0);
	nsignal(self, 1);
	for (c = 0; c < 5; c++)
		EXPECT_EQ(0, nwait(self, -1, 1 + c % 2, &ret));
	/* an inner whose item went away is pruned from the outer */
	ndrain(self, 0);
	for (c = 0; c < 4; c++)
		EXPECT_EQ(0, nwait(self, -1, 2, &ret));
	EXPECT_EQ(0, self->diffs);
}

/* The outer is woken with EPOLLIN only: an OUT-only registration never fires. */
TEST_F(nest, out_only_never_fires)
{
	int ret;

	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 0, EPOLLIN));
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 0, EPOLLOUT));
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLOUT));
	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 1, EPOLLIN));
	nsignal(self, 0);
	nsignal(self, 1);
	EXPECT_EQ(0, nwait(self, -1, 4, &ret));
	EXPECT_EQ(1, ret);
	EXPECT_EQ(0, self->diffs);
}

/* ONESHOT on the outer item, re-armed with MOD. */
TEST_F(nest, outer_oneshot)
{
	int ret;

	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 0, EPOLLIN));
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLONESHOT));
	nsignal(self, 0);
	EXPECT_EQ(0, nwait(self, -1, 4, &ret));
	EXPECT_EQ(1, ret);
	nsignal(self, 0);
	EXPECT_EQ(0, nwait(self, -1, 4, &ret));
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLONESHOT));
	EXPECT_EQ(0, nwait(self, -1, 4, &ret));
	EXPECT_EQ(1, ret);
	EXPECT_EQ(0, self->diffs);
}

/* poll() on the inner instance: POLLIN only when an item is really ready. */
TEST_F(nest, poll_instance_fd)
{
	struct pollfd p[2];
	int s, r[2], ret, k;

	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 0, EPOLLIN));
	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLET));
	for (k = 0; k < 4; k++) {
		if (k == 1)
			nsignal(self, 0);
		if (k == 2)
			ndrain(self, 0);	/* stale LT entry: pruned by poll */
		for (s = 0; s < 2; s++) {
			p[s].fd = self->s[s].inner[0];
			p[s].events = POLLIN | POLLOUT | POLLPRI;
			p[s].revents = 0;
			r[s] = poll(&p[s], 1, 0);
		}
		EXPECT_EQ(r[0], r[1]) TH_LOG("step %d", k);
		EXPECT_EQ(p[0].revents, p[1].revents) TH_LOG("step %d", k);
		EXPECT_EQ(0, nwait(self, 0, 4, &ret));
	}
	/* ET item: poll does not consume it */
	nsignal(self, 1);
	for (k = 0; k < 2; k++) {
		for (s = 0; s < 2; s++) {
			p[s].fd = self->s[s].inner[1];
			p[s].events = POLLIN;
			p[s].revents = 0;
			r[s] = poll(&p[s], 1, 0);
		}
		EXPECT_EQ(1, r[0]);
		EXPECT_EQ(r[0], r[1]);
		EXPECT_EQ(p[0].revents, p[1].revents);
	}
	EXPECT_EQ(0, nwait(self, 1, 4, &ret));
	EXPECT_EQ(1, ret);
	EXPECT_EQ(0, self->diffs);
}

struct blocker {
	const struct sep_backend *b;
	int ep, ret, err;
	struct epoll_event ev[4];
	double ms;
};

static void *block_fn(void *arg)
{
	struct blocker *k = arg;
	double t0 = shep_now_ms();

	errno = 0;
	k->ret = k->b->wait(k->ep, k->ev, 4, 3000);
	k->err = errno;
	k->ms = shep_now_ms() - t0;
	return NULL;
}

/* A waiter blocked on the outer is woken through the inner. */
TEST_F(nest, wakeup_through_inner)
{
	struct blocker k[2];
	pthread_t th[2];
	int s;

	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 0, EPOLLIN));
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 0, EPOLLIN));
	for (s = 0; s < 2; s++) {
		k[s].b = self->s[s].ob;
		k[s].ep = self->s[s].outer;
		memset(k[s].ev, 0xa5, sizeof(k[s].ev));
		ASSERT_EQ(0, pthread_create(&th[s], NULL, block_fn, &k[s]));
	}
	usleep(100000);
	nsignal(self, 0);
	for (s = 0; s < 2; s++)
		pthread_join(th[s], NULL);
	EXPECT_EQ(1, k[0].ret);
	EXPECT_EQ(0, sep_cmp_result("blocked wait", k[0].ret, k[0].err,
				    k[1].ret, k[1].err));
	EXPECT_EQ(0, sep_cmp_bytes("blocked wait", k[0].ev, k[1].ev,
				   sizeof(k[0].ev)));
	EXPECT_GT(1500, k[1].ms);
}

/* ---- cycles, depth, self-add: all-shadow vs all-epoll ---- */

#define CHAIN 7

struct chain {
	const struct sep_backend *b;
	int e[CHAIN];
};

static int chain_init(struct chain *c, const struct sep_backend *b)
{
	int i;

	c->b = b;
	for (i = 0; i < CHAIN; i++) {
		c->e[i] = b->create(EPOLL_CLOEXEC);
		if (c->e[i] < 0)
			return -1;
	}
	return 0;
}

static void chain_fini(struct chain *c)
{
	int i;

	for (i = 0; i < CHAIN; i++)
		close(c->e[i]);
}

static int cadd(struct chain *c, int into, int fd, int *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)fd };
	int r;

	errno = 0;
	r = c->b->ctl(c->e[into], EPOLL_CTL_ADD, fd, &ev);
	*err = errno;
	return r;
}

/* Build e0 <- e1 <- ... (bottom-up: e[i] added into e[i+1]) or top-down. */
static void depth_chain(struct __test_metadata *_metadata, bool top_down)
{
	struct chain c[2];
	int i, s, r[2], e[2];

	ASSERT_EQ(0, chain_init(&c[0], sep_real()));
	ASSERT_EQ(0, chain_init(&c[1], sep_shadow()));
	for (i = 0; i + 1 < CHAIN; i++) {
		for (s = 0; s < 2; s++) {
			if (top_down)
				r[s] = cadd(&c[s], i, c[s].e[i + 1], &e[s]);
			else
				r[s] = cadd(&c[s], i + 1, c[s].e[i], &e[s]);
		}
		EXPECT_EQ(0, sep_cmp_result("chain link", r[0], e[0], r[1], e[1]))
			TH_LOG("link %d", i);
		/* 5 instances (4 links) fit, a 6th does not */
		if (i < 4) {
			EXPECT_EQ(0, r[0]) TH_LOG("link %d: %s", i, strerror(e[0]));
		} else if (i == 4) {
			EXPECT_EQ(-1, r[0]);
			EXPECT_EQ(ELOOP, e[0]);
		}
	}
	/* a plain file at the bottom of the 5-chain, then wake the top */
	{
		int efd[2], top, bottom;
		struct epoll_event ev[2][2];

		top = top_down ? 0 : 4;
		bottom = top_down ? 4 : 0;
		for (s = 0; s < 2; s++) {
			efd[s] = eventfd(1, EFD_CLOEXEC);
			r[s] = cadd(&c[s], bottom, efd[s], &e[s]);
		}
		EXPECT_EQ(0, r[0]);
		EXPECT_EQ(0, sep_cmp_result("leaf add", r[0], e[0], r[1], e[1]));
		memset(ev, 0xa5, sizeof(ev));
		for (s = 0; s < 2; s++) {
			errno = 0;
			r[s] = c[s].b->wait(c[s].e[top], ev[s], 2, 0);
			e[s] = errno;
		}
		EXPECT_EQ(1, r[0]);
		EXPECT_EQ(0, sep_cmp_result("top wait", r[0], e[0], r[1], e[1]));
		/* data is the fd number of the next level: compare the events */
		EXPECT_EQ(ev[0][0].events, ev[1][0].events);
		for (s = 0; s < 2; s++)
			close(efd[s]);
	}
	chain_fini(&c[0]);
	chain_fini(&c[1]);
}

TEST(depth_chain_bottom_up)
{
	depth_chain(_metadata, false);
}

TEST(depth_chain_top_down)
{
	depth_chain(_metadata, true);
}

/* Joining two chains of 3 in the middle exceeds the limit. */
TEST(depth_join_chains)
{
	struct chain c[2];
	int s, r[2], e[2];

	ASSERT_EQ(0, chain_init(&c[0], sep_real()));
	ASSERT_EQ(0, chain_init(&c[1], sep_shadow()));
	for (s = 0; s < 2; s++) {
		/* e0 <- e1 <- e2 and e3 <- e4 <- e5 */
		ASSERT_EQ(0, cadd(&c[s], 1, c[s].e[0], &e[s]));
		ASSERT_EQ(0, cadd(&c[s], 2, c[s].e[1], &e[s]));
		ASSERT_EQ(0, cadd(&c[s], 4, c[s].e[3], &e[s]));
		ASSERT_EQ(0, cadd(&c[s], 5, c[s].e[4], &e[s]));
		/* e2 into e3: 6 instances in a row */
		r[s] = cadd(&c[s], 3, c[s].e[2], &e[s]);
	}
	EXPECT_EQ(-1, r[0]);
	EXPECT_EQ(ELOOP, e[0]);
	EXPECT_EQ(0, sep_cmp_result("join", r[0], e[0], r[1], e[1]));
	for (s = 0; s < 2; s++)
		r[s] = cadd(&c[s], 3, c[s].e[1], &e[s]);	/* 5 in a row: ok */
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, sep_cmp_result("join shorter", r[0], e[0], r[1], e[1]));
	chain_fini(&c[0]);
	chain_fini(&c[1]);
}

TEST(cycles)
{
	struct chain c[2];
	int s, r[2], e[2];

	ASSERT_EQ(0, chain_init(&c[0], sep_real()));
	ASSERT_EQ(0, chain_init(&c[1], sep_shadow()));
	/* 2-cycle */
	for (s = 0; s < 2; s++) {
		ASSERT_EQ(0, cadd(&c[s], 1, c[s].e[0], &e[s]));
		r[s] = cadd(&c[s], 0, c[s].e[1], &e[s]);
	}
	EXPECT_EQ(ELOOP, e[0]);
	EXPECT_EQ(0, sep_cmp_result("2-cycle", r[0], e[0], r[1], e[1]));
	/* 3-cycle e2 <- e3 <- e4 <- e2 */
	for (s = 0; s < 2; s++) {
		ASSERT_EQ(0, cadd(&c[s], 3, c[s].e[2], &e[s]));
		ASSERT_EQ(0, cadd(&c[s], 4, c[s].e[3], &e[s]));
		r[s] = cadd(&c[s], 2, c[s].e[4], &e[s]);
	}
	EXPECT_EQ(ELOOP, e[0]);
	EXPECT_EQ(0, sep_cmp_result("3-cycle", r[0], e[0], r[1], e[1]));
	/* self-add */
	for (s = 0; s < 2; s++)
		r[s] = cadd(&c[s], 5, c[s].e[5], &e[s]);
	EXPECT_EQ(EINVAL, e[0]);
	EXPECT_EQ(0, sep_cmp_result("self-add", r[0], e[0], r[1], e[1]));
	/* diamond: e6 watches e0 twice through e1 and directly: no loop */
	for (s = 0; s < 2; s++)
		r[s] = cadd(&c[s], 6, c[s].e[1], &e[s]) |
		       cadd(&c[s], 6, c[s].e[0], &e[s]);
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, sep_cmp_result("diamond", r[0], e[0], r[1], e[1]));
	chain_fini(&c[0]);
	chain_fini(&c[1]);
}

/*
 * Wakeup-path limits (the kernel's path_limits[]: at most 500, 100, 50 and
 * 10 paths of length 1..4 up from a plain file).  A file at the bottom of a
 * chain of @d instances, the top one watched by @n root instances.  With
 * !@file_last the file goes in first and the roots last: the result is the
 * index of the first root ADD that failed (@n if none).  With @file_last
 * the roots go in first: the result is that of the file's ADD.  *@err is
 * the errno of the failure, 0 if none; -2 means the set-up itself failed.
 */
#define PATH_ROOTS	501
#define SEP_MAX_CHAIN	4	/* instances below the roots, at most */

static int path_scenario(const struct sep_backend *b, int d, int n,
			 bool file_last, int *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int chain[SEP_MAX_CHAIN] = { 0 }, root[PATH_ROOTS] = { 0 };
	int efd, i, res = -2;

	*err = 0;
	efd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < d; i++)
		chain[i] = b->create(EPOLL_CLOEXEC);
	for (i = 0; i < n; i++)
		root[i] = b->create(EPOLL_CLOEXEC);
	if (efd < 0 || chain[d - 1] < 0 || root[n - 1] < 0)
		goto out;
	if (!file_last && b->ctl(chain[0], EPOLL_CTL_ADD, efd, &ev))
		goto out;
	for (i = 0; i + 1 < d; i++)
		if (b->ctl(chain[i + 1], EPOLL_CTL_ADD, chain[i], &ev))
			goto out;
	for (i = 0; i < n; i++) {
		errno = 0;
		if (b->ctl(root[i], EPOLL_CTL_ADD, chain[d - 1], &ev)) {
			*err = errno;
			break;
		}
	}
	res = i;
	if (file_last) {
		if (res != n)
			goto out;	/* no plain file yet: nothing to refuse */
		errno = 0;
		res = b->ctl(chain[0], EPOLL_CTL_ADD, efd, &ev);
		*err = res ? errno : 0;
	}
out:
	for (i = 0; i < n; i++)
		b->close(root[i]);
	for (i = 0; i < d; i++)
		b->close(chain[i]);
	close(efd);
	return res;
}

/*
 * 2 x 4 x 2 scenarios of up to 510 files a side: about 20 s under KASAN and
 * TCG, over the harness's default 30 s timeout on a loaded host (a fixture
 * only to carry the timeout).
 */
FIXTURE(paths) {
	int unused;
};

FIXTURE_SETUP(paths)
{
}

FIXTURE_TEARDOWN(paths)
{
}

TEST_F_TIMEOUT(paths, wakeup_path_limits, 180)
{
	static const int limit[SEP_MAX_CHAIN] = { 500, 100, 50, 10 };
	struct rlimit rl;
	int d, last, extra, r[2], e[2], s;

	/* One side at a time needs about 510 fds. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 2 * PATH_ROOTS && rl.rlim_max >= 2 * PATH_ROOTS) {
		rl.rlim_cur = 2 * PATH_ROOTS;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	}
	for (d = 1; d <= SEP_MAX_CHAIN; d++) {
		for (last = 0; last < 2; last++) {
			/* limit roots fit; one more is refused */
			for (extra = 0; extra < 2; extra++) {
				for (s = 0; s < 2; s++)
					r[s] = path_scenario(s ? sep_shadow() :
							     sep_real(), d,
							     limit[d - 1] + extra,
							     last, &e[s]);
				/* the kernel's side: the documented limits */
				if (last) {
					EXPECT_EQ(extra ? -1 : 0, r[0]);
				} else {
					EXPECT_EQ(limit[d - 1], r[0]);
				}
				EXPECT_EQ(extra ? EINVAL : 0, e[0]);
				EXPECT_EQ(0, sep_cmp_result("path limit", r[0],
							    e[0], r[1], e[1]))
					TH_LOG("chain %d, %s, %d roots", d,
					       last ? "file last" : "roots last",
					       limit[d - 1] + extra);
			}
		}
	}
}

/* Closing an inner instance removes it from the outer. */
TEST_F(nest, close_inner)
{
	int ret, s;

	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 0, EPOLLIN));
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 0, EPOLLIN));
	EXPECT_EQ(0, nctl(self, false, EPOLL_CTL_ADD, 1, EPOLLIN));
	EXPECT_EQ(0, nctl(self, true, EPOLL_CTL_ADD, 1, EPOLLIN));
	nsignal(self, 0);
	nsignal(self, 1);
	for (s = 0; s < 2; s++) {
		close(self->s[s].inner[0]);
		self->s[s].inner[0] = self->s[s].ib->create(0);
	}
	EXPECT_EQ(0, nwait(self, -1, 4, &ret));
	EXPECT_EQ(1, ret);
	EXPECT_EQ(0, self->diffs);
}

SEP_REQUIRE_SHADOW_MAIN
