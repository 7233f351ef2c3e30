/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the ready list and the overflow list: every rule that
 * queues, delivers, re-queues or dumps an item (the delivery scan, the
 * callback's queueing, MOD's update, the ready dump).
 *
 * Pure list logic: no __user pointers, no files.  The file-facing parts
 * (re-polling an item, copying an event out) come in through
 * struct sep_scan_ops, so KUnit can drive every rule with fakes.
 */
#ifndef _SHADOW_EPOLL_READYLIST_H
#define _SHADOW_EPOLL_READYLIST_H

#include "sep.h"

/**
 * struct sep_scan_ops - what a scan needs from the outside world
 * @poll: re-poll @item at nesting @depth; return the ready events already
 *        masked with the item's interest (0 means "not ready")
 * @copy: copy one event to output slot @idx; return non-zero on a fault
 */
struct sep_scan_ops {
	__poll_t (*poll)(struct sep_item *item, int depth, void *ctx);
	int (*copy)(void *ctx, int idx, __poll_t revents, u64 data);
};

typedef void (*sep_walk_fn)(void *ctx, const struct sep_item *item, u32 flags);

void sep_start_scan(struct sep_instance *ep, struct list_head *txlist);
void sep_done_scan(struct sep_instance *ep, struct list_head *txlist);
int sep_deliver(struct sep_instance *ep, const struct sep_scan_ops *ops,
		void *ctx, int maxevents);
__poll_t sep_scan_ready(struct sep_instance *ep, const struct sep_scan_ops *ops,
			void *ctx, int depth);

bool sep_event_arrived(struct sep_instance *ep, struct sep_item *item,
		       __poll_t pollflags);
bool sep_exclusive_ewake(__poll_t events, __poll_t pollflags);
bool sep_queue_if_ready(struct sep_instance *ep, struct sep_item *item);
void sep_unqueue(struct sep_instance *ep, struct sep_item *item);
void sep_set_event(struct sep_instance *ep, struct sep_item *item,
		   __poll_t events, u64 data);
bool sep_events_available(struct sep_instance *ep);
unsigned long sep_ready_walk(struct sep_instance *ep, sep_walk_fn fn,
			     void *ctx, unsigned long limit, u32 *dump_flags);

#endif /* _SHADOW_EPOLL_READYLIST_H */
