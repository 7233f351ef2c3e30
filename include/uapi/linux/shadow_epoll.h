/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * shadow_epoll: an inspectable re-implementation of epoll behind
 * /dev/shadow_epoll.
 *
 * Every open() of the device creates one shadow epoll instance; the returned
 * fd is that instance (pollable, nestable, closable like an epoll fd).
 *
 * The ioctls below may be issued on *any* shadow_epoll fd: the instance they
 * act on is named by the @epfd field, exactly like the first argument of the
 * epoll syscalls.  This "gateway" form lets the module resolve @epfd itself,
 * so that every argument check happens in the same order, with the same errno,
 * as in the real system call (for example epoll_wait(badfd, buf, 0, 0) fails
 * with EINVAL on 6.1/6.12 before the fd is looked at).
 *
 * All argument structs are extensible: @size is the first member and must be
 * set to sizeof() the struct the caller was compiled with.  A smaller @size
 * than the first published version gives EINVAL, a larger one with non-zero
 * trailing bytes (or larger than a page) gives E2BIG.  Event buffers use the kernel's own
 * struct epoll_event layout (12 bytes, packed, on x86-64), so results compare
 * byte for byte with epoll_wait().
 *
 * Errors of the epoll-equivalent commands are those of the matching syscall on
 * the running kernel.  Errors that only the extra commands can give:
 *   EFAULT  the argument struct itself (or a dump buffer) is not accessible
 *   EINVAL  @size too small, unknown bits in @flags, non-zero reserved fields
 *   E2BIG   @size larger than known and the extra bytes are not zero, or
 *           @size larger than a page (4096) whatever the bytes
 *   ENOTTY  unknown command number
 */
#ifndef _UAPI_LINUX_SHADOW_EPOLL_H
#define _UAPI_LINUX_SHADOW_EPOLL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SHADOW_EPOLL_DEVICE	"/dev/shadow_epoll"
#define SHADOW_EPOLL_IOC_MAGIC	0xE9

/**
 * struct shadow_epoll_create_args - SHADOW_EPOLL_IOC_CREATE, like epoll_create1()
 * @size:  sizeof(struct shadow_epoll_create_args)
 * @flags: 0 or EPOLL_CLOEXEC; anything else is EINVAL, as for epoll_create1()
 *
 * Returns a new instance fd (an anon inode named "[shadow_epoll]").
 */
struct shadow_epoll_create_args {
	__u32 size;
	__u32 flags;
};

/**
 * struct shadow_epoll_ctl_args - SHADOW_EPOLL_IOC_CTL, like epoll_ctl()
 * @size:  sizeof(struct shadow_epoll_ctl_args)
 * @epfd:  the shadow instance, as epoll_ctl()'s @epfd
 * @op:    EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL
 * @fd:    the watched fd
 * @event: user pointer to a struct epoll_event (ignored for DEL, may be 0)
 *
 * Returns 0 or a negative errno, exactly as epoll_ctl().
 */
struct shadow_epoll_ctl_args {
	__u32 size;
	__s32 epfd;
	__s32 op;
	__s32 fd;
	__u64 event;
};

/* Use @timeout_ts (epoll_pwait2() semantics) instead of @timeout_ms. */
#define SHADOW_EPOLL_WAIT_TIMESPEC	(1U << 0)
#define SHADOW_EPOLL_WAIT_FLAGS		SHADOW_EPOLL_WAIT_TIMESPEC

/**
 * struct shadow_epoll_wait_args - SHADOW_EPOLL_IOC_WAIT, like epoll_pwait2()
 * @size:       sizeof(struct shadow_epoll_wait_args)
 * @flags:      SHADOW_EPOLL_WAIT_*
 * @epfd:       the shadow instance
 * @maxevents:  as epoll_wait()
 * @events:     user pointer to struct epoll_event[@maxevents]
 * @timeout_ts: with SHADOW_EPOLL_WAIT_TIMESPEC: user pointer to a
 *              struct __kernel_timespec, 0 means wait forever (epoll_pwait2)
 * @sigmask:    user pointer to a sigset_t applied for the call, 0 for none
 *              (epoll_pwait/epoll_pwait2)
 * @sigsetsize: as epoll_pwait(); ignored when @sigmask is 0
 * @timeout_ms: without SHADOW_EPOLL_WAIT_TIMESPEC: epoll_wait()'s timeout
 * @__reserved: must be 0
 *
 * Returns the number of events written, or a negative errno, exactly as
 * epoll_wait()/epoll_pwait()/epoll_pwait2() (never restarted after a signal).
 */
struct shadow_epoll_wait_args {
	__u32 size;
	__u32 flags;
	__s32 epfd;
	__s32 maxevents;
	__u64 events;
	__u64 timeout_ts;
	__u64 sigmask;
	__u64 sigsetsize;
	__s32 timeout_ms;
	__u32 __reserved;
};

