// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: the delivery scan (sep_deliver), table-driven over
 * the worked examples of docs/epoll-semantics.md §2.5 (a)-(g).
 *
 * Every expected order below is written from the specification: items A-E
 * are ready and queued in that order, each step is one epoll_wait().  After
 * every step the runner also checks the invariants that hold for any scan:
 * no item twice in one result, every undelivered item still queued, events
 * neither created nor lost, EFAULT puts the item back at the head, keeps a
 * ONESHOT item armed and is returned only when nothing was delivered.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include <kunit/test.h>

#include "fake.h"

#define SCAN_MAX_STEPS	6

/* Slot numbers are stored +1 so that 0 (the default) means "none". */
#define SLOT(n)		((n) + 1)
#define POLL(n)		((n) + 1)

/**
 * struct scan_step - one epoll_wait() and what happens around it
 * @max:     maxevents, 0 for the case default
 * @drain:   items whose file stops being ready before the call (no wakeup)
 * @refill:  items whose file becomes ready again without a wakeup
 * @signal:  items woken (key EPOLLIN) before the call
 * @rearm:   items re-armed by EPOLL_CTL_MOD before the call
 * @before:  expected ready list after those actions (NULL: not checked)
 * @fault:   SLOT(n): the copy to output slot n faults
 * @fire_at: SLOT(n): @fire is signalled while slot n is being copied
 * @fire_at_poll: POLL(n): @fire is signalled during the n-th re-poll
 * @fire:    items woken (key EPOLLIN) during the scan, in order
 * @polled:  expected re-poll order (NULL: not checked)
 * @want:    expected delivered items, in order; NULL ends the case
 * @efault:  the call must return -EFAULT
 * @after:   expected ready list after the call
 */
struct scan_step {
	int max;
	const char *drain;
	const char *refill;
	const char *signal;
	const char *rearm;
	const char *before;
	int fault;
	int fire_at;
	int fire_at_poll;
	const char *fire;
	const char *polled;
	const char *want;
	bool efault;
	const char *after;
};

/**
 * struct scan_case - a worked example
 * @desc:    name of the parameter
 * @modes:   one mode letter per item (see fake.h)
 * @initial: items queued (ready) at the start, in order
 * @max:     default maxevents
 * @steps:   the calls
 */
struct scan_case {
	const char *desc;
	const char *modes;
	const char *initial;
	int max;
	struct scan_step steps[SCAN_MAX_STEPS];
};

