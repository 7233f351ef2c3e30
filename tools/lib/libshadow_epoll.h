/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libshadow_epoll: the epoll API over /dev/shadow_epoll.
 *
 * Every name starts with shep_ ("shadow epoll", userspace): the module's own
 * functions are sep_*, and sep_ctl()/sep_wait() there are the kernel side
 * of the ioctls, not these wrappers.  Every userspace program of the
 * project (tools, selftests, fuzzer, reliability programs, benchmark) talks
 * to the device through this library; none opens its own gateway.
 *
 * Every function returns what the matching syscall returns, with errno set
 * the same way (-1/errno on failure).  The ioctls are issued on one "gateway"
 * fd, opened lazily with O_CLOEXEC and moved to a high number
 * (SHEP_GATEWAY_MIN_FD if RLIMIT_NOFILE allows).  It is inherited across
 * fork(2) and closed by execve(2), where the new image reopens it on first
 * use.  If the program closes it (close_range, closefrom, a close-all loop)
 * or dup2()s something over it, the next call that fails with EBADF, ENOTTY
 * or EINVAL re-validates the gateway (fstat: same character device and
 * inode) and, if it is no longer ours, opens a new one and retries once.  An
 * invalid gateway number is never closed: it may belong to the program now.
 *
 * The functions are async-signal-safe as far as the system calls they make
 * are (open, fcntl, fstat, ioctl, close); there is no lock and no malloc.
 */
#ifndef LIBSHADOW_EPOLL_H
#define LIBSHADOW_EPOLL_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

#include <linux/shadow_epoll.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHEP_GATEWAY_MIN_FD	1000

/* The gateway fd (opened on first use), or -1/errno (ENOENT: no module). */
int shep_gateway(void);
/* Forget the gateway without closing it (after the program took its number). */
void shep_gateway_forget(void);
/* Device path; default SHADOW_EPOLL_DEVICE, or $SHADOW_EPOLL_DEVICE. */
const char *shep_device_path(void);

/* epoll_create1(flags) */
int shep_create(int flags);
/* epoll_create(size): EINVAL if size <= 0, like the syscall */
int shep_create_size(int size);
/* epoll_ctl() */
int shep_ctl(int epfd, int op, int fd, struct epoll_event *event);
/* epoll_wait() */
int shep_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
/* epoll_pwait(); sigmask NULL means none, as in the syscall */
int shep_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
	      const sigset_t *sigmask);
/* epoll_pwait2(); timeout NULL means forever */
int shep_pwait2(int epfd, struct epoll_event *events, int maxevents,
	       const struct timespec *timeout, const sigset_t *sigmask);
/* The raw form: any SHADOW_EPOLL_WAIT_* flags, any sigsetsize. */
int shep_wait_raw(struct shadow_epoll_wait_args *args);

/*
 * READY dump: writes up to @cap entries in delivery order, returns the number
 * of queued items (may exceed @cap), *@dflags = SHADOW_EPOLL_DUMP_* (may be
 * NULL).  -1/errno (EINVAL: not a shadow instance).
 */
int shep_ready(int epfd, struct shadow_epoll_ready_entry *entries,
	      unsigned int cap, unsigned int *dflags);
/* INTEREST dump: as shep_ready(), in fdinfo order. */
int shep_interest(int epfd, struct shadow_epoll_interest_entry *entries,
		 unsigned int cap);
/* 1 if @fd is a shadow instance, 0 if not, -1/errno if it cannot tell. */
int shep_is_instance(int fd);

/*
 * ADOPT: hand the cgroup v2 directory open at @cgroup_fd to the shadow; its
 * tasks' epoll system calls are then served by the shadow (shadow_epoll(4)).
 * With @log_fd >= 0, one line per adopted call is written to that file
 * (SHADOW_EPOLL_ADOPT_LOG); -1 for none.  Returns the scope fd (O_CLOEXEC;
 * closing it ends new adoptions) or -1/errno.
 */
int shep_adopt(int cgroup_fd, int log_fd);

/* Synthetic sources. */
int shep_source(int flags, uint32_t mask);
/* op: SHADOW_EPOLL_SRC_*; returns the new mask. */
int shep_source_change(int src, uint32_t op, uint32_t mask, uint32_t key,
		      uint32_t flags);
/* When @src is re-polled (the next @count times), apply the change to @target. */
int shep_source_trigger(int src, int target, uint32_t count, uint32_t op,
		       uint32_t mask, uint32_t key, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBSHADOW_EPOLL_H */