/* Entry flags of the dumps. */
/* On the ready list (rdllist). */
#define SHADOW_EPOLL_ENTRY_READY	(1U << 0)
/* On the private list of a scan that is running now (not yet delivered). */
#define SHADOW_EPOLL_ENTRY_SCAN		(1U << 1)
/* Signalled while a scan runs: on the overflow list. */
#define SHADOW_EPOLL_ENTRY_OVFLIST	(1U << 2)
/* Its file is being released; it will be removed before the next call. */
#define SHADOW_EPOLL_ENTRY_DYING	(1U << 3)

/* Dump flag: a scan (epoll_wait, or a poll of this instance) is running. */
#define SHADOW_EPOLL_DUMP_SCANNING	(1U << 0)

/**
 * struct shadow_epoll_ready_entry - one queued item, in delivery order
 * @fd:     the watched fd number recorded at EPOLL_CTL_ADD
 * @events: the stored interest mask (with the automatic EPOLLERR|EPOLLHUP and
 *          the private bits EPOLLET, EPOLLONESHOT, ...)
 * @data:   the user data
 * @flags:  SHADOW_EPOLL_ENTRY_*
 * @__pad:  0
 */
struct shadow_epoll_ready_entry {
	__s32 fd;
	__u32 events;
	__u64 data;
	__u32 flags;
	__u32 __pad;
};

/**
 * struct shadow_epoll_interest_entry - one registration, in fdinfo order
 * @fd:     tfd as recorded at EPOLL_CTL_ADD (may be stale after close/dup)
 * @events: stored mask, as fdinfo's "events:" field
 * @data:   user data, as fdinfo's "data:" field
 * @pos:    the watched file's f_pos now
 * @ino:    the watched inode number
 * @sdev:   the watched superblock's s_dev (kernel dev_t encoding)
 * @flags:  SHADOW_EPOLL_ENTRY_* (queued or not)
 */
struct shadow_epoll_interest_entry {
	__s32 fd;
	__u32 events;
	__u64 data;
	__s64 pos;
	__u64 ino;
	__u32 sdev;
	__u32 flags;
};

/**
 * struct shadow_epoll_dump_args - SHADOW_EPOLL_IOC_READY / SHADOW_EPOLL_IOC_INTEREST
 * @size:    sizeof(struct shadow_epoll_dump_args)
 * @epfd:    the shadow instance
 * @count:   in: capacity of @entries; out: number of entries on the list
 *           (may exceed the capacity: only the first @count are written)
 * @flags:   out: SHADOW_EPOLL_DUMP_*; must be 0 on input
 * @entries: user pointer to struct shadow_epoll_ready_entry[] (READY) or
 *           struct shadow_epoll_interest_entry[] (INTEREST)
 *
 * READY lists the items in the order the next epoll_wait() would see them if
 * nothing else happened: while a scan runs, the scan's undelivered items,
 * then the overflow arrivals in callback order, then the ready list; that is
 * the order the kernel's done-scan step produces.  It never takes the
 * instance mutex, so it works while another thread's scan is paused.
 * INTEREST lists every registration in the kernel's fdinfo order.
 */
struct shadow_epoll_dump_args {
	__u32 size;
	__s32 epfd;
	__u32 count;
	__u32 flags;
	__u64 entries;
};

/* Adoption flag: write one line per adopted call to @log_fd. */
#define SHADOW_EPOLL_ADOPT_LOG		(1U << 0)
#define SHADOW_EPOLL_ADOPT_FLAGS	SHADOW_EPOLL_ADOPT_LOG

/**
 * struct shadow_epoll_adopt_args - SHADOW_EPOLL_IOC_ADOPT (on any shadow fd)
 * @size:      sizeof(struct shadow_epoll_adopt_args)
 * @flags:     SHADOW_EPOLL_ADOPT_*; O_CLOEXEC is always set on the result
 * @cgroup_fd: an O_RDONLY fd of a cgroup v2 directory: the scope.  The
 *             caller must own that directory or have CAP_SYS_ADMIN.
 * @log_fd:    with SHADOW_EPOLL_ADOPT_LOG, a file opened for writing that
 *             receives the log lines (written by the calling task, like
 *             the LD_PRELOAD shim's SHADOW_EPOLL_LOG); -1 otherwise
 *
 * While the returned scope fd is open, every task in the cgroup or below it
 * gets a shadow instance from epoll_create()/epoll_create1(), named
 * anon_inode:[eventpoll]; epoll_ctl(), epoll_wait(), epoll_pwait() and
 * epoll_pwait2() on such an instance are served by the shadow, whoever
 * calls them.  Calls on every other fd go to the in-tree epoll.  Closing
 * the scope fd ends new adoptions; instances made keep working.
 */
struct shadow_epoll_adopt_args {
	__u32 size;
	__u32 flags;
	__s32 cgroup_fd;
	__s32 log_fd;
};

