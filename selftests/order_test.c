// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: delivery order, maxevents, re-queue rules, revents-0
 * skip, MOD/DEL of queued items, ready list (READY dump vs probed order).
 * Each scenario runs on in-tree epoll and on the shadow; every call's return
 * value, errno and event buffer must be identical.
 */
#define _GNU_SOURCE
#include "sep_harness.h"

#include "sep_test.h"

FIXTURE(order) {
	struct sep_duo d;
	bool inited;
};

FIXTURE_VARIANT(order) {
	int mode;
	int type;
};

#define ORDER_VARIANT(m, t, mv, tv)					\
	FIXTURE_VARIANT_ADD(order, m##_##t) { .mode = mv, .type = tv }

ORDER_VARIANT(lt, eventfd, MODE_LT, SEP_EVENTFD);
ORDER_VARIANT(lt, pipe, MODE_LT, SEP_PIPE);
ORDER_VARIANT(lt, sock, MODE_LT, SEP_SOCK);
ORDER_VARIANT(et, eventfd, MODE_ET, SEP_EVENTFD);
ORDER_VARIANT(et, pipe, MODE_ET, SEP_PIPE);
ORDER_VARIANT(et, sock, MODE_ET, SEP_SOCK);
ORDER_VARIANT(oneshot, eventfd, MODE_ONESHOT, SEP_EVENTFD);
ORDER_VARIANT(oneshot, pipe, MODE_ONESHOT, SEP_PIPE);
ORDER_VARIANT(oneshot, sock, MODE_ONESHOT, SEP_SOCK);
ORDER_VARIANT(mix, eventfd, MODE_MIX, SEP_EVENTFD);
ORDER_VARIANT(mix, pipe, MODE_MIX, SEP_PIPE);
ORDER_VARIANT(mix, sock, MODE_MIX, SEP_SOCK);

FIXTURE_SETUP(order)
{
	self->inited = false;
}

FIXTURE_TEARDOWN(order)
{
	if (self->inited)
		sep_duo_fini(&self->d);
}

static int setup(struct __test_metadata *_metadata, FIXTURE_DATA(order) *self,
		 const FIXTURE_VARIANT(order) *variant, int n, bool sig)
{
	self->inited = true;
	return sep_duo_setup(&self->d, n, variant->type, variant->mode, sig);
	(void)_metadata;
}

/* epoll-semantics §2.5 (a)-(d): five ready items, maxevents 2, five calls. */
TEST_F(order, worked_example_max2)
{
	static const char *const want[4][5] = {
		[MODE_LT] = { "A B", "C D", "E A", "B C", "D E" },
		[MODE_ET] = { "A B", "C D", "E", "", "" },
		[MODE_ONESHOT] = { "A B", "C D", "E", "", "" },
		[MODE_MIX] = { "A B", "C D", "E A", "D A", "D A" },
	};
	struct sep_call rec;
	int c;

	ASSERT_EQ(0, setup(_metadata, self, variant, 5, true));
	for (c = 0; c < 5; c++) {
		EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
		EXPECT_REAL_ORDER(&rec, want[variant->mode][c]);
	}
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* n ready items, maxevents 1 .. n+1, several successive calls each. */
static void sweep(struct __test_metadata *_metadata, FIXTURE_DATA(order) *self,
		  const FIXTURE_VARIANT(order) *variant, int n)
{
	int max, c, calls;

	for (max = 1; max <= n + 1; max++) {
		struct sep_call rec;

		ASSERT_EQ(0, setup(_metadata, self, variant, n, true));
		calls = n / max + 2;
		if (calls > 6)
			calls = 6;
		for (c = 0; c < calls; c++) {
			ASSERT_EQ(0, sep_duo_wait(&self->d, max, 0, &rec))
				TH_LOG("n=%d max=%d call %d", n, max, c);
			/* Re-trigger the first and last item (ET tail rule). */
			if (c == 0) {
				sep_duo_signal(&self->d, 0);
				sep_duo_signal(&self->d, n - 1);
			}
		}
		ASSERT_EQ(0, sep_duo_order(&self->d, NULL))
			TH_LOG("n=%d max=%d", n, max);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

TEST_F(order, sweep_5)
{
	sweep(_metadata, self, variant, 5);
}

TEST_F_TIMEOUT(order, sweep_17, 120)
{
	sweep(_metadata, self, variant, 17);
}

TEST_F_TIMEOUT(order, sweep_64, 180)
{
	if (sep_quick())
		SKIP(return, "SEP_QUICK: sweep_17 covers the same paths");
	sweep(_metadata, self, variant, 64);
}

/* epoll-semantics §2.5 (e): B drained before the call is dropped and not counted. */
TEST_F(order, drained_item_skipped)
{
	struct sep_call rec;

	ASSERT_EQ(0, setup(_metadata, self, variant, 5, true));
	sep_duo_drain(&self->d, 1);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_REAL_ORDER(&rec, "A C");
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_REAL_ORDER(&rec, "D E");
	/* Everything drained: LT items leave the list one by one. */
	sep_duo_drain(&self->d, 0);
	sep_duo_drain(&self->d, 3);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 3, 0, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* Items become ready after registration: the list is in callback order. */
TEST_F(order, callback_order)
{
	static const int sig[] = { 3, 1, 6, 0, 5, 2, 4 };
	struct sep_call rec;
	unsigned int i;

	ASSERT_EQ(0, setup(_metadata, self, variant, 7, false));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, rec.ret);
	for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		sep_duo_signal(&self->d, sig[i]);
	/* A second signal of a queued item must not move it. */
	sep_duo_signal(&self->d, 3);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 3, 0, &rec));
	EXPECT_REAL_ORDER(&rec, "D B G");
	EXPECT_EQ(0, sep_duo_wait(&self->d, 3, 0, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* After a partial delivery, new events on delivered items go to the tail. */
TEST_F(order, retrigger_after_delivery)
{
	struct sep_call rec;
	int c;

	ASSERT_EQ(0, setup(_metadata, self, variant, 6, true));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	sep_duo_signal(&self->d, 0);
	sep_duo_signal(&self->d, 3);
	sep_duo_signal(&self->d, 1);
	for (c = 0; c < 4; c++)
		EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* MOD re-arms ONESHOT items and appends ready items not already queued. */
TEST_F(order, mod_rearm)
{
	struct sep_call rec;

	ASSERT_EQ(0, setup(_metadata, self, variant, 5, true));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 5, 0, &rec));
	EXPECT_EQ(5, rec.ret);
	/* Disarmed ONESHOT items ignore new events. */
	sep_duo_signal(&self->d, 2);
	sep_duo_signal(&self->d, 4);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 5, 0, &rec));
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 4,
				 sep_mode_events(variant->mode, 4)));
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 0,
				 sep_mode_events(variant->mode, 0)));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 1, 0, &rec));
	if (variant->mode == MODE_ONESHOT)
		EXPECT_REAL_ORDER(&rec, "E");
	EXPECT_EQ(0, sep_duo_wait(&self->d, 5, 0, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* MOD of a queued item: new data and mask, same position. */
TEST_F(order, mod_queued_item)
{
	struct sep_call rec;
	struct epoll_event ev;
	int s, r[2], e[2];

	ASSERT_EQ(0, setup(_metadata, self, variant, 5, true));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 1, 0, &rec));
	for (s = 0; s < 2; s++) {
		struct sep_side *side = &self->d.s[s];

		/* C: now IN|OUT with data 0x1234 (a socket/eventfd is writable). */
		ev.events = EPOLLIN | EPOLLOUT |
			    (sep_mode_events(variant->mode, 2) &
			     (EPOLLET | EPOLLONESHOT));
		ev.data.u64 = 0x1234;
		errno = 0;
		r[s] = side->b->ctl(side->ep, EPOLL_CTL_MOD, side->src[2].rfd,
				    &ev);
		e[s] = errno;
	}
	EXPECT_EQ(0, sep_cmp_result("MOD C", r[0], e[0], r[1], e[1]));
	/* D: a mask that is not ready (PRI); it stays queued until scanned. */
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 3, EPOLLPRI));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_EQ(0, self->d.diffs);
}