static const struct scan_case scan_cases[] = {
	/* (a) 5 x LT, max 2: strict round-robin rotation. */
	{ "a_lt_round_robin", "LLLLL", "ABCDE", 2, {
		{ .want = "AB", .polled = "AB", .after = "CDEAB" },
		{ .want = "CD", .polled = "CD", .after = "EABCD" },
		{ .want = "EA", .polled = "EA", .after = "BCDEA" },
		{ .want = "BC", .polled = "BC", .after = "DEABC" },
	} },
	{ "a_lt_max1_rotates_head_to_tail", "LLL", "ABC", 1, {
		{ .want = "A", .after = "BCA" },
		{ .want = "B", .after = "CAB" },
		{ .want = "C", .after = "ABC" },
	} },
	{ "a_lt_max_above_ready", "LLL", "ABC", 10, {
		{ .want = "ABC", .after = "ABC" },
		{ .want = "ABC", .after = "ABC" },
	} },
	/* (b) 5 x ET. */
	{ "b_et_consumed_once", "EEEEE", "ABCDE", 2, {
		{ .want = "AB", .after = "CDE" },
		{ .want = "CD", .after = "E" },
		{ .want = "E", .after = "" },
		{ .want = "", .polled = "", .after = "" },
	} },
	{ "b_et_new_event_appends_at_tail", "EEEEE", "ABCDE", 2, {
		{ .want = "AB", .after = "CDE" },
		{ .signal = "A", .before = "CDEA", .want = "CD", .after = "EA" },
		{ .signal = "E", .before = "EA", .want = "EA", .after = "" },
	} },
	/* (c) 5 x ONESHOT, level and edge: as (b), then disarmed. */
	{ "c_oneshot_lt", "OOOOO", "ABCDE", 2, {
		{ .want = "AB", .after = "CDE" },
		{ .want = "CD", .after = "E" },
		{ .want = "E", .after = "" },
		{ .signal = "ABCDE", .before = "", .want = "", .after = "" },
		{ .rearm = "A", .before = "A", .want = "A", .after = "" },
		{ .signal = "A", .before = "", .want = "", .after = "" },
	} },
	{ "c_oneshot_et", "ooooo", "ABCDE", 2, {
		{ .want = "AB", .after = "CDE" },
		{ .want = "CD", .after = "E" },
		{ .want = "E", .after = "" },
		{ .signal = "AC", .before = "", .want = "", .after = "" },
		{ .rearm = "C", .before = "C", .want = "C", .after = "" },
	} },
	/* (d) A=LT B=ET C=ONESHOT D=LT E=ET. */
	{ "d_mixed_modes", "LEOLE", "ABCDE", 2, {
		{ .want = "AB", .after = "CDEA" },
		{ .want = "CD", .after = "EAD" },
		{ .want = "EA", .after = "DA" },
		{ .want = "DA", .after = "DA" },
		{ .want = "DA", .after = "DA" },
	} },
	/* (e) An item that re-polls to 0 is dropped and not counted. */
	{ "e_not_ready_dropped", "LLLLL", "ABCDE", 2, {
		{ .drain = "B", .want = "AC", .polled = "ABC",
		  .after = "DEAC" },
		{ .want = "DE", .polled = "DE", .after = "ACDE" },
	} },
	{ "e_not_ready_not_counted", "LLLLL", "ABCDE", 2, {
		{ .drain = "BC", .want = "AD", .polled = "ABCD",
		  .after = "EAD" },
	} },
	{ "e_dropped_stays_off_until_event", "LLLLL", "ABCDE", 5, {
		{ .drain = "ABCDE", .want = "", .polled = "ABCDE",
		  .after = "" },
		{ .refill = "ABCDE", .before = "", .want = "", .after = "" },
		{ .signal = "DB", .before = "DB", .want = "DB", .after = "DB" },
	} },
	{ "e_empty_list", "LL", "", 4, {
		{ .want = "", .polled = "", .after = "" },
		{ .signal = "B", .before = "B", .want = "B", .after = "B" },
	} },
	/* MOD of a queued item neither moves nor duplicates it. */
	{ "e_mod_keeps_queued_position", "LLL", "ABC", 1, {
		{ .rearm = "AB", .before = "ABC", .want = "A", .after = "BCA" },
	} },
	/* (f) EFAULT: slot n faults, the item goes back to the head. */
	{ "f_efault_slot0_lt", "LLLLL", "ABCDE", 3, {
		{ .fault = SLOT(0), .want = "", .efault = true,
		  .polled = "A", .after = "ABCDE" },
		{ .want = "ABC", .after = "DEABC" },
	} },
	{ "f_efault_slot1_lt", "LLLLL", "ABCDE", 3, {
		{ .fault = SLOT(1), .want = "A", .polled = "AB",
		  .after = "BCDEA" },
		{ .want = "BCD", .after = "EABCD" },
	} },
	{ "f_efault_slot2_lt", "LLLLL", "ABCDE", 3, {
		{ .fault = SLOT(2), .want = "AB", .after = "CDEAB" },
	} },
	{ "f_efault_slot3_lt", "LLLLL", "ABCDE", 5, {
		{ .fault = SLOT(3), .want = "ABC", .after = "DEABC" },
	} },
	{ "f_efault_slot4_lt", "LLLLL", "ABCDE", 5, {
		{ .fault = SLOT(4), .want = "ABCD", .after = "EABCD" },
	} },
	{ "f_efault_slot0_oneshot", "OOOOO", "ABCDE", 3, {
		{ .fault = SLOT(0), .want = "", .efault = true,
		  .after = "ABCDE" },
		{ .max = 5, .want = "ABCDE", .after = "" },
	} },
	{ "f_efault_slot1_oneshot", "OOOOO", "ABCDE", 3, {
		{ .fault = SLOT(1), .want = "A", .after = "BCDE" },
		{ .max = 2, .want = "BC", .after = "DE" },
	} },
	{ "f_efault_slot2_oneshot_et", "ooooo", "ABCDE", 3, {
		{ .fault = SLOT(2), .want = "AB", .after = "CDE" },
		{ .want = "CDE", .after = "" },
	} },
	{ "f_efault_slot1_et", "EEEEE", "ABCDE", 3, {
		{ .fault = SLOT(1), .want = "A", .after = "BCDE" },
		{ .want = "BCD", .after = "E" },
	} },
	{ "f_efault_slot1_mixed", "LEOLE", "ABCDE", 4, {
		{ .fault = SLOT(1), .want = "A", .after = "BCDEA" },
		{ .fault = SLOT(2), .want = "BC", .after = "DEA" },
		{ .want = "DEA", .after = "DA" },
	} },
	{ "f_efault_repeated_keeps_order", "LLLLL", "ABCDE", 3, {
		{ .fault = SLOT(0), .want = "", .efault = true,
		  .after = "ABCDE" },
		{ .fault = SLOT(0), .want = "", .efault = true,
		  .after = "ABCDE" },
		{ .fault = SLOT(1), .want = "A", .after = "BCDEA" },
	} },
	{ "f_efault_after_dropped_item", "LLLLL", "ABCDE", 3, {
		{ .drain = "A", .fault = SLOT(0), .want = "", .efault = true,
		  .polled = "AB", .after = "BCDE" },
	} },
	/* (g) Events during a scan (copy of slot 1 paused). */
	{ "g_lt_events_during_scan", "LLLLLLL", "ABCDE", 3, {
		{ .fire_at = SLOT(1), .fire = "FGCA", .want = "ABC",
		  .after = "DEFGABC" },
		{ .want = "DEF", .after = "GABCDEF" },
	} },
	{ "g_lt_events_during_scan_max5", "LLLLLLL", "ABCDE", 5, {
		{ .fire_at = SLOT(1), .fire = "FGCA", .want = "ABCDE",
		  .after = "FGABCDE" },
	} },
	{ "g_et_events_during_scan", "EEEEEE", "ABCDE", 3, {
		{ .fire_at = SLOT(1), .fire = "FAD", .want = "ABC",
		  .after = "DEFA" },
		{ .max = 4, .want = "DEFA", .after = "" },
	} },
	{ "g_et_duplicate_quirk", "EEEEE", "ABCDE", 3, {
		{ .fire_at = SLOT(1), .fire = "C", .want = "ABC",
		  .after = "DEC" },
		{ .max = 5, .want = "DEC", .after = "" },
	} },
	{ "g_et_duplicate_consumed_dropped", "EEEEE", "ABCDE", 3, {
		{ .fire_at = SLOT(1), .fire = "C", .want = "ABC",
		  .after = "DEC" },
		{ .max = 5, .drain = "C", .want = "DE", .polled = "DEC",
		  .after = "" },
	} },
	{ "g_oneshot_events_during_scan", "OOOOO", "ABCDE", 3, {
		{ .fire_at = SLOT(1), .fire = "AD", .want = "ABC",
		  .after = "DE" },
	} },
	{ "g_lt_event_during_repoll", "LLLLLL", "ABCDE", 3, {
		{ .fire_at_poll = POLL(2), .fire = "F", .want = "ABC",
		  .after = "DEFABC" },
	} },
	{ "g_lt_event_on_dropped_item", "LLLLL", "ABCDE", 3, {
		{ .drain = "B", .fire_at = SLOT(1), .fire = "B",
		  .want = "ACD", .polled = "ABCD", .after = "EBACD" },
	} },
	{ "g_efault_with_arrivals", "LLLLLL", "ABCDE", 3, {
		{ .fire_at = SLOT(1), .fault = SLOT(1), .fire = "F",
		  .want = "A", .after = "BCDEFA" },
		{ .want = "BCD", .after = "EFABCD" },
	} },
	{ "g_efault_first_slot_with_arrivals", "LLLLLLL", "ABCDE", 3, {
		{ .fire_at = SLOT(0), .fault = SLOT(0), .fire = "GAF",
		  .want = "", .efault = true, .after = "ABCDEGF" },
	} },
};

