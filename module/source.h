/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: synthetic pollable sources (test double control plane).
 *
 * Kernel structs only: ioctl.c decodes and checks the source ioctls and
 * owns the source file's file operations.
 */
#ifndef _SHADOW_EPOLL_SOURCE_H
#define _SHADOW_EPOLL_SOURCE_H

#include <linux/fs.h>
#include <linux/poll.h>

#include "../include/uapi/linux/shadow_epoll.h"

struct sep_source;

struct sep_source *sep_source_new(__poll_t mask);
void sep_source_put(struct sep_source *src);
void sep_source_release(struct sep_source *src);
__poll_t sep_source_poll(struct sep_source *src, struct file *file,
			 poll_table *pt);
__poll_t sep_source_apply(struct sep_source *src,
			  const struct shadow_epoll_source_change *c);
void sep_source_arm(struct sep_source *src, struct sep_source *target,
		    u32 count, const struct shadow_epoll_source_change *c);

#endif /* _SHADOW_EPOLL_SOURCE_H */
