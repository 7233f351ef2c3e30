/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: hooks on watched files' wait queues (the wakeup callback)
 * and wakeups of the tasks polling an instance.
 */
#ifndef _SHADOW_EPOLL_HOOK_H
#define _SHADOW_EPOLL_HOOK_H

#include <linux/init.h>
#include <linux/poll.h>

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
void sep_poll_safewake(struct sep_instance *ep, struct sep_item *item,
		       __poll_t extra);
void __init sep_hook_init(void);
void sep_hook_exit(void);

#endif /* _SHADOW_EPOLL_HOOK_H */