/*
 * Synthetic sources: pollable test files whose poll mask is set by ioctl.
 * They are ordinary pollable files, so they work in the real epoll too and
 * both sides see identical events.
 */

/**
 * struct shadow_epoll_source_args - SHADOW_EPOLL_IOC_SOURCE (on any shadow fd)
 * @size:       sizeof(struct shadow_epoll_source_args)
 * @flags:      0 or O_CLOEXEC
 * @mask:       initial poll mask (EPOLL* bits)
 * @__reserved: must be 0
 *
 * Returns a new source fd (an anon inode named "[shadow_epoll_source]").
 */
struct shadow_epoll_source_args {
	__u32 size;
	__u32 flags;
	__u32 mask;
	__u32 __reserved;
};

/* Operations on a source's mask. */
#define SHADOW_EPOLL_SRC_SET		0	/* mask = @mask */
#define SHADOW_EPOLL_SRC_OR		1	/* mask |= @mask */
#define SHADOW_EPOLL_SRC_CLEAR		2	/* mask &= ~@mask */
/*
 * POLLFREE: wake with EPOLLHUP | POLLFREE and retire the wait queue, as a
 * signalfd's or binder thread's queue is retired; later polls hook a new
 * queue.  @mask is applied as with SET first.
 */
#define SHADOW_EPOLL_SRC_POLLFREE	3

/* Change flags. */
/* Do not wake waiters after the change. */
#define SHADOW_EPOLL_SRC_NOWAKE		(1U << 0)
/* Wake with wake_up_sync semantics (the callback's @sync argument). */
#define SHADOW_EPOLL_SRC_SYNC		(1U << 1)
#define SHADOW_EPOLL_SRC_FLAGS \
	(SHADOW_EPOLL_SRC_NOWAKE | SHADOW_EPOLL_SRC_SYNC)

/**
 * struct shadow_epoll_source_change - SHADOW_EPOLL_IOC_SRC_SET (on a source)
 * @size:  sizeof(struct shadow_epoll_source_change)
 * @op:    SHADOW_EPOLL_SRC_SET, _OR, _CLEAR or _POLLFREE
 * @mask:  operand
 * @key:   the wakeup key passed to the waiters (0 is "unknown": any
 *         interest matches); need not relate to the mask at all
 * @flags: SHADOW_EPOLL_SRC_NOWAKE, SHADOW_EPOLL_SRC_SYNC
 * @__reserved: must be 0
 *
 * Returns the new mask.
 */
struct shadow_epoll_source_change {
	__u32 size;
	__u32 op;
	__u32 mask;
	__u32 key;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct shadow_epoll_source_trigger - SHADOW_EPOLL_IOC_SRC_TRIGGER (on a source)
 * @size:      sizeof(struct shadow_epoll_source_trigger)
 * @target_fd: another source (or this one), resolved now and pinned
 * @count:     how many of this source's next polls fire the change
 *             (0 disarms)
 * @change:    the change applied to the target each time (its @size is
 *             ignored)
 * @__reserved: must be 0
 *
 * "When you are polled, raise X": the next @count times this source's
 * ->poll() runs without registering (a re-poll: an epoll scan, poll(2)'s
 * second pass), @change is applied to the target before this source
 * reports its mask.  This fires events in the middle of an epoll scan,
 * deterministically, on the real epoll and the shadow alike.
 */
struct shadow_epoll_source_trigger {
	__u32 size;
	__s32 target_fd;
	__u32 count;
	__u32 __reserved;
	struct shadow_epoll_source_change change;
};

#define SHADOW_EPOLL_IOC_CREATE \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x01, struct shadow_epoll_create_args)
#define SHADOW_EPOLL_IOC_CTL \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x02, struct shadow_epoll_ctl_args)
#define SHADOW_EPOLL_IOC_WAIT \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x03, struct shadow_epoll_wait_args)
#define SHADOW_EPOLL_IOC_READY \
	_IOWR(SHADOW_EPOLL_IOC_MAGIC, 0x04, struct shadow_epoll_dump_args)
#define SHADOW_EPOLL_IOC_INTEREST \
	_IOWR(SHADOW_EPOLL_IOC_MAGIC, 0x05, struct shadow_epoll_dump_args)

#define SHADOW_EPOLL_IOC_ADOPT \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x06, struct shadow_epoll_adopt_args)
#define SHADOW_EPOLL_IOC_SOURCE \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x10, struct shadow_epoll_source_args)
#define SHADOW_EPOLL_IOC_SRC_SET \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x11, struct shadow_epoll_source_change)
#define SHADOW_EPOLL_IOC_SRC_TRIGGER \
	_IOW(SHADOW_EPOLL_IOC_MAGIC, 0x12, struct shadow_epoll_source_trigger)

#endif /* _UAPI_LINUX_SHADOW_EPOLL_H */
