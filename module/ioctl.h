/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: the ioctl layer (the only place that decodes user memory).
 */
#ifndef _SHADOW_EPOLL_IOCTL_H
#define _SHADOW_EPOLL_IOCTL_H

#include <linux/eventpoll.h>
#include <linux/fs.h>
#include <linux/time64.h>
#include <linux/types.h>

#include "../include/uapi/linux/shadow_epoll.h"

long sep_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
void sep_ioctl_init(long (*adopt)(const struct shadow_epoll_adopt_args *));

/*
 * The bodies of the epoll commands after their argument struct, which the
 * adopted system calls (adopt.c) enter with the syscall's own arguments.
 */
int sep_create_fd(int flags, bool adopted);
int sep_do_ctl(int epfd, int op, int fd, const struct epoll_event __user *uev);
int sep_do_pwait(int epfd, struct epoll_event __user *events, int maxevents,
		 struct timespec64 *to, u64 sigmask, u64 sigsetsize);
int sep_do_ctl_file(struct file *epfile, int op, int fd,
		    const struct epoll_event __user *uev);
int sep_do_pwait_file(struct file *file, struct epoll_event __user *events,
		      int maxevents, struct timespec64 *to, u64 sigmask,
		      u64 sigsetsize);
struct timespec64 *sep_ms_deadline_after(struct timespec64 *to, int ms);

/**
 * sep_ms_deadline() - ep_timeout_to_timespec(): ms to an absolute deadline
 * @to: where the deadline is kept
 * @ms: the timeout; < 0 is forever
 *
 * Inline: a zero or infinite timeout (a poll, a plain wait) costs no call.
 *
 * Return: @to, or NULL (no deadline).
 */
static inline struct timespec64 *sep_ms_deadline(struct timespec64 *to,
						 int ms)
{
	if (ms < 0)
		return NULL;
	if (ms)
		return sep_ms_deadline_after(to, ms);
	to->tv_sec = 0;
	to->tv_nsec = 0;
	return to;
}

int sep_ts_deadline(struct timespec64 *to, u64 uts);

#if IS_ENABLED(CONFIG_KUNIT)
/* The argument rules of each command, on the kernel copy (ioctl_kunit.c). */
int sep_check_size(u32 usize, size_t minsize);
int sep_check_create(const struct shadow_epoll_create_args *args);
int sep_check_wait(const struct shadow_epoll_wait_args *args);
int sep_check_dump(const struct shadow_epoll_dump_args *args);
int sep_check_source(const struct shadow_epoll_source_args *args);
int sep_check_source_change(const struct shadow_epoll_source_change *c);
int sep_check_source_trigger(const struct shadow_epoll_source_trigger *t);
int sep_check_adopt(const struct shadow_epoll_adopt_args *args);
#endif

#endif /* _SHADOW_EPOLL_IOCTL_H */
