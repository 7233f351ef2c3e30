/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll KUnit: a fake world for the delivery core.
 *
 * Items have no file.  They are named by letters ('A' is item 0) and carry
 * data SEPK_DATA_TAG | letter.  The fake poll op reports a per-item mask
 * the test controls (masked with the item's interest, as the real re-poll
 * does); the fake copy op records (revents, data) per output slot and can
 * fail at a chosen slot.  Either op can fire wakeups for other items at a
 * chosen moment, through sep_event_arrived() under the instance lock,
 * exactly like a callback arriving during the scan.
 */
#ifndef _SHADOW_EPOLL_KUNIT_FAKE_H
#define _SHADOW_EPOLL_KUNIT_FAKE_H

#include <linux/types.h>

#include <kunit/test.h>

#include "../module/object.h"
#include "../module/readylist.h"

#define SEPK_MAX_ITEMS		8
#define SEPK_MAX_OUT		16
#define SEPK_MAX_NAMES		32
#define SEPK_NONE		(-1)
#define SEPK_DATA_TAG		0x5e9a000000000000ULL

/* A __poll_t as a plain integer, for KUnit's comparisons (sparse). */
#define SEPK_BITS(p)		((__force u32)(p))

/* Registration modes used in the "modes" strings of the tests. */
#define SEPK_LT		'L'	/* level-triggered */
#define SEPK_ET		'E'	/* EPOLLET */
#define SEPK_ONESHOT	'O'	/* EPOLLONESHOT (level) */
#define SEPK_ONESHOT_ET	'o'	/* EPOLLONESHOT | EPOLLET */

struct sepk_out {
	__poll_t revents;
	u64 data;
};

/**
 * struct sepk_fix - one fake instance with its items and op logs
 * @test:         the running test
 * @ep:           the instance
 * @items:        the items, item i is named 'A' + i
 * @nitems:       number of items
 * @mask:         what the fake poll reports for each item (before masking)
 * @out:          slots written by the fake copy op
 * @ncopied:      successful copies in the current call
 * @nfaults:      failed copies in the current call
 * @fault_slot:   output slot whose copy fails, or SEPK_NONE
 * @polled:       names of the items polled in the current call, in order
 * @npolled:      length of @polled
 * @depth:        depth passed to the last poll
 * @last_polled:  index of the item polled last, or SEPK_NONE
 * @dropped:      bitmask of items that polled to 0 in the current call
 * @delivering:   inside sep_deliver() (not sep_scan_ready())
 * @fire:         names of the items to signal during the scan, or NULL
 * @fire_key:     wakeup key for @fire
 * @fire_at_copy: fire before copying this slot, or SEPK_NONE
 * @fire_at_poll: fire in this (0-based) poll call, or SEPK_NONE
 * @fired:        the hook ran
 * @fire_accepted: bitmask of @fire items that sep_event_arrived() accepted
 * @walk_at_fire: take a sep_ready_walk() snapshot right after firing
 * @walk:         names visited by the last walk
 * @walk_flags:   flags of each visited entry
 * @walk_n:       return value of the last walk
 * @walk_dump_flags: dump flags of the last walk
 */
struct sepk_fix {
	struct kunit *test;
	struct sep_instance *ep;
	struct sep_item *items[SEPK_MAX_ITEMS];
	int nitems;
	__poll_t mask[SEPK_MAX_ITEMS];

	struct sepk_out out[SEPK_MAX_OUT];
	int ncopied;
	int nfaults;
	int fault_slot;

	char polled[SEPK_MAX_NAMES + 1];
	int npolled;
	int depth;
	int last_polled;
	u32 dropped;
	bool delivering;

	const char *fire;
	__poll_t fire_key;
	int fire_at_copy;
	int fire_at_poll;
	bool fired;
	u32 fire_accepted;

	bool walk_at_fire;
	char walk[SEPK_MAX_NAMES + 1];
	u32 walk_flags[SEPK_MAX_NAMES];
	unsigned long walk_n;
	u32 walk_dump_flags;
};

extern const struct sep_scan_ops sepk_ops;

__poll_t sepk_mode_events(char mode);
struct sepk_fix *sepk_fix_new(struct kunit *test, const char *modes);
int sepk_index(struct sepk_fix *fix, char name);
struct sep_item *sepk_item(struct sepk_fix *fix, char name);
u32 sepk_set(struct sepk_fix *fix, const char *names);
void sepk_queue(struct sepk_fix *fix, const char *names);
u32 sepk_signal(struct sepk_fix *fix, const char *names, __poll_t key);
void sepk_set_mask(struct sepk_fix *fix, const char *names, __poll_t mask);
void sepk_ready_list(struct sepk_fix *fix, char *buf);
u32 sepk_ready_set(struct sepk_fix *fix);
void sepk_result(struct sepk_fix *fix, char *buf);
void sepk_reset_call(struct sepk_fix *fix);
int sepk_deliver(struct sepk_fix *fix, int maxevents);
u32 sepk_scan_ready(struct sepk_fix *fix, int depth);
void sepk_walk(struct sepk_fix *fix);
void sepk_expect_idle(struct sepk_fix *fix);
int sepk_ovflist_len(struct sepk_fix *fix);

#endif /* _SHADOW_EPOLL_KUNIT_FAKE_H */
