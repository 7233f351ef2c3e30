/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: one instance: interest set, ctl, wait, poll, dumps.
 */
#ifndef _SHADOW_EPOLL_INSTANCE_H
#define _SHADOW_EPOLL_INSTANCE_H

#include <linux/time64.h>

#include "sep.h"

/* The name of real epoll files, and of adopted instances (adopt.c). */
#define SEP_EPOLL_NAME	"[eventpoll]"

typedef int (*sep_copy_fn)(void *ctx, int idx, __poll_t revents, u64 data);
typedef void (*sep_interest_fn)(void *ctx, const struct sep_item *item,
				struct file *file, u32 flags);

struct sep_instance *sep_instance_alloc(void);
struct file *sep_instance_getfile(struct sep_instance *ep, int flags);
void sep_instance_release(struct sep_instance *ep);
__poll_t sep_instance_poll(struct sep_instance *ep, poll_table *wait,
			   int depth);
extern const struct file_operations *sep_epoll_fops;
bool __sep_file_is_epoll(struct file *file);

/**
 * sep_file_is_epoll() - is @file a real epoll or a shadow instance?
 * @file: a file
 *
 * Inline: every EPOLL_CTL_ADD asks this about its target.
 *
 * Return: true for both kinds.
 */
static inline bool sep_file_is_epoll(struct file *file)
{
	const struct file_operations *fops = READ_ONCE(sep_epoll_fops);

	if (sep_is_shadow_file(file))
		return true;
	if (fops)
		return file->f_op == fops;
	return __sep_file_is_epoll(file);
}

void sep_item_uncharge(struct sep_item *item);
int sep_ctl(struct sep_instance *ep, struct file *epfile, int op,
	    struct file *tfile, int fd, struct epoll_event *epds);
int sep_wait(struct sep_instance *ep, sep_copy_fn copy, void *ctx,
	     int maxevents, struct timespec64 *timeout);
int sep_interest_walk(struct sep_instance *ep, sep_interest_fn fn, void *ctx);
int sep_instance_init(void);

#if IS_ENABLED(CONFIG_KUNIT)
extern long max_user_watches;
#endif

#endif /* _SHADOW_EPOLL_INSTANCE_H */
