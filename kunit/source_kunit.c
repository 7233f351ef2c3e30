// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: synthetic sources (source.c) without files: the mask
 * operations, the wakeup each change sends (key, NOWAKE, POLLFREE) and the
 * trigger that fires on re-polls.
 */
#include <linux/errno.h>
#include <linux/poll.h>
#include <linux/wait.h>

#include <kunit/test.h>

#include "../module/source.h"

#define SEPK_BITS(p)		((__force u32)(p))

/* A waiter on a source's queue that records the keys it is woken with. */
struct srck_waiter {
	wait_queue_entry_t wait;
	wait_queue_head_t *whead;
	int woken;
	__poll_t key;
};

static int srck_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
		     void *key)
{
	struct srck_waiter *w = container_of(wait, struct srck_waiter, wait);

	w->woken++;
	w->key = key_to_poll(key);
	if (w->key & POLLFREE)
		list_del_init(&wait->entry);
	return 0;
}

struct srck_pt {
	poll_table pt;
	struct srck_waiter *w;
};

static void srck_queue(struct file *file, wait_queue_head_t *whead,
		       poll_table *pt)
{
	struct srck_pt *p = container_of(pt, struct srck_pt, pt);

	p->w->whead = whead;
	add_wait_queue(whead, &p->w->wait);
}

/* Hook @w on @src's queue with a registering poll; returns the mask. */
static __poll_t srck_hook(struct sep_source *src, struct srck_waiter *w)
{
	struct srck_pt p = { .w = w };

	init_waitqueue_func_entry(&w->wait, srck_wake);
	init_poll_funcptr(&p.pt, srck_queue);
	return sep_source_poll(src, NULL, &p.pt);
}

static __poll_t srck_repoll(struct sep_source *src)
{
	return sep_source_poll(src, NULL, NULL);
}

/* Take @w off the queue, unless POLLFREE did. */
static void srck_unhook(struct srck_waiter *w)
{
	if (w->whead && !list_empty(&w->wait.entry))
		remove_wait_queue(w->whead, &w->wait);
}

static struct sep_source *srck_new(struct kunit *test, __poll_t mask)
{
	struct sep_source *src = sep_source_new(mask);

	KUNIT_ASSERT_NOT_NULL(test, src);
	return src;
}

static void source_mask_ops(struct kunit *test)
{
	struct sep_source *src = srck_new(test, EPOLLIN);
	struct shadow_epoll_source_change c = {
		.flags = SHADOW_EPOLL_SRC_NOWAKE,
	};

	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_repoll(src)), SEPK_BITS(EPOLLIN));
	c.op = SHADOW_EPOLL_SRC_OR;
	c.mask = SEPK_BITS(EPOLLOUT);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(sep_source_apply(src, &c)),
			SEPK_BITS(EPOLLIN | EPOLLOUT));
	c.op = SHADOW_EPOLL_SRC_CLEAR;
	c.mask = SEPK_BITS(EPOLLIN);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(sep_source_apply(src, &c)),
			SEPK_BITS(EPOLLOUT));
	c.op = SHADOW_EPOLL_SRC_SET;
	c.mask = SEPK_BITS(EPOLLPRI);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(sep_source_apply(src, &c)),
			SEPK_BITS(EPOLLPRI));
	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_repoll(src)), SEPK_BITS(EPOLLPRI));
	sep_source_release(src);
}

static void source_wakes_with_the_given_key(struct kunit *test)
{
	struct sep_source *src = srck_new(test, 0);
	struct srck_waiter w = { };
	struct shadow_epoll_source_change c = {
		.op = SHADOW_EPOLL_SRC_SET,
		.mask = SEPK_BITS(EPOLLIN),
		.key = SEPK_BITS(EPOLLOUT),
	};

	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_hook(src, &w)), 0U);
	sep_source_apply(src, &c);
	KUNIT_EXPECT_EQ(test, w.woken, 1);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(w.key), SEPK_BITS(EPOLLOUT));

	c.flags = SHADOW_EPOLL_SRC_NOWAKE;
	sep_source_apply(src, &c);
	KUNIT_EXPECT_EQ(test, w.woken, 1);

	c.flags = SHADOW_EPOLL_SRC_SYNC;
	c.key = 0;
	sep_source_apply(src, &c);
	KUNIT_EXPECT_EQ(test, w.woken, 2);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(w.key), 0U);

	/* POLLFREE wakes with EPOLLHUP | POLLFREE; the waiter unhooks. */
	c.op = SHADOW_EPOLL_SRC_POLLFREE;
	c.flags = 0;
	sep_source_apply(src, &c);
	KUNIT_EXPECT_EQ(test, w.woken, 3);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(w.key), SEPK_BITS(EPOLLHUP | POLLFREE));
	KUNIT_EXPECT_TRUE(test, list_empty(&w.wait.entry));
	srck_unhook(&w);
	sep_source_release(src);
}

static void source_trigger_fires_on_repolls_only(struct kunit *test)
{
	struct sep_source *src = srck_new(test, EPOLLIN);
	struct sep_source *dst = srck_new(test, 0);
	struct srck_waiter w = { };
	struct shadow_epoll_source_change c = {
		.op = SHADOW_EPOLL_SRC_OR,
		.mask = SEPK_BITS(EPOLLIN),
		.flags = SHADOW_EPOLL_SRC_NOWAKE,
	};

	sep_source_arm(src, dst, 2, &c);
	/* A registering poll does not fire. */
	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_hook(src, &w)), SEPK_BITS(EPOLLIN));
	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_repoll(dst)), 0U);
	/* Two re-polls fire, the third does not. */
	srck_repoll(src);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_repoll(dst)), SEPK_BITS(EPOLLIN));
	c.op = SHADOW_EPOLL_SRC_CLEAR;
	sep_source_apply(dst, &c);
	srck_repoll(src);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_repoll(dst)), SEPK_BITS(EPOLLIN));
	sep_source_apply(dst, &c);
	srck_repoll(src);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(srck_repoll(dst)), 0U);
	KUNIT_EXPECT_EQ(test, w.woken, 0);
	srck_unhook(&w);
	sep_source_release(dst);
	sep_source_release(src);
}

static struct kunit_case source_test_cases[] = {
	KUNIT_CASE(source_mask_ops),
	KUNIT_CASE(source_wakes_with_the_given_key),
	KUNIT_CASE(source_trigger_fires_on_repolls_only),
	{}
};

static struct kunit_suite source_test_suite = {
	.name = "shadow_epoll_source",
	.test_cases = source_test_cases,
};

kunit_test_suite(source_test_suite);
