// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: the fake instance shared by all suites, and the
 * module information of shadow_epoll_kunit.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <kunit/test.h>

#include "compat.h"
#include "fake.h"

__poll_t sepk_mode_events(char mode)
{
	__poll_t events = EPOLLIN | EPOLLERR | EPOLLHUP;

	switch (mode) {
	case SEPK_ET:
		return events | EPOLLET;
	case SEPK_ONESHOT:
		return events | EPOLLONESHOT;
	case SEPK_ONESHOT_ET:
		return events | EPOLLONESHOT | EPOLLET;
	default:
		return events;
	}
}

/**
 * sepk_fix_new() - a fresh instance with one idle item per mode letter
 * @test:  the running test (owns every allocation)
 * @modes: one of SEPK_LT, SEPK_ET, SEPK_ONESHOT, SEPK_ONESHOT_ET per item
 *
 * Every item starts unqueued and polls EPOLLIN.
 *
 * Return: the fixture; the test is aborted on allocation failure.
 */
struct sepk_fix *sepk_fix_new(struct kunit *test, const char *modes)
{
	struct sepk_fix *fix;
	int i, n = strlen(modes);

	KUNIT_ASSERT_LE(test, n, SEPK_MAX_ITEMS);
	fix = kunit_kzalloc(test, sizeof(*fix), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fix);
	fix->test = test;
	fix->ep = kunit_kzalloc(test, sizeof(*fix->ep), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fix->ep);
	sep_instance_init_lists(fix->ep);

	for (i = 0; i < n; i++) {
		struct sep_item *item;

		item = kunit_kzalloc(test, sizeof(*item), GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, item);
		sep_item_init(item);
		item->ep = fix->ep;
		item->fd = i;
		item->events = sepk_mode_events(modes[i]);
		item->data = SEPK_DATA_TAG | ('A' + i);
		fix->items[i] = item;
		fix->mask[i] = EPOLLIN;
	}
	fix->nitems = n;
	sepk_reset_call(fix);
	return fix;
}

int sepk_index(struct sepk_fix *fix, char name)
{
	int i = name - 'A';

	KUNIT_ASSERT_TRUE_MSG(fix->test, i >= 0 && i < fix->nitems,
			      "no item '%c'", name);
	return i;
}

struct sep_item *sepk_item(struct sepk_fix *fix, char name)
{
	return fix->items[sepk_index(fix, name)];
}

static char sepk_name(struct sepk_fix *fix, const struct sep_item *item)
{
	int i;

	for (i = 0; i < fix->nitems; i++)
		if (fix->items[i] == item)
			return 'A' + i;
	return '?';
}

/* Bitmask of the named items; NULL names nothing. */
u32 sepk_set(struct sepk_fix *fix, const char *names)
{
	u32 set = 0;

	for (; names && *names; names++)
		set |= BIT(sepk_index(fix, *names));
	return set;
}

/* Queue the named items as EPOLL_CTL_ADD/MOD of a ready file does. */
void sepk_queue(struct sepk_fix *fix, const char *names)
{
	unsigned long flags;

	for (; names && *names; names++) {
		struct sep_item *item = sepk_item(fix, *names);

		spin_lock_irqsave(&fix->ep->lock, flags);
		sep_queue_if_ready(fix->ep, item);
		spin_unlock_irqrestore(&fix->ep->lock, flags);
	}
}

/* Wake the named items, in order, as their files' callbacks would. */
u32 sepk_signal(struct sepk_fix *fix, const char *names, __poll_t key)
{
	unsigned long flags;
	u32 accepted = 0;

	for (; names && *names; names++) {
		int i = sepk_index(fix, *names);
		bool ok;

		spin_lock_irqsave(&fix->ep->lock, flags);
		ok = sep_event_arrived(fix->ep, fix->items[i], key);
		spin_unlock_irqrestore(&fix->ep->lock, flags);
		if (ok)
			accepted |= BIT(i);
	}
	return accepted;
}

void sepk_set_mask(struct sepk_fix *fix, const char *names, __poll_t mask)
{
	for (; names && *names; names++)
		fix->mask[sepk_index(fix, *names)] = mask;
}

/* The ready list as names; a list longer than SEPK_MAX_NAMES is an error. */
void sepk_ready_list(struct sepk_fix *fix, char *buf)
{
	struct sep_item *item;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&fix->ep->lock, flags);
	list_for_each_entry(item, &fix->ep->rdllist, rdllink) {
		if (n == SEPK_MAX_NAMES)
			break;
		buf[n++] = sepk_name(fix, item);
	}
	spin_unlock_irqrestore(&fix->ep->lock, flags);
	buf[n] = '\0';
	KUNIT_EXPECT_LT_MSG(fix->test, n, SEPK_MAX_NAMES, "ready list loops");
}

/* The ready list as a set; an item listed twice is a test failure. */
u32 sepk_ready_set(struct sepk_fix *fix)
{
	char buf[SEPK_MAX_NAMES + 1];
	u32 set = 0;
	int i;

	sepk_ready_list(fix, buf);
	for (i = 0; buf[i]; i++) {
		u32 bit = BIT(sepk_index(fix, buf[i]));

		KUNIT_EXPECT_FALSE_MSG(fix->test, set & bit,
				       "'%c' twice on the ready list %s",
				       buf[i], buf);
		set |= bit;
	}
	return set;
}

/* Names of the delivered events, from the recorded data. */
void sepk_result(struct sepk_fix *fix, char *buf)
{
	int i;

	for (i = 0; i < fix->ncopied; i++) {
		u64 data = fix->out[i].data;

		KUNIT_EXPECT_EQ(fix->test, data & ~0xffULL, SEPK_DATA_TAG);
		buf[i] = (char)(data & 0xff);
	}
	buf[i] = '\0';
}

