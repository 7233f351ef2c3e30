// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: the inspectable ready list (sep_ready_walk).
 *
 * Without a scan the walk is the ready list.  During a scan it is the order
 * the done step will produce (docs/epoll-semantics.md §2.4): the scan's leftovers,
 * then the overflow arrivals not already queued in callback order, then the
 * re-queued level-triggered items, each with the flags saying where it is.
 */
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/string.h>

#include <kunit/test.h>

#include "fake.h"

#define RDY	SEP_ENTRY_READY
#define SCN	SEP_ENTRY_SCAN
#define OVF	SEP_ENTRY_OVFLIST
#define DYI	SEP_ENTRY_DYING

static void dump_expect(struct kunit *test, struct sepk_fix *fix,
			const char *order, const u32 *flags, u32 dump_flags)
{
	int i, n = strlen(order);

	KUNIT_EXPECT_STREQ(test, fix->walk, order);
	KUNIT_EXPECT_EQ(test, fix->walk_n, (unsigned long)n);
	KUNIT_EXPECT_EQ(test, fix->walk_dump_flags, dump_flags);
	for (i = 0; i < n && fix->walk[i]; i++)
		KUNIT_EXPECT_EQ_MSG(test, fix->walk_flags[i], flags[i],
				    "flags of entry %d ('%c')", i, fix->walk[i]);
}

static void dump_idle_is_ready_list(struct kunit *test)
{
	static const u32 flags[] = { RDY, RDY, RDY };
	struct sepk_fix *fix = sepk_fix_new(test, "LEO");

	sepk_queue(fix, "CAB");
	sepk_walk(fix);
	dump_expect(test, fix, "CAB", flags, 0);
	/* Walking changes nothing. */
	sepk_walk(fix);
	dump_expect(test, fix, "CAB", flags, 0);
}

static void dump_idle_empty(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "L");

	sepk_walk(fix);
	dump_expect(test, fix, "", NULL, 0);
}

/* §2.5 (g) frozen while slot 1 is copied: C D E | F G | A. */
static void dump_during_delivery(struct kunit *test)
{
	static const u32 flags[] = {
		SCN | OVF, SCN, SCN, OVF, OVF, RDY | OVF,
	};
	struct sepk_fix *fix = sepk_fix_new(test, "LLLLLLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABCDE");
	fix->fire = "FGCA";
	fix->fire_at_copy = 1;
	fix->walk_at_fire = true;
	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 3), 3);
	/* B is being copied: it is on no list and not shown. */
	dump_expect(test, fix, "CDEFGA", flags, 1);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "DEFGABC");
}

/* ET: an item woken while still pending is shown once, in its place. */
static void dump_during_delivery_et(struct kunit *test)
{
	static const u32 flags[] = { SCN | OVF, SCN, SCN, OVF, OVF };
	struct sepk_fix *fix = sepk_fix_new(test, "EEEEEE");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABCDE");
	fix->fire = "CAF";
	fix->fire_at_copy = 1;
	fix->walk_at_fire = true;
	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 3), 3);
	/* A was consumed (ET, unlinked), so its arrival is a new entry. */
	dump_expect(test, fix, "CDEAF", flags, 1);
	sepk_ready_list(fix, list);
	/* C was delivered after the walk: its arrival re-queues it (quirk). */
	KUNIT_EXPECT_STREQ(test, list, "DECAF");
}

/* The walk during a scan predicts the list the done step builds. */
static void dump_predicts_done_scan(struct kunit *test)
{
	static const u32 flags[] = { SCN, SCN | OVF, SCN, OVF, OVF };
	static const u32 idle[] = { RDY, RDY, RDY, RDY, RDY };
	struct sepk_fix *fix = sepk_fix_new(test, "LLLLL");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	sepk_queue(fix, "ABC");
	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	sepk_signal(fix, "EBD", EPOLLIN);
	sepk_walk(fix);
	dump_expect(test, fix, "ABCED", flags, 1);
	/* The overflow chain is restored after the walk: walk again. */
	sepk_walk(fix);
	dump_expect(test, fix, "ABCED", flags, 1);
	KUNIT_EXPECT_EQ(test, sepk_ovflist_len(fix), 3);
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABCED");
	sepk_walk(fix);
	dump_expect(test, fix, "ABCED", idle, 0);
	sepk_expect_idle(fix);
}

/* Only arrivals: shown in callback order, and drained in that order. */
static void dump_overflow_callback_order(struct kunit *test)
{
	static const u32 flags[] = { OVF, OVF, OVF, OVF };
	struct sepk_fix *fix = sepk_fix_new(test, "LLLL");
	char list[SEPK_MAX_NAMES + 1];
	LIST_HEAD(txlist);

	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	sepk_signal(fix, "DCAB", EPOLLIN);
	sepk_walk(fix);
	dump_expect(test, fix, "DCAB", flags, 1);
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "DCAB");
}

static void dump_dying_flag(struct kunit *test)
{
	static const u32 idle[] = { RDY, RDY | DYI };
	static const u32 scan[] = { SCN, SCN | DYI, OVF | DYI };
	struct sepk_fix *fix = sepk_fix_new(test, "LLL");
	LIST_HEAD(txlist);

	sepk_queue(fix, "AB");
	fix->items[1]->dying = true;
	fix->items[2]->dying = true;
	sepk_walk(fix);
	dump_expect(test, fix, "AB", idle, 0);

	mutex_lock(&fix->ep->mtx);
	sep_start_scan(fix->ep, &txlist);
	sepk_signal(fix, "C", EPOLLIN);
	sepk_walk(fix);
	dump_expect(test, fix, "ABC", scan, 1);
	sep_done_scan(fix->ep, &txlist);
	mutex_unlock(&fix->ep->mtx);
}

/* Polling the instance is a scan too; its leftovers show as such. */
static void dump_during_poll_scan(struct kunit *test)
{
	static const u32 flags[] = { SCN, SCN, SCN | OVF, OVF };
	struct sepk_fix *fix = sepk_fix_new(test, "LLLL");
	char list[SEPK_MAX_NAMES + 1];

	sepk_queue(fix, "ABC");
	fix->fire = "CD";
	fix->fire_at_poll = 0;
	fix->walk_at_fire = true;
	KUNIT_EXPECT_EQ(test, sepk_scan_ready(fix, 0), SEPK_BITS(EPOLLIN | EPOLLRDNORM));
	dump_expect(test, fix, "ABCD", flags, 1);
	sepk_ready_list(fix, list);
	KUNIT_EXPECT_STREQ(test, list, "ABCD");
}

static struct kunit_case dump_test_cases[] = {
	KUNIT_CASE(dump_idle_is_ready_list),
	KUNIT_CASE(dump_idle_empty),
	KUNIT_CASE(dump_during_delivery),
	KUNIT_CASE(dump_during_delivery_et),
	KUNIT_CASE(dump_predicts_done_scan),
	KUNIT_CASE(dump_overflow_callback_order),
	KUNIT_CASE(dump_dying_flag),
	KUNIT_CASE(dump_during_poll_scan),
	{}
};

static struct kunit_suite dump_test_suite = {
	.name = "shadow_epoll_readylist_dump",
	.test_cases = dump_test_cases,
};

kunit_test_suite(dump_test_suite);
