// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: the wakeup callback's queueing rules
 * (sep_event_arrived, sep_exclusive_ewake, sep_queue_if_ready,
 * sep_unqueue), from docs/epoll-semantics.md §3 and §2.4.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <kunit/test.h>

#include "fake.h"

/* What EPOLL_CTL_ADD stores: the user mask plus ERR|HUP. */
#define ADDED(m)	((m) | EPOLLERR | EPOLLHUP)

struct filter_case {
	const char *desc;
	__poll_t events;
	__poll_t key;
	bool accepted;
};

static const struct filter_case filter_cases[] = {
	{ "in_key_in", ADDED(EPOLLIN), EPOLLIN, true },
	{ "in_key_in_rdnorm", ADDED(EPOLLIN), EPOLLIN | EPOLLRDNORM, true },
	{ "in_key_out", ADDED(EPOLLIN), EPOLLOUT, false },
	{ "in_key_out_wrnorm", ADDED(EPOLLIN), EPOLLOUT | EPOLLWRNORM, false },
	{ "in_key_pri", ADDED(EPOLLIN), EPOLLPRI, false },
	{ "in_key_zero_is_anything", ADDED(EPOLLIN), 0, true },
	{ "in_key_hup_always_passes", ADDED(EPOLLIN), EPOLLHUP, true },
	{ "in_key_err_always_passes", ADDED(EPOLLIN), EPOLLERR, true },
	{ "in_key_pollfree", ADDED(EPOLLIN), EPOLLHUP | POLLFREE, true },
	{ "out_key_in", ADDED(EPOLLOUT), EPOLLIN | EPOLLRDNORM, false },
	{ "out_key_out", ADDED(EPOLLOUT), EPOLLOUT, true },
	{ "inout_key_out", ADDED(EPOLLIN | EPOLLOUT), EPOLLOUT, true },
	{ "rdhup_key_rdhup", ADDED(EPOLLIN | EPOLLRDHUP), EPOLLRDHUP, true },
	{ "et_key_in", ADDED(EPOLLIN) | EPOLLET, EPOLLIN, true },
	{ "et_key_out", ADDED(EPOLLIN) | EPOLLET, EPOLLOUT, false },
	{ "oneshot_armed_key_in", ADDED(EPOLLIN) | EPOLLONESHOT, EPOLLIN, true },
	{ "oneshot_disarmed_key_in", EPOLLONESHOT, EPOLLIN, false },
	{ "oneshot_disarmed_key_zero", EPOLLONESHOT, 0, false },
	{ "oneshot_disarmed_key_hup", EPOLLONESHOT, EPOLLHUP, false },
	{ "oneshot_et_disarmed_key_zero", EPOLLONESHOT | EPOLLET, 0, false },
	{ "mod_zero_errhup_key_hup", ADDED(0), EPOLLHUP, true },
	{ "mod_zero_errhup_key_zero", ADDED(0), 0, true },
	{ "mod_zero_errhup_key_in", ADDED(0), EPOLLIN, false },
};

static void filter_case_desc(const struct filter_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(filter, filter_cases, filter_case_desc);

/* Outside a scan: accepted events append the item to the ready list. */
static void cb_filter_idle(struct kunit *test)
{
	const struct filter_case *c = test->param_value;
	struct sepk_fix *fix = sepk_fix_new(test, "LL");
	char list[SEPK_MAX_NAMES + 1];

	fix->items[1]->events = c->events;
	sepk_queue(fix, "A");
	KUNIT_EXPECT_EQ(test, sepk_signal(fix, "B", c->key) != 0, c->accepted);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, c->accepted ? "AB" : "A");
	/* The callback never changes the interest set. */
	KUNIT_EXPECT_EQ(test, SEPK_BITS(fix->items[1]->events), SEPK_BITS(c->events));
	sepk_expect_idle(fix);
}

/* During a scan: accepted events go to the overflow list, nothing else. */
static void cb_filter_scanning(struct kunit *test)
{
	const struct filter_case *c = test->param_value;
	struct sepk_fix *fix = sepk_fix_new(test, "LL");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	fix->items[1]->events = c->events;
	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	KUNIT_EXPECT_EQ(test, sepk_signal(fix, "B", c->key) != 0, c->accepted);
	KUNIT_EXPECT_TRUE(test, list_empty(&fix->ep->rdllist));
	KUNIT_EXPECT_FALSE(test, sep_is_linked(fix->items[1]));
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), c->accepted ? 1 : 0);
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, c->accepted ? "B" : "");
	sepk_expect_idle(fix);
}