void sepk_reset_call(struct sepk_fix *fix)
{
	fix->ncopied = 0;
	fix->nfaults = 0;
	fix->fault_slot = SEPK_NONE;
	fix->npolled = 0;
	fix->polled[0] = '\0';
	fix->depth = SEPK_NONE;
	fix->last_polled = SEPK_NONE;
	fix->dropped = 0;
	fix->fire = NULL;
	fix->fire_key = EPOLLIN;
	fix->fire_at_copy = SEPK_NONE;
	fix->fire_at_poll = SEPK_NONE;
	fix->fired = false;
	fix->fire_accepted = 0;
	fix->walk_at_fire = false;
}

static void sepk_walk_fn(void *ctx, const struct sep_item *item, u32 flags)
{
	struct sepk_fix *fix = ctx;
	size_t n = strlen(fix->walk);

	if (n == SEPK_MAX_NAMES)
		return;
	fix->walk[n] = sepk_name(fix, item);
	fix->walk[n + 1] = '\0';
	fix->walk_flags[n] = flags;
}

/* Snapshot the dump order into @fix->walk / @fix->walk_flags. */
void sepk_walk(struct sepk_fix *fix)
{
	fix->walk[0] = '\0';
	fix->walk_n = sep_ready_walk(fix->ep, sepk_walk_fn, fix, ULONG_MAX,
				     &fix->walk_dump_flags);
	KUNIT_EXPECT_EQ(fix->test, fix->walk_n, (unsigned long)strlen(fix->walk));
}

static void sepk_fire(struct sepk_fix *fix)
{
	if (fix->fired || !fix->fire)
		return;
	fix->fired = true;
	fix->fire_accepted = sepk_signal(fix, fix->fire, fix->fire_key);
	if (fix->walk_at_fire)
		sepk_walk(fix);
}

static __poll_t sepk_poll(struct sep_item *item, int depth, void *ctx)
{
	struct sepk_fix *fix = ctx;
	int i = sepk_index(fix, sepk_name(fix, item));
	__poll_t revents;

	if (fix->npolled == fix->fire_at_poll)
		sepk_fire(fix);
	if (fix->npolled < SEPK_MAX_NAMES) {
		fix->polled[fix->npolled] = 'A' + i;
		fix->polled[fix->npolled + 1] = '\0';
	}
	fix->npolled++;
	fix->depth = depth;
	fix->last_polled = i;
	/* Delivery unlinks an item before re-polling it; poll does not. */
	KUNIT_EXPECT_EQ(fix->test, sep_is_linked(item), !fix->delivering);
	revents = fix->mask[i] & READ_ONCE(item->events);
	if (!revents)
		fix->dropped |= BIT(i);
	return revents;
}

static int sepk_copy(void *ctx, int idx, __poll_t revents, u64 data)
{
	struct sepk_fix *fix = ctx;

	if (idx == fix->fire_at_copy)
		sepk_fire(fix);
	/* Slots are filled in order, one attempt each. */
	KUNIT_EXPECT_EQ(fix->test, idx, fix->ncopied);
	KUNIT_EXPECT_NE(fix->test, SEPK_BITS(revents), 0);
	if (idx == fix->fault_slot) {
		fix->nfaults++;
		return -EFAULT;
	}
	if (idx >= SEPK_MAX_OUT)
		return -EFAULT;
	fix->out[idx].revents = revents;
	fix->out[idx].data = data;
	fix->ncopied++;
	return 0;
}

const struct sep_scan_ops sepk_ops = {
	.poll = sepk_poll,
	.copy = sepk_copy,
};

/* One epoll_wait() scan, under the instance mutex as the caller holds it. */
int sepk_deliver(struct sepk_fix *fix, int maxevents)
{
	int res;

	mutex_lock(&fix->ep->mtx);
	fix->delivering = true;
	res = sep_deliver(fix->ep, &sepk_ops, fix, maxevents);
	fix->delivering = false;
	mutex_unlock(&fix->ep->mtx);
	return res;
}

/* One poll of the instance fd, under the instance mutex. */
u32 sepk_scan_ready(struct sepk_fix *fix, int depth)
{
	__poll_t res;

	mutex_lock(&fix->ep->mtx);
	res = sep_scan_ready(fix->ep, &sepk_ops, fix, depth);
	mutex_unlock(&fix->ep->mtx);
	return SEPK_BITS(res);
}

/* No scan is running and nothing is left on the overflow list. */
void sepk_expect_idle(struct sepk_fix *fix)
{
	int i;

	KUNIT_EXPECT_PTR_EQ(fix->test, (void *)fix->ep->ovflist,
			    (void *)SEP_UNACTIVE_PTR);
	KUNIT_EXPECT_PTR_EQ(fix->test, (void *)fix->ep->scan, NULL);
	for (i = 0; i < fix->nitems; i++)
		KUNIT_EXPECT_PTR_EQ_MSG(fix->test,
					(void *)fix->items[i]->ovf_next,
					(void *)SEP_UNACTIVE_PTR,
					"'%c' left on the overflow list", 'A' + i);
}

/* Entries on the overflow chain; -1 if no scan is running. */
int sepk_ovflist_len(struct sepk_fix *fix)
{
	struct sep_item *item;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&fix->ep->lock, flags);
	if (fix->ep->ovflist == SEP_UNACTIVE_PTR) {
		n = -1;
	} else {
		for (item = fix->ep->ovflist; item && n <= SEPK_MAX_NAMES;
		     item = item->ovf_next)
			n++;
	}
	spin_unlock_irqrestore(&fix->ep->lock, flags);
	return n;
}

MODULE_DESCRIPTION("KUnit tests for the shadow epoll delivery core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(SEPK_KUNIT_NS);
