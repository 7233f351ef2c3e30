/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the ioctl layer (the only place that decodes user memory).
 */
#ifndef _SHADOW_EPOLL_IOCTL_H
#define _SHADOW_EPOLL_IOCTL_H

#include <linux/fs.h>
#include <linux/time64.h>
#include <uapi/linux/eventpoll.h>

long sep_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int sep_copy_args(void *dst, size_t ksize, size_t minsize,
		  const void __user *uarg);

/* The syscall-shaped entries, shared with the adopted syscalls (adopt.c). */
int sep_create_fd(int flags, bool adopted);
int sep_do_ctl(int epfd, int op, int fd, const struct epoll_event __user *uev);
int sep_do_pwait(int epfd, struct epoll_event __user *events, int maxevents,
		 struct timespec64 *to, u64 sigmask, u64 sigsetsize);
struct timespec64 *sep_ms_deadline(struct timespec64 *to, int ms);
int sep_ts_deadline(struct timespec64 *to, u64 uts);

#endif /* _SHADOW_EPOLL_IOCTL_H */