struct ewake_case {
	const char *desc;
	__poll_t events;
	__poll_t key;
	bool ewake;
};

#define EXCL(m)	(ADDED(m) | EPOLLEXCLUSIVE)

static const struct ewake_case ewake_cases[] = {
	{ "in_key_in", EXCL(EPOLLIN), EPOLLIN, true },
	{ "in_key_in_rdnorm", EXCL(EPOLLIN), EPOLLIN | EPOLLRDNORM, true },
	{ "in_key_out", EXCL(EPOLLIN), EPOLLOUT, false },
	{ "out_key_out_wrnorm", EXCL(EPOLLOUT), EPOLLOUT | EPOLLWRNORM, true },
	{ "out_key_in", EXCL(EPOLLOUT), EPOLLIN, false },
	{ "inout_key_in", EXCL(EPOLLIN | EPOLLOUT), EPOLLIN, true },
	{ "inout_key_out", EXCL(EPOLLIN | EPOLLOUT), EPOLLOUT, true },
	{ "inout_key_inout", EXCL(EPOLLIN | EPOLLOUT), EPOLLIN | EPOLLOUT, false },
	{ "in_key_inout_hup", EXCL(EPOLLIN), EPOLLIN | EPOLLOUT | EPOLLHUP, false },
	{ "in_key_zero", EXCL(EPOLLIN), 0, true },
	{ "in_key_hup", EXCL(EPOLLIN), EPOLLHUP, true },
	{ "out_key_err", EXCL(EPOLLOUT), EPOLLERR, true },
	{ "in_key_pri", EXCL(EPOLLIN), EPOLLPRI, true },
	{ "in_key_hup_pollfree", EXCL(EPOLLIN), EPOLLHUP | POLLFREE, false },
	{ "in_key_in_pollfree", EXCL(EPOLLIN), EPOLLIN | POLLFREE, false },
	{ "errhup_key_in", EXCL(0), EPOLLIN, false },
	{ "errhup_key_out", EXCL(0), EPOLLOUT, false },
};

static void ewake_case_desc(const struct ewake_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ewake, ewake_cases, ewake_case_desc);

static void cb_exclusive_ewake(struct kunit *test)
{
	const struct ewake_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, sep_exclusive_ewake(c->events, c->key), c->ewake);
}

static void cb_appends_in_callback_order(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "A");
	sepk_signal(fix, "CBD", EPOLLIN);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ACBD");
	KUNIT_EXPECT_TRUE(test, sep_events_available(fix->ep));
}

static void cb_already_queued_keeps_position(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LEOL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABC");
	KUNIT_EXPECT_EQ(test, sepk_signal(fix, "AABCBA", EPOLLIN),
			sepk_set(fix, "ABC"));
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABC");
	sepk_signal(fix, "DAD", 0);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABCD");
	sepk_expect_idle(fix);
}

/* An item is pushed once per scan however often it is woken. */
static void cb_overflow_push_once(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLL");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	mutex_lock(&fix->ep->mtx);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), -1);
	sep_start_scan(fix->ep, &txlist);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 0);
	KUNIT_EXPECT_TRUE(test, sep_events_available(fix->ep));
	sepk_signal(fix, "A", EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 1);
	sepk_signal(fix, "AAB", EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 2);
	sepk_signal(fix, "BAB", 0);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 2);
	KUNIT_EXPECT_TRUE(test, list_empty(&fix->ep->rdllist));
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "AB");
	sepk_expect_idle(fix);
}

/* The drain restores callback order (the chain itself is LIFO). */
static void cb_overflow_drains_in_callback_order(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLLL");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	sepk_signal(fix, "DBEA", EPOLLIN);
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "DBEA");
}

/* A woken item still on the scan list keeps its place, once. */
static void cb_overflow_linked_item_keeps_place(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLLE");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	sepk_queue(fix, "ABC");
	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	KUNIT_EXPECT_TRUE(test, list_empty(&fix->ep->rdllist));
	sepk_signal(fix, "EBDC", EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 4);
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABCED");
	sepk_expect_idle(fix);
}

/* Disarmed and filtered wakeups do not reach the overflow list either. */
static void cb_overflow_ignores_filtered(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "OLL");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	fix->items[0]->events = EPOLLONESHOT;	/* fired: disarmed */
	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	KUNIT_EXPECT_EQ(test, sepk_signal(fix, "A", 0), 0);
	KUNIT_EXPECT_EQ(test, sepk_signal(fix, "B", EPOLLOUT), 0);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 0);
	KUNIT_EXPECT_EQ(test, sepk_signal(fix, "C", EPOLLIN), sepk_set(fix, "C"));
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "C");
}