/* DEL of queued items removes them silently from the ready list. */
TEST_F(order, del_queued_item)
{
	struct sep_call rec;

	ASSERT_EQ(0, setup(_metadata, self, variant, 6, true));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_DEL, 3, 0));
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_DEL, 0, 0));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	if (variant->mode == MODE_LT)
		EXPECT_REAL_ORDER(&rec, "C E");
	/* Re-add: appended at the tail, ready at once. */
	EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_ADD, 3,
				 sep_mode_events(variant->mode, 3)));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 3, 0, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* Ready-list order as dumped must equal the probed order at every step. */
TEST_F(order, ready_list_each_step)
{
	int step;

	for (step = 0; step < 4; step++) {
		int c;

		ASSERT_EQ(0, setup(_metadata, self, variant, 9, true));
		for (c = 0; c < step; c++)
			EXPECT_EQ(0, sep_duo_wait(&self->d, 2 + c, 0, NULL));
		EXPECT_EQ(0, sep_duo_order(&self->d, NULL)) TH_LOG("step %d", step);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/* Events reported: IN, OUT, HUP bits come through as the file reports them. */
TEST_F(order, event_bits)
{
	struct sep_call rec;
	int i;

	ASSERT_EQ(0, sep_duo_init(&self->d, 4, variant->type));
	self->inited = true;
	for (i = 0; i < 4; i++) {
		uint32_t ev = (i & 1 ? EPOLLOUT : 0) | (i & 2 ? EPOLLIN : 0) |
			      EPOLLRDHUP |
			      (sep_mode_events(variant->mode, i) &
			       (EPOLLET | EPOLLONESHOT));

		EXPECT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, ev));
	}
	sep_duo_signal(&self->d, 2);
	sep_duo_signal(&self->d, 3);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, sep_duo_wait(&self->d, 8, 0, &rec));
	EXPECT_EQ(0, self->d.diffs);
}

SEP_REQUIRE_SHADOW_MAIN
