/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: hooking watched files (wait-queue entries, the wakeup
 * callback) and following their lifetime.
 */
#ifndef _SHADOW_EPOLL_WATCH_H
#define _SHADOW_EPOLL_WATCH_H

#include <linux/rcupdate.h>

#include "sep.h"

/**
 * struct sep_pqueue - poll table used while registering an item
 * @pt:   passed to the watched file's ->poll()
 * @item: the item being registered
 */
struct sep_pqueue {
	poll_table pt;
	struct sep_item *item;
};

/**
 * sep_item_fget() - pin the watched file, unless it is being released
 * @item: the item
 *
 * Inline: it runs for every item a scan re-polls.  The preemption-disabled
 * section is an RCU reader: the file cannot be freed under it (6.1 frees
 * files after a grace period, 6.12's slab is RCU-typesafe).
 *
 * Return: the file with a new reference, or NULL.
 */
static inline struct file *sep_item_fget(struct sep_item *item)
{
	struct file *file = item->file;
	bool got;

	rcu_read_lock_sched();
	got = !READ_ONCE(item->dying) && sep_file_tryget(file);
	rcu_read_unlock_sched();
	if (!got)
		return NULL;
	/*
	 * Files may be reused once freed; the release handler marked the
	 * item dying before the old file could be freed, so a second look
	 * after the (fully ordered) increment tells whether we pinned ours.
	 */
	if (READ_ONCE(item->dying)) {
		fput(file);
		return NULL;
	}
	return file;
}

void sep_ptable_queue_proc(struct file *file, wait_queue_head_t *whead,
			   poll_table *pt);

/**
 * sep_pqueue_init() - prepare the poll table that hooks @item at ADD
 * @epq:  the table
 * @item: the item being added
 */
static inline void sep_pqueue_init(struct sep_pqueue *epq,
				   struct sep_item *item)
{
	epq->item = item;
	init_poll_funcptr(&epq->pt, sep_ptable_queue_proc);
}

void sep_item_unhook(struct sep_item *item);
int sep_index_add(struct sep_item *item);
bool sep_release_begin(struct sep_item *item, bool pinned);
void sep_watchers_walk(struct file *file,
		       void (*fn)(struct sep_item *item, void *ctx), void *ctx);
void sep_instance_watchers_walk(struct sep_instance *ep,
				void (*fn)(struct sep_item *item, void *ctx),
				void *ctx);
bool sep_instance_has_watchers(struct sep_instance *ep);
void sep_poll_safewake(struct sep_instance *ep, struct sep_item *item,
		       __poll_t extra);
struct sep_item *sep_item_alloc(void);
void sep_item_discard(struct sep_item *item);
void sep_item_free(struct sep_item *item);
bool sep_lifetime_tracked(void);
int sep_watch_init(void);

#if IS_ENABLED(CONFIG_KUNIT)
extern bool sep_kprobe_active;
bool sep_file_is_watched(struct file *file);
void sep_file_released(struct file *file);
#endif
void sep_watch_exit(void);

#endif /* _SHADOW_EPOLL_WATCH_H */