static void scan_case_desc(const struct scan_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(scan, scan_cases, scan_case_desc);

static bool scan_is_lt(__poll_t events)
{
	return !(events & (EPOLLET | EPOLLONESHOT));
}

/* Invariants of one call, independent of the expected orders. */
static void scan_check_invariants(struct kunit *test, struct sepk_fix *fix,
				  int step, int max, int res,
				  u32 before, const __poll_t *events_before)
{
	char got[SEPK_MAX_NAMES + 1], after_list[SEPK_MAX_NAMES + 1];
	u32 delivered = 0, delivered_gone = 0, after, expect;
	__poll_t revents;
	int i;

	sepk_result(fix, got);
	sepk_ready_list(fix, after_list);
	after = sepk_ready_set(fix);
	sepk_expect_idle(fix);

	KUNIT_EXPECT_LE_MSG(test, fix->ncopied, max, "step %d", step);
	/* No item twice in one result; each revents is a subset of what the
	 * item polled, and never zero.
	 */
	for (i = 0; got[i]; i++) {
		int k = sepk_index(fix, got[i]);

		KUNIT_EXPECT_FALSE_MSG(test, delivered & BIT(k),
				       "step %d: '%c' twice in %s",
				       step, got[i], got);
		delivered |= BIT(k);
		revents = fix->out[i].revents;
		KUNIT_EXPECT_NE_MSG(test, SEPK_BITS(revents), 0, "step %d", step);
		revents &= ~(fix->mask[k] & events_before[k]);
		KUNIT_EXPECT_EQ_MSG(test, SEPK_BITS(revents), 0,
				    "step %d: revents of '%c'", step, got[i]);
		if (!scan_is_lt(events_before[k]))
			delivered_gone |= BIT(k);
	}

	/* -EFAULT only when nothing was delivered; otherwise the count. */
	if (res < 0) {
		KUNIT_EXPECT_EQ_MSG(test, res, -EFAULT, "step %d", step);
		KUNIT_EXPECT_EQ_MSG(test, fix->ncopied, 0, "step %d", step);
		KUNIT_EXPECT_EQ_MSG(test, fix->nfaults, 1, "step %d", step);
	} else {
		KUNIT_EXPECT_EQ_MSG(test, res, fix->ncopied, "step %d", step);
	}

	/* A faulting item is back at the head and keeps its interest. */
	if (fix->nfaults) {
		int k = fix->last_polled;

		KUNIT_ASSERT_NE(test, k, SEPK_NONE);
		KUNIT_EXPECT_EQ_MSG(test, after_list[0], (char)('A' + k),
				    "step %d: faulting item not at the head of %s",
				    step, after_list);
		KUNIT_EXPECT_EQ_MSG(test, SEPK_BITS(fix->items[k]->events),
				    SEPK_BITS(events_before[k]),
				    "step %d: faulting item changed its events",
				    step);
		KUNIT_EXPECT_FALSE_MSG(test, delivered & BIT(k), "step %d", step);
	}

	/* ONESHOT: disarmed exactly when delivered. */
	for (i = 0; i < fix->nitems; i++) {
		if (!(events_before[i] & EPOLLONESHOT))
			continue;
		if (delivered & BIT(i))
			KUNIT_EXPECT_TRUE_MSG(test, sep_is_disarmed(fix->items[i]->events),
					      "step %d: '%c' still armed", step, 'A' + i);
		else
			KUNIT_EXPECT_EQ_MSG(test, SEPK_BITS(fix->items[i]->events),
					    SEPK_BITS(events_before[i]),
					    "step %d: '%c' changed", step, 'A' + i);
	}

	/* Every undelivered item that did not poll to 0 is still queued. */
	expect = before & ~delivered & ~fix->dropped;
	KUNIT_EXPECT_EQ_MSG(test, after & expect, expect,
			    "step %d: undelivered items lost (ready list %s)",
			    step, after_list);

	/*
	 * Conservation: what was queued, less what polled to 0 and what was
	 * consumed (ET, ONESHOT), plus what arrived during the scan.  For LT
	 * items this says the set of queued items is unchanged.
	 */
	expect = (before & ~fix->dropped & ~delivered_gone) | fix->fire_accepted;
	KUNIT_EXPECT_EQ_MSG(test, after, expect,
			    "step %d: events created or lost (ready list %s)",
			    step, after_list);
}

static void scan_worked_example(struct kunit *test)
{
	const struct scan_case *c = test->param_value;
	struct sepk_fix *fix = sepk_fix_new(test, c->modes);
	__poll_t armed[SEPK_MAX_ITEMS];
	int s, i;

	for (i = 0; i < fix->nitems; i++)
		armed[i] = fix->items[i]->events;
	sepk_queue(fix, c->initial);

	for (s = 0; s < SCAN_MAX_STEPS && c->steps[s].want; s++) {
		const struct scan_step *st = &c->steps[s];
		char got[SEPK_MAX_NAMES + 1], list[SEPK_MAX_NAMES + 1];
		__poll_t events_before[SEPK_MAX_ITEMS];
		int max = st->max ? st->max : c->max;
		u32 before;
		int res;

		sepk_set_mask(fix, st->drain, 0);
		sepk_set_mask(fix, st->refill, EPOLLIN);
		sepk_signal(fix, st->signal, EPOLLIN);
		for (i = 0; st->rearm && st->rearm[i]; i++) {
			struct sep_item *item = sepk_item(fix, st->rearm[i]);

			/* EPOLL_CTL_MOD: new interest, queue if it polls ready. */
			item->events = armed[sepk_index(fix, st->rearm[i])];
			if (fix->mask[sepk_index(fix, st->rearm[i])] & item->events)
				sepk_queue(fix, (char[]){ st->rearm[i], '\0' });
		}
		if (st->before) {
			sepk_ready_list(fix, list);
			KUNIT_EXPECT_STREQ_MSG(test, list, st->before,
					       "step %d: ready list before the call", s);
		}

		before = sepk_ready_set(fix);
		for (i = 0; i < fix->nitems; i++)
			events_before[i] = fix->items[i]->events;
		sepk_reset_call(fix);
		fix->fault_slot = st->fault ? st->fault - 1 : SEPK_NONE;
		fix->fire = st->fire;
		fix->fire_at_copy = st->fire_at ? st->fire_at - 1 : SEPK_NONE;
		fix->fire_at_poll = st->fire_at_poll ? st->fire_at_poll - 1 : SEPK_NONE;

		res = sepk_deliver(fix, max);

		if (st->fire)
			KUNIT_EXPECT_TRUE_MSG(test, fix->fired,
					      "step %d: the scan never reached the hook", s);
		KUNIT_EXPECT_EQ_MSG(test, res,
				    st->efault ? -EFAULT : (int)strlen(st->want),
				    "step %d", s);
		sepk_result(fix, got);
		KUNIT_EXPECT_STREQ_MSG(test, got, st->want, "step %d: delivered", s);
		if (st->polled)
			KUNIT_EXPECT_STREQ_MSG(test, fix->polled, st->polled,
					       "step %d: re-polled", s);
		sepk_ready_list(fix, list);
		KUNIT_EXPECT_STREQ_MSG(test, list, st->after,
				       "step %d: ready list after the call", s);
		scan_check_invariants(test, fix, s, max, res, before, events_before);
	}
}

/* The maxevents check comes first: items past it are not even re-polled. */
static void scan_stops_before_polling_past_max(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LLLL");

	sepk_queue(fix, "ABCD");
	sepk_set_mask(fix, "D", 0);
	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 3), 3);
	KUNIT_EXPECT_STREQ(test, fix->polled, "ABC");
	KUNIT_EXPECT_EQ(test, fix->depth, 1);
}

