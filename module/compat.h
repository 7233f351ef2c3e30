/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: every kernel-version difference lives here.
 *
 * Behaviour follows the kernel the module runs on (docs/epoll-semantics.md §10).
 */
#ifndef _SHADOW_EPOLL_COMPAT_H
#define _SHADOW_EPOLL_COMPAT_H

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/sched.h>
#include <linux/sched/rt.h>
#include <linux/version.h>

/* The only mention of the version macro; every test below goes through it. */
#define SEP_KVER	LINUX_VERSION_CODE

/*
 * The seqcount "false negative" fix of ep_events_available() is in Debian's
 * 6.12.117 (a 2026 stable backport) and in mainline 7.2, not in 6.1.
 */
#define SEP_HAS_SEQ_FIX \
	(KERNEL_VERSION(6, 12, 117) <= SEP_KVER)

/* From 6.15 epoll_wait() looks up the fd before checking maxevents. */
#define SEP_WAIT_EBADF_FIRST \
	(KERNEL_VERSION(6, 15, 0) <= SEP_KVER)

/*
 * ep_poll()'s sleep.  From 6.14 a deadline that has already passed ends the
 * wait without arming a timer (ep_schedule_timeout(); its fixed form is from
 * 6.15 and in stable).  From 7.3 the timer slack of each sleep is computed
 * from the time left at that sleep; before, once from the whole timeout at
 * entry (7.2.12 still does that).
 */
#define SEP_SKIP_EXPIRED_SLEEP \
	(KERNEL_VERSION(6, 14, 0) <= SEP_KVER)
#define SEP_SLACK_PER_SLEEP \
	(KERNEL_VERSION(7, 3, 0) <= SEP_KVER)

/*
 * EPIOCSPARAMS/EPIOCGPARAMS exist from 6.9; before that an epoll fd has no
 * ioctl at all (ENOTTY), after it unknown commands give EINVAL.
 */
#ifdef EPIOCSPARAMS
#define SEP_HAS_EPOLL_IOCTL	1
#else
#define SEP_HAS_EPOLL_IOCTL	0
#endif

#ifndef EPOLL_URING_WAKE
#define EPOLL_URING_WAKE	((__force __poll_t)0)
#endif

/* The file of a struct fd: an accessor from 6.12, a plain field before. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/*
 * From 6.13 a file's count is a file_ref_t (f_ref) instead of an
 * atomic_long_t (f_count).
 */
#define SEP_HAS_FILE_REF \
	(KERNEL_VERSION(6, 13, 0) <= SEP_KVER)

/*
 * The registers in a struct ftrace_regs: behind arch_ftrace_regs() from 6.13
 * (and Debian's 6.12), the struct's own member before.  x86-64 keeps them as
 * a struct pt_regs either way (with the argument registers, the instruction
 * pointer and the stack pointer filled in).
 */
#ifdef arch_ftrace_regs
#define sep_ftrace_pt_regs(fregs)	(&arch_ftrace_regs(fregs)->regs)
#else
#define sep_ftrace_pt_regs(fregs)	(&(fregs)->regs)
#endif

#if IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
#include <linux/objtool.h>
#include <asm/ibt.h>
#include <asm/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/orc_types.h>

/*
 * ftrace direct calls (adopt.c): one ops and one target per registration,
 * register_ftrace_direct() from 6.5, register_ftrace_direct_multi() before
 * (whose unregistration keeps the filter, as free_filters false does).
 */
#if KERNEL_VERSION(6, 5, 0) <= SEP_KVER
#define sep_register_direct(ops, addr)	register_ftrace_direct(ops, addr)
#define sep_unregister_direct(ops, addr) \
	unregister_ftrace_direct(ops, addr, false)
#else
#define sep_register_direct(ops, addr)	register_ftrace_direct_multi(ops, addr)
#define sep_unregister_direct(ops, addr) \
	unregister_ftrace_direct_multi(ops, addr)
#endif

/*
 * An objtool unwind hint, in a string for asm(): the stack is as at a
 * function's entry (the return address at the stack pointer).  The macro's
 * arguments were reordered in 6.4; the record it emits is the same.
 * CALL_DEPTH_ACCOUNT (call-depth tracking) exists from 6.2.
 */
#if KERNEL_VERSION(6, 4, 0) <= SEP_KVER
#define SEP_UNWIND_HINT_FUNC \
	UNWIND_HINT(UNWIND_HINT_TYPE_FUNC, ORC_REG_SP, 8, 0)
#else
#define SEP_UNWIND_HINT_FUNC \
	UNWIND_HINT(ORC_REG_SP, 8, UNWIND_HINT_TYPE_FUNC, 0)
#endif
#ifndef CALL_DEPTH_ACCOUNT
#define CALL_DEPTH_ACCOUNT	""
#endif
#endif /* CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS */

/* Pin a file whose count may already have dropped to zero. */
static inline bool sep_file_tryget(struct file *file)
{
#if SEP_HAS_FILE_REF
	return file_ref_get(&file->f_ref);
#else
	return atomic_long_inc_not_zero(&file->f_count);
#endif
}

/*
 * Drop a reference that cannot be the last one in the common case without
 * an out-of-line call: only the final reference goes through fput().  A
 * file_ref_t has no "drop unless last", so from 6.13 it is fput() always.
 */
static inline void sep_fput(struct file *file)
{
#if SEP_HAS_FILE_REF
	fput(file);
#else
	if (!atomic_long_add_unless(&file->f_count, -1, 1))
		fput(file);
#endif
}

/*
 * select_estimate_accuracy(): tasks with no timer slack get none.  6.1 keys
 * this on rt_task(); from 6.8 RT/DL tasks carry timer_slack_ns == 0.
 */
static inline u64 sep_task_min_slack(bool *none)
{
#if KERNEL_VERSION(6, 8, 0) <= SEP_KVER
	*none = current->timer_slack_ns == 0;
#else
	*none = rt_task(current);
#endif
	return current->timer_slack_ns;
}

#endif /* _SHADOW_EPOLL_COMPAT_H */
