/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the file index (which items watch a file) and the watched
 * files' lifetime (the final-fput hook, pinning a file to re-poll it).
 */
#ifndef _SHADOW_EPOLL_FILEINDEX_H
#define _SHADOW_EPOLL_FILEINDEX_H

#include <linux/init.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>

#include "sep.h"

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

struct rhlist_head *sep_index_lookup(struct file *file);
int sep_index_add(struct sep_item *item);
bool sep_release_begin(struct sep_item *item, bool pinned);
bool sep_lifetime_tracked(void);
int __init sep_index_init(void);

#if IS_ENABLED(CONFIG_KUNIT)
extern bool sep_kprobe_active;
bool sep_file_is_watched(struct file *file);
void sep_file_released(struct file *file);
#endif
void sep_index_exit(void);

#endif /* _SHADOW_EPOLL_FILEINDEX_H */
