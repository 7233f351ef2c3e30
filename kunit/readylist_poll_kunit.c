// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: polling an instance (sep_scan_ready), from
 * docs/epoll-semantics.md §2.6: stop at the first really ready item, drop the
 * stale ones before it, consume nothing, report only EPOLLIN|EPOLLRDNORM.
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include <kunit/test.h>

#include "fake.h"

#define POLL_READY	SEPK_BITS(EPOLLIN | EPOLLRDNORM)

static void poll_prunes_stale_before_first_ready(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABCDE");
	sepk_set_mask(fix, "ABD", 0);
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
	KUNIT_EXPECT_STREQ(test, fix->polled, "ABC");
	sepk_ready_list(fix, list);
	/* D is stale too but comes after C: it stays until a real scan. */
	KUNIT_EXPECT_STREQ(test, list, "CDE");
	KUNIT_EXPECT_FALSE(test, sep_is_linked(fix->items[0]));
	KUNIT_EXPECT_FALSE(test, sep_is_linked(fix->items[1]));
	sepk_expect_idle(fix);
}

static void poll_none_ready_empties_list(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LELO");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "DCBA");
	sepk_set_mask(fix, "ABCD", 0);
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), 0);
	KUNIT_EXPECT_STREQ(test, fix->polled, "DCBA");
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "");
	KUNIT_EXPECT_FALSE(test, sep_events_available(fix->ep));
	sepk_expect_idle(fix);
}

static void poll_empty_is_not_ready(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "L");

	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), 0);
	KUNIT_EXPECT_EQ(test, fix->npolled, 0);
	sepk_expect_idle(fix);
}

/* The first item ready: nothing pruned, nothing rotated. */
static void poll_first_ready_changes_nothing(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABC");
	sepk_set_mask(fix, "B", 0);
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
	KUNIT_EXPECT_STREQ(test, fix->polled, "A");
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABC");
}

/* Polling does not consume ET items: epoll_wait still gets them. */
static void poll_does_not_consume_et(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "EEE");
	char list[SEPK_MAX_NAMES + 1], got[SEPK_MAX_NAMES + 1];
	int i;

	sepk_queue(fix, "ABC");
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ_MSG(test, sepk_scan_ready(fix, 0), POLL_READY,
				    "poll %d", i);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABC");
	KUNIT_EXPECT_EQ(test, fix->ncopied, 0);
	sepk_reset_call(fix);
	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 4), 3);
	sepk_result(fix, got);
	KUNIT_EXPECT_STREQ(test, got, "ABC");
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), 0);
}

/* Polling does not disarm ONESHOT items. */
static void poll_does_not_disarm_oneshot(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "Oo");
	__poll_t a = fix->items[0]->events, b = fix->items[1]->events;

	sepk_queue(fix, "AB");
	sepk_set_mask(fix, "A", 0);
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(fix->items[0]->events), SEPK_BITS(a));
	KUNIT_EXPECT_EQ(test, SEPK_BITS(fix->items[1]->events), SEPK_BITS(b));
	sepk_reset_call(fix);
	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 2), 1);
	KUNIT_EXPECT_TRUE(test, sep_is_disarmed(fix->items[1]->events));
}

/* Polling never rotates LT items (nothing is delivered). */
static void poll_does_not_requeue_lt(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "CAB");
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "CAB");
}

struct poll_mask_case {
	const char *desc;
	__poll_t interest;
	__poll_t mask;
};

static const struct poll_mask_case poll_mask_cases[] = {
	{ "in", EPOLLIN, EPOLLIN },
	{ "out", EPOLLOUT, EPOLLOUT | EPOLLWRNORM },
	{ "hup", EPOLLIN, EPOLLHUP },
	{ "err", EPOLLOUT, EPOLLERR },
	{ "pri", EPOLLPRI, EPOLLPRI },
	{ "in_out_rdhup", EPOLLIN | EPOLLOUT | EPOLLRDHUP,
	  EPOLLIN | EPOLLOUT | EPOLLRDHUP },
};

static void poll_mask_case_desc(const struct poll_mask_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(poll_mask, poll_mask_cases, poll_mask_case_desc);

/* Whatever the item reports, the instance reports EPOLLIN|EPOLLRDNORM. */
static void poll_reports_in_rdnorm_only(struct kunit *test)
{
	const struct poll_mask_case *c = test->param_value;
	struct sepk_fix *fix = sepk_fix_new(test, "L");

	fix->items[0]->events = c->interest | EPOLLERR | EPOLLHUP;
	fix->mask[0] = c->mask;
	sepk_queue(fix, "A");
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
}

/* Items are re-polled one level deeper than the instance. */
static void poll_depth_plus_one(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "L");
	int depth;

	sepk_queue(fix, "A");
	for (depth = 0; depth <= SEP_MAX_NESTS; depth++) {
		sepk_reset_call(fix);
		KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, depth), POLL_READY);
		KUNIT_EXPECT_EQ(test, fix->depth, depth + 1);
	}
	sepk_reset_call(fix);
	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 1), 1);
	KUNIT_EXPECT_EQ(test, fix->depth, 1);
}

/* Wakeups during the poll scan land after the leftovers, in order. */
static void poll_arrivals_during_scan(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLLLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABCD");
	sepk_set_mask(fix, "A", 0);
	fix->fire = "FAEC";
	fix->fire_at_poll = 0;
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), POLL_READY);
	KUNIT_EXPECT_STREQ(test, fix->polled, "AB");
	sepk_ready_list(fix, list);
	/* A was pruned after its wakeup was recorded: it comes back. */
	KUNIT_EXPECT_STREQ(test, list, "BCDFAE");
	sepk_expect_idle(fix);
}

static struct kunit_case poll_test_cases[] = {
	KUNIT_CASE(poll_prunes_stale_before_first_ready),
	KUNIT_CASE(poll_none_ready_empties_list),
	KUNIT_CASE(poll_empty_is_not_ready),
	KUNIT_CASE(poll_first_ready_changes_nothing),
	KUNIT_CASE(poll_does_not_consume_et),
	KUNIT_CASE(poll_does_not_disarm_oneshot),
	KUNIT_CASE(poll_does_not_requeue_lt),
	KUNIT_CASE_PARAM(poll_reports_in_rdnorm_only, poll_mask_gen_params),
	KUNIT_CASE(poll_depth_plus_one),
	KUNIT_CASE(poll_arrivals_during_scan),
	{}
};

static struct kunit_suite poll_test_suite = {
	.name = "shadow_epoll_readylist_poll",
	.test_cases = poll_test_cases,
};

kunit_test_suite(poll_test_suite);