/* After a drain the items can be pushed again by the next scan. */
static void cb_overflow_reusable_after_drain(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "EEE");
	char list[SEPK_MAX_NAMES + 1];
	int round;

	for (round = 0; round < 3; round++) {
		sepk_reset_call(fix);
		sepk_queue(fix, "A");
		fix->fire = "CB";
		fix->fire_at_copy = 0;
		KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 1), 1);
		sepk_ready_list(fix, list);
		KUNIT_EXPECT_STREQ_MSG(test, list, "CB", "round %d", round);
		sepk_reset_call(fix);
		KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 2), 2);
		sepk_ready_list(fix, list);
		KUNIT_EXPECT_STREQ_MSG(test, list, "", "round %d", round);
		sepk_expect_idle(fix);
	}
}

static void cb_queue_if_ready(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLL");
	char list[SEPK_MAX_NAMES + 1];
	unsigned long flags;
	bool queued;

	sepk_queue(fix, "BA");
	spin_lock_irqsave(&fix->ep->lock, flags);
	queued = sep_queue_if_ready(fix->ep, fix->items[1]);
	spin_unlock_irqrestore(&fix->ep->lock, flags);
	KUNIT_EXPECT_FALSE(test, queued);
	spin_lock_irqsave(&fix->ep->lock, flags);
	queued = sep_queue_if_ready(fix->ep, fix->items[2]);
	spin_unlock_irqrestore(&fix->ep->lock, flags);
	KUNIT_EXPECT_TRUE(test, queued);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "BAC");
}

static void cb_unqueue(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABC");
	mutex_lock(&fix->ep->mtx);
	sep_unqueue(fix->ep, fix->items[1]);
	sep_unqueue(fix->ep, fix->items[3]);	/* not queued: harmless */
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "AC");
	KUNIT_EXPECT_FALSE(test, sep_is_linked(fix->items[1]));
	/* A removed item can be queued again, at the tail. */
	sepk_signal(fix, "B", EPOLLIN);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ACB");
	mutex_lock(&fix->ep->mtx);
	sep_unqueue(fix->ep, fix->items[0]);
	sep_unqueue(fix->ep, fix->items[1]);
	sep_unqueue(fix->ep, fix->items[2]);
	mutex_unlock(&fix->ep->mtx);
	KUNIT_EXPECT_FALSE(test, sep_events_available(fix->ep));
}

static void cb_events_available(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "L");
	LIST_HEAD(txlist);

	KUNIT_EXPECT_FALSE(test, sep_events_available(fix->ep));
	sepk_signal(fix, "A", EPOLLIN);
	KUNIT_EXPECT_TRUE(test, sep_events_available(fix->ep));
	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	/* The ready list is empty, but the scan's leftovers will return. */
	KUNIT_EXPECT_TRUE(test, list_empty(&fix->ep->rdllist));
	KUNIT_EXPECT_TRUE(test, sep_events_available(fix->ep));
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	KUNIT_EXPECT_TRUE(test, sep_events_available(fix->ep));
	KUNIT_EXPECT_TRUE(test, list_empty(&txlist));
}

static struct kunit_case callback_test_cases[] = {
	KUNIT_CASE_PARAM(cb_filter_idle, filter_gen_params),
	KUNIT_CASE_PARAM(cb_filter_scanning, filter_gen_params),
	KUNIT_CASE_PARAM(cb_exclusive_ewake, ewake_gen_params),
	KUNIT_CASE(cb_appends_in_callback_order),
	KUNIT_CASE(cb_already_queued_keeps_position),
	KUNIT_CASE(cb_overflow_push_once),
	KUNIT_CASE(cb_overflow_drains_in_callback_order),
	KUNIT_CASE(cb_overflow_linked_item_keeps_place),
	KUNIT_CASE(cb_overflow_ignores_filtered),
	KUNIT_CASE(cb_overflow_reusable_after_drain),
	KUNIT_CASE(cb_queue_if_ready),
	KUNIT_CASE(cb_unqueue),
	KUNIT_CASE(cb_events_available),
	{}
};

static struct kunit_suite callback_test_suite = {
	.name = "shadow_epoll_readylist_queue",
	.test_cases = callback_test_cases,
};

kunit_test_suite(callback_test_suite);
