/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the module's objects: allocation, freeing, references,
 * per-uid accounting, and how an instance file is recognised.
 */
#ifndef _SHADOW_EPOLL_OBJECT_H
#define _SHADOW_EPOLL_OBJECT_H

#include <linux/fs.h>
#include <linux/init.h>

#include "sep.h"

extern const struct file_operations *sep_instance_fops;

/**
 * sep_is_shadow_file() - is @f an instance file?
 * @f: an open file
 *
 * Return: true for files opened from /dev/shadow_epoll or made by
 * SHADOW_EPOLL_IOC_CREATE.
 */
static inline bool sep_is_shadow_file(const struct file *f)
{
	return f->f_op == sep_instance_fops;
}

void sep_instance_init_lists(struct sep_instance *ep);
struct sep_instance *sep_instance_new(void);
void sep_instance_free(struct sep_instance *ep);

static inline void sep_instance_get(struct sep_instance *ep)
{
	refcount_inc(&ep->refcount);
}

static inline void sep_instance_put(struct sep_instance *ep)
{
	if (refcount_dec_and_test(&ep->refcount))
		sep_instance_free(ep);
}

/**
 * sep_item_init() - initialise the list fields of a zeroed item
 * @item: the item
 *
 * Inline: it is on every EPOLL_CTL_ADD.
 */
static inline void sep_item_init(struct sep_item *item)
{
	RB_CLEAR_NODE(&item->rbn);
	INIT_LIST_HEAD(&item->rdllink);
	INIT_LIST_HEAD(&item->deadlink);
	item->indexed = false;
	item->ovf_next = SEP_UNACTIVE_PTR;
}

struct sep_item *sep_item_alloc(void);
void sep_item_discard(struct sep_item *item);
void sep_item_free(struct sep_item *item);
struct sep_pwq *sep_pwq_alloc(void);
void sep_pwq_free(struct sep_pwq *pwq);

int sep_user_charge(struct sep_instance *ep);
void sep_user_uncharge(struct sep_instance *ep);
void sep_item_uncharge(struct sep_item *item);

int __init sep_object_init(const struct file_operations *instance_fops);
void sep_object_exit(void);

#if IS_ENABLED(CONFIG_KUNIT)
extern long max_user_watches;
#endif

#endif /* _SHADOW_EPOLL_OBJECT_H */
