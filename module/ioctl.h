/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the ioctl layer (the only place that decodes user memory).
 */
#ifndef _SHADOW_EPOLL_IOCTL_H
#define _SHADOW_EPOLL_IOCTL_H

#include <linux/fs.h>

#include "../include/uapi/linux/shadow_epoll.h"

long sep_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#if IS_ENABLED(CONFIG_KUNIT)
/* The argument rules of each command, on the kernel copy (ioctl_kunit.c). */
int sep_check_size(u32 usize, size_t minsize);
int sep_check_create(const struct shadow_epoll_create_args *args);
int sep_check_wait(const struct shadow_epoll_wait_args *args);
int sep_check_dump(const struct shadow_epoll_dump_args *args);
int sep_check_source(const struct shadow_epoll_source_args *args);
int sep_check_source_change(const struct shadow_epoll_source_change *c);
int sep_check_source_trigger(const struct shadow_epoll_source_trigger *t);
#endif

#endif /* _SHADOW_EPOLL_IOCTL_H */
