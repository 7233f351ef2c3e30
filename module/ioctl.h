/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the ioctl layer (the only place that decodes user memory).
 */
#ifndef _SHADOW_EPOLL_IOCTL_H
#define _SHADOW_EPOLL_IOCTL_H

#include <linux/fs.h>

long sep_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int sep_copy_args(void *dst, size_t ksize, size_t minsize,
		  const void __user *uarg);

#endif /* _SHADOW_EPOLL_IOCTL_H */