/* revents is the polled mask restricted to the interest set. */
static void scan_revents_masked_by_interest(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "LL");

	fix->items[0]->events = EPOLLOUT | EPOLLERR | EPOLLHUP;
	fix->mask[0] = EPOLLIN | EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	fix->mask[1] = EPOLLIN | EPOLLRDNORM | EPOLLPRI;
	fix->items[1]->events |= EPOLLRDNORM;
	sepk_queue(fix, "AB");
	KUNIT_ASSERT_EQ(test, sepk_deliver(fix, 4), 2);
	KUNIT_EXPECT_EQ(test, SEPK_BITS(fix->out[0].revents),
			SEPK_BITS(EPOLLOUT | EPOLLHUP));
	KUNIT_EXPECT_EQ(test, SEPK_BITS(fix->out[1].revents),
			SEPK_BITS(EPOLLIN | EPOLLRDNORM));
}

/* The data copied is the item's current data (MOD changes what is reported). */
static void scan_reports_current_data(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "L");

	sepk_queue(fix, "A");
	fix->items[0]->data = SEPK_DATA_TAG | 'A' | 0x1200;
	KUNIT_ASSERT_EQ(test, sepk_deliver(fix, 1), 1);
	KUNIT_EXPECT_EQ(test, fix->out[0].data, SEPK_DATA_TAG | 'A' | 0x1200);
}

/* A scan leaves the instance idle and the list consistent even when empty. */
static void scan_empty_is_idle(struct kunit *test)
{
	struct sepk_fix *fix = sepk_fix_new(test, "L");

	KUNIT_EXPECT_EQ(test, sepk_deliver(fix, 1), 0);
	KUNIT_EXPECT_EQ(test, fix->npolled, 0);
	sepk_expect_idle(fix);
	KUNIT_EXPECT_FALSE(test, sep_events_available(fix->ep));
}

static struct kunit_case scan_test_cases[] = {
	KUNIT_CASE_PARAM(scan_worked_example, scan_gen_params),
	KUNIT_CASE(scan_stops_before_polling_past_max),
	KUNIT_CASE(scan_revents_masked_by_interest),
	KUNIT_CASE(scan_reports_current_data),
	KUNIT_CASE(scan_empty_is_idle),
	{}
};

static struct kunit_suite scan_test_suite = {
	.name = "shadow_epoll_readylist_deliver",
	.test_cases = scan_test_cases,
};

kunit_test_suite(scan_test_suite);
