// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: the ioctl layer.
 *
 * The only file that touches __user memory layouts and decodes commands.
 * The epoll-equivalent commands check their arguments in exactly the order
 * the real system calls do on the running kernel (docs/epoll-semantics.md §4), so
 * that every error path gives the same errno.  Their bodies after the
 * argument struct (sep_create_fd(), sep_do_ctl(), sep_do_pwait()) are also
 * the bodies of the adopted system calls (adopt.c), which enter them with
 * the syscall's own arguments.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include <linux/uaccess.h>

#include <kunit/visibility.h>

#include "../include/uapi/linux/shadow_epoll.h"
#include "instance.h"
#include "ioctl.h"
#include "source.h"

/* Largest dump returned by one call. */
#define SEP_DUMP_MAX	BIT(16)

/* Fast-path size limit of sep_copy_args_exact() (the largest hot struct). */
#define SEP_ARGS_FAST_MAX	64

/*
 * The ABI, checked at build time: the uapi layouts (sizes and offsets on
 * every architecture are those of the published header) and the internal
 * flags that reach userspace unchanged.
 */
#define SEP_CHECK_FIELD(type, field, off) \
	BUILD_BUG_ON(offsetof(struct type, field) != (off))

static __always_inline void sep_build_check_abi(void)
{
	BUILD_BUG_ON(SEP_ENTRY_READY != SHADOW_EPOLL_ENTRY_READY);
	BUILD_BUG_ON(SEP_ENTRY_SCAN != SHADOW_EPOLL_ENTRY_SCAN);
	BUILD_BUG_ON(SEP_ENTRY_OVFLIST != SHADOW_EPOLL_ENTRY_OVFLIST);
	BUILD_BUG_ON(SEP_ENTRY_DYING != SHADOW_EPOLL_ENTRY_DYING);
	BUILD_BUG_ON(SEP_DUMP_SCANNING != SHADOW_EPOLL_DUMP_SCANNING);

	BUILD_BUG_ON(sizeof(struct shadow_epoll_create_args) != 8);
	SEP_CHECK_FIELD(shadow_epoll_create_args, flags, 4);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_ctl_args) != 24);
	SEP_CHECK_FIELD(shadow_epoll_ctl_args, fd, 12);
	SEP_CHECK_FIELD(shadow_epoll_ctl_args, event, 16);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_wait_args) != 56);
	SEP_CHECK_FIELD(shadow_epoll_wait_args, events, 16);
	SEP_CHECK_FIELD(shadow_epoll_wait_args, sigsetsize, 40);
	SEP_CHECK_FIELD(shadow_epoll_wait_args, timeout_ms, 48);
	SEP_CHECK_FIELD(shadow_epoll_wait_args, __reserved, 52);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_ready_entry) != 24);
	SEP_CHECK_FIELD(shadow_epoll_ready_entry, data, 8);
	SEP_CHECK_FIELD(shadow_epoll_ready_entry, flags, 16);
	SEP_CHECK_FIELD(shadow_epoll_ready_entry, __pad, 20);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_interest_entry) != 40);
	SEP_CHECK_FIELD(shadow_epoll_interest_entry, pos, 16);
	SEP_CHECK_FIELD(shadow_epoll_interest_entry, sdev, 32);
	SEP_CHECK_FIELD(shadow_epoll_interest_entry, flags, 36);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_dump_args) != 24);
	SEP_CHECK_FIELD(shadow_epoll_dump_args, count, 8);
	SEP_CHECK_FIELD(shadow_epoll_dump_args, entries, 16);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_source_args) != 16);
	SEP_CHECK_FIELD(shadow_epoll_source_args, __reserved, 12);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_source_change) != 24);
	SEP_CHECK_FIELD(shadow_epoll_source_change, __reserved, 20);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_source_trigger) != 40);
	SEP_CHECK_FIELD(shadow_epoll_source_trigger, change, 16);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_adopt_args) != 16);
	SEP_CHECK_FIELD(shadow_epoll_adopt_args, flags, 4);
	SEP_CHECK_FIELD(shadow_epoll_adopt_args, cgroup_fd, 8);
	SEP_CHECK_FIELD(shadow_epoll_adopt_args, log_fd, 12);

	/* The hot commands take the exact-size fast path. */
	BUILD_BUG_ON(sizeof(struct shadow_epoll_ctl_args) > SEP_ARGS_FAST_MAX);
	BUILD_BUG_ON(sizeof(struct shadow_epoll_wait_args) > SEP_ARGS_FAST_MAX);
}

/*
 * The common case of sep_copy_args(): userspace passes exactly our size.
 * Word loads in one user-access window instead of get_user() plus
 * copy_struct_from_user(), which copies byte by byte.
 * Nothing beyond the size word is read unless it equals @ksize, so every
 * other case (and any fault) is left to the slow path, which then gives
 * the same result as if this had not run.
 */
static __always_inline bool sep_copy_args_exact(void *dst, size_t ksize,
						const void __user *uarg)
{
	const u64 __user *uw = uarg;
	u32 *d32 = dst;
	u64 *d64 = dst;
	u32 usize;
	size_t i;

	if (ksize % sizeof(u64) || ksize > SEP_ARGS_FAST_MAX)
		return false;
	if (!user_access_begin(uarg, ksize))
		return false;
	unsafe_get_user(usize, (const u32 __user *)uarg, out_fault);
	if (usize != ksize)
		goto out_fault;
	d32[0] = usize;
	unsafe_get_user(d32[1], (const u32 __user *)uarg + 1, out_fault);
	for (i = 1; i < ksize / sizeof(u64); i++)
		unsafe_get_user(d64[i], uw + i, out_fault);
	user_access_end();
	return true;

out_fault:
	user_access_end();
	return false;
}

/**
 * sep_check_size() - the @size rule of every argument struct
 * @usize:   the size userspace passed
 * @minsize: the size of the first published version of the struct
 *
 * Trailing bytes past the module's own size are checked by the copy.
 *
 * Return: 0, -EINVAL (too small) or -E2BIG (over a page).
 */
VISIBLE_IF_KUNIT int sep_check_size(u32 usize, size_t minsize)
{
	if (usize < minsize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_size);

/* sep_copy_args() past the fast path: any size, byte-exact errnos. */
static int sep_copy_args_slow(void *dst, size_t ksize, size_t minsize,
			      const void __user *uarg)
{
	u32 usize;
	int error;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	error = sep_check_size(usize, minsize);
	if (error)
		return error;
	return copy_struct_from_user(dst, ksize, uarg, usize);
}

/**
 * sep_copy_args() - copy an extensible argument struct from userspace
 * @dst:     kernel copy
 * @ksize:   its size
 * @minsize: the smallest @size userspace may pass (the first version)
 * @uarg:    user pointer; its first __u32 is the size userspace knows
 *
 * Unknown trailing bytes must be zero.
 *
 * Return: 0, -EFAULT, -EINVAL (too small) or -E2BIG.
 */
static int sep_copy_args(void *dst, size_t ksize, size_t minsize,
			 const void __user *uarg)
{
	if (sep_copy_args_exact(dst, ksize, uarg))
		return 0;
	return sep_copy_args_slow(dst, ksize, minsize, uarg);
}

/*
 * sep_copy_args() for CTL and WAIT, the calls of every event loop: the
 * exact-size case inline, with @ksize a constant (the loop unrolls).
 */
static __always_inline int sep_copy_args_hot(void *dst, size_t ksize,
					     const void __user *uarg)
{
	if (likely(sep_copy_args_exact(dst, ksize, uarg)))
		return 0;
	return sep_copy_args_slow(dst, ksize, ksize, uarg);
}

/**
 * sep_check_create() - SHADOW_EPOLL_IOC_CREATE's argument rules
 * @args: the kernel copy
 *
 * Return: 0, or -EINVAL for anything but EPOLL_CLOEXEC (as epoll_create1()).
 */
VISIBLE_IF_KUNIT int
sep_check_create(const struct shadow_epoll_create_args *args)
{
	return args->flags & ~EPOLL_CLOEXEC ? -EINVAL : 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_create);

/**
 * sep_create_fd() - make an instance and install it at a new fd
 * @flags:   EPOLL_CLOEXEC or 0 (already checked)
 * @adopted: made by an adopted epoll_create() (adopt.c): named as an epoll
 *
 * Return: the fd, or a negative errno.
 */
int sep_create_fd(int flags, bool adopted)
{
	struct sep_instance *ep;
	struct file *file;
	int fd, error;

	ep = sep_instance_alloc();
	if (!ep)
		return -ENOMEM;
	ep->adopted = adopted;
	fd = get_unused_fd_flags(O_RDWR | (flags & O_CLOEXEC));
	if (fd < 0) {
		error = fd;
		goto out_free_ep;
	}
	file = sep_instance_getfile(ep, flags & O_CLOEXEC);
	if (IS_ERR(file)) {
		error = PTR_ERR(file);
		goto out_free_fd;
	}
	fd_install(fd, file);
	return fd;

out_free_fd:
	put_unused_fd(fd);
out_free_ep:
	sep_instance_put(ep);
	return error;
}

static int sep_ioctl_create(const void __user *uarg)
{
	struct shadow_epoll_create_args args;
	int error;

	error = sep_copy_args(&args, sizeof(args), sizeof(args), uarg);
	if (!error)
		error = sep_check_create(&args);
	if (error)
		return error;
	return sep_create_fd(args.flags, false);
}

/* ep_take_care_of_epollwakeup(): silently drop what the caller may not ask. */
static void sep_strip_wakeup(struct epoll_event *epds)
{
	if (!IS_ENABLED(CONFIG_PM_SLEEP))
		epds->events &= ~EPOLLWAKEUP;
	else if ((epds->events & EPOLLWAKEUP) && !capable(CAP_BLOCK_SUSPEND))
		epds->events &= ~EPOLLWAKEUP;
}

/* The EPOLLEXCLUSIVE rules, checked before the lookup. */
static __always_inline int
sep_check_exclusive(int op, const struct epoll_event *epds, struct file *tfile)
{
	if (!(epds->events & EPOLLEXCLUSIVE))
		return 0;
	if (op == EPOLL_CTL_MOD)
		return -EINVAL;
	if (op == EPOLL_CTL_ADD &&
	    (sep_file_is_epoll(tfile) ||
	     (epds->events & ~SEP_EXCLUSIVE_OK_BITS)))
		return -EINVAL;
	return 0;
}

/* copy_from_user() of one struct epoll_event, as two word loads. */
static __always_inline int sep_get_event(struct epoll_event *epds,
					 const struct epoll_event __user *uev)
{
	__poll_t events;
	u64 data;

	if (!user_access_begin(uev, sizeof(*uev)))
		return -EFAULT;
	unsafe_get_user(events, &uev->events, out_fault);
	unsafe_get_user(data, &uev->data, out_fault);
	user_access_end();
	epds->events = events;
	epds->data = data;
	return 0;

out_fault:
	user_access_end();
	return -EFAULT;
}

/* Any op but DEL (even an invalid one) reads the event first. */
static __always_inline int
sep_ctl_get_event(int op, struct epoll_event *epds,
		  const struct epoll_event __user *uev)
{
	return op != EPOLL_CTL_DEL && sep_get_event(epds, uev) ? -EFAULT : 0;
}

/*
 * sep_do_ctl() after the event copy and the lookup of the instance; inlined
 * in both callers, as the adopted epoll_ctl() is a hot path.
 */
static __always_inline int sep_ctl_on(struct file *epfile, int op, int fd,
				      struct epoll_event *epds)
{
	bool has_event = op != EPOLL_CTL_DEL;
	struct file *tfile;
	struct fd tf;
	int error;

	tf = fdget(fd);
	tfile = fd_file(tf);
	if (!tfile)
		return -EBADF;

	error = -EPERM;
	if (!file_can_poll(tfile))
		goto out_put_target;
	if (has_event)
		sep_strip_wakeup(epds);

	error = -EINVAL;
	if (epfile == tfile || !sep_is_shadow_file(epfile))
		goto out_put_target;
	if (has_event) {
		error = sep_check_exclusive(op, epds, tfile);
		if (error)
			goto out_put_target;
	}

	error = sep_ctl(epfile->private_data, epfile, op, tfile, fd, epds);

out_put_target:
	fdput(tf);
	return error;
}

/**
 * sep_do_ctl() - epoll_ctl() on a shadow instance, from its arguments
 * @epfd: the instance's fd
 * @op:   EPOLL_CTL_*
 * @fd:   the target fd
 * @uev:  user pointer to the event (not read for EPOLL_CTL_DEL)
 *
 * Return: 0 or the errno epoll_ctl() gives, in its order.
 */
int sep_do_ctl(int epfd, int op, int fd, const struct epoll_event __user *uev)
{
	struct epoll_event epds = { };
	struct fd ef;
	int error;

	if (sep_ctl_get_event(op, &epds, uev))
		return -EFAULT;

	/* Light lookups, as epoll_ctl() does: the fd table pins both. */
	ef = fdget(epfd);
	if (!fd_file(ef))
		return -EBADF;
	error = sep_ctl_on(fd_file(ef), op, fd, &epds);
	fdput(ef);
	return error;
}

/**
 * sep_do_ctl_file() - sep_do_ctl() on an instance the caller looked up
 * @epfile: the instance file of the epfd, pinned by the caller
 * @op:     EPOLL_CTL_*
 * @fd:     the target fd
 * @uev:    user pointer to the event (not read for EPOLL_CTL_DEL)
 *
 * The adopted epoll_ctl(): its hook found @epfile in the fd table.  The
 * errors are sep_do_ctl()'s, in its order (a found epfd gives no EBADF).
 *
 * Return: 0 or the errno epoll_ctl() gives.
 */
int sep_do_ctl_file(struct file *epfile, int op, int fd,
		    const struct epoll_event __user *uev)
{
	struct epoll_event epds = { };

	if (sep_ctl_get_event(op, &epds, uev))
		return -EFAULT;
	return sep_ctl_on(epfile, op, fd, &epds);
}

static int sep_ioctl_ctl(const void __user *uarg)
{
	struct shadow_epoll_ctl_args args;
	int error;

	error = sep_copy_args_hot(&args, sizeof(args), uarg);
	if (error)
		return error;
	return sep_do_ctl(args.epfd, args.op, args.fd,
			  u64_to_user_ptr(args.event));
}

/* Copy one event out: events first, then data, as the kernel does. */
static int sep_copy_user_event(void *ctx, int idx, __poll_t revents, u64 data)
{
	struct epoll_event __user *uev = (__force struct epoll_event __user *)ctx;

	/* The array passed access_ok() in sep_check_maxevents(). */
	uev += idx;
	if (!user_write_access_begin(uev, sizeof(*uev)))
		return -EFAULT;
	unsafe_put_user(revents, &uev->events, out_fault);
	unsafe_put_user(data, &uev->data, out_fault);
	user_write_access_end();
	return 0;

out_fault:
	user_write_access_end();
	return -EFAULT;
}

static inline int sep_check_maxevents(struct epoll_event __user *events,
				      int maxevents)
{
	if (maxevents <= 0 || maxevents > SEP_MAX_EVENTS)
		return -EINVAL;
	if (!access_ok(events, maxevents * sizeof(struct epoll_event)))
		return -EFAULT;
	return 0;
}

/* The wait on a found epfd: EINVAL unless it is an instance. */
static int sep_wait_found(struct file *file, struct epoll_event __user *events,
			  int maxevents, struct timespec64 *to)
{
	if (!sep_is_shadow_file(file))
		return -EINVAL;
	return sep_wait(file->private_data, sep_copy_user_event,
			(__force void *)events, maxevents, to);
}

/* do_epoll_wait(): argument checks in the running kernel's order. */
static int sep_do_wait(int epfd, struct epoll_event __user *events,
		       int maxevents, struct timespec64 *to)
{
	struct file *file;
	struct fd f;
	int error;

	if (!SEP_WAIT_EBADF_FIRST) {
		error = sep_check_maxevents(events, maxevents);
		if (error)
			return error;
	}
	f = fdget(epfd);
	file = fd_file(f);
	if (!file)
		return -EBADF;
	if (SEP_WAIT_EBADF_FIRST) {
		error = sep_check_maxevents(events, maxevents);
		if (error)
			goto out_put;
	}
	error = sep_wait_found(file, events, maxevents, to);
out_put:
	fdput(f);
	return error;
}

/* now + @rel, saturating at TIME64_MAX like the kernel's deadlines. */
static struct timespec64 sep_deadline_after(struct timespec64 rel)
{
	struct timespec64 now, res;

	ktime_get_ts64(&now);
	res.tv_sec = (time64_t)((u64)now.tv_sec + (u64)rel.tv_sec);
	res.tv_nsec = now.tv_nsec + rel.tv_nsec;
	if (res.tv_nsec >= NSEC_PER_SEC) {
		res.tv_sec++;
		res.tv_nsec -= NSEC_PER_SEC;
	}
	if (res.tv_sec < now.tv_sec || res.tv_sec < rel.tv_sec) {
		res.tv_sec = TIME64_MAX;
		res.tv_nsec = 0;
	}
	return res;
}

/**
 * sep_ms_deadline_after() - sep_ms_deadline() of a timeout > 0
 * @to: where the deadline is kept
 * @ms: the timeout, > 0
 *
 * Return: @to.
 */
struct timespec64 *sep_ms_deadline_after(struct timespec64 *to, int ms)
{
	to->tv_sec = ms / MSEC_PER_SEC;
	to->tv_nsec = NSEC_PER_MSEC * (ms % MSEC_PER_SEC);
	*to = sep_deadline_after(*to);
	return to;
}

/**
 * sep_ts_deadline() - epoll_pwait2()'s timespec to an absolute deadline
 * @to:  where the deadline goes
 * @uts: user pointer to a struct __kernel_timespec (not NULL)
 *
 * Return: 0, -EFAULT, then -EINVAL (an invalid timespec), in that order.
 */
int sep_ts_deadline(struct timespec64 *to, u64 uts)
{
	struct timespec64 ts;

	if (get_timespec64(&ts, u64_to_user_ptr(uts)))
		return -EFAULT;
	if (!timespec64_valid(&ts))
		return -EINVAL;
	if (!ts.tv_sec && !ts.tv_nsec) {
		*to = ts;
		return 0;
	}
	*to = sep_deadline_after(ts);
	return 0;
}

/*
 * set_user_sigmask(): apply the caller's mask for the call and keep the old
 * one in saved_sigmask, restored on return (or after the handler on EINTR).
 */
static int sep_set_user_sigmask(u64 umask, u64 sigsetsize)
{
	sigset_t kmask;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&kmask, u64_to_user_ptr(umask), sizeof(kmask)))
		return -EFAULT;
	sigdelsetmask(&kmask, sigmask(SIGKILL) | sigmask(SIGSTOP));
	set_restore_sigmask();
	current->saved_sigmask = current->blocked;
	sigprocmask(SIG_SETMASK, &kmask, NULL);
	return 0;
}

/* No mask (the common case) without a call. */
static inline int sep_set_sigmask(u64 umask, u64 sigsetsize)
{
	return umask ? sep_set_user_sigmask(umask, sigsetsize) : 0;
}

static void sep_restore_sigmask_unless(bool interrupted)
{
	if (interrupted)
		return;
	if (test_and_clear_restore_sigmask())
		sigprocmask(SIG_SETMASK, &current->saved_sigmask, NULL);
}

/*
 * The wait under the caller's sigmask, on @file when the caller found the
 * instance (an adopted call: no EBADF), else on @epfd (sep_do_wait()).
 */
static __always_inline int sep_pwait(int epfd, struct file *file,
				     struct epoll_event __user *events,
				     int maxevents, struct timespec64 *to,
				     u64 sigmask, u64 sigsetsize)
{
	int error;

	error = sep_set_sigmask(sigmask, sigsetsize);
	if (error)
		return error;
	if (file) {
		error = sep_check_maxevents(events, maxevents);
		if (!error)
			error = sep_wait_found(file, events, maxevents, to);
	} else {
		error = sep_do_wait(epfd, events, maxevents, to);
	}
	if (sigmask)
		sep_restore_sigmask_unless(error == -EINTR);
	return error;
}

/**
 * sep_do_pwait() - do_epoll_pwait() on a shadow instance
 * @epfd:       the instance's fd
 * @events:     user array of @maxevents events
 * @maxevents:  its length
 * @to:         absolute deadline, NULL for none
 * @sigmask:    user pointer to a sigset_t to apply for the call, or 0
 * @sigsetsize: its size
 *
 * Return: events written, or the errno epoll_pwait() gives, in its order.
 */
int sep_do_pwait(int epfd, struct epoll_event __user *events, int maxevents,
		 struct timespec64 *to, u64 sigmask, u64 sigsetsize)
{
	return sep_pwait(epfd, NULL, events, maxevents, to, sigmask,
			 sigsetsize);
}

/**
 * sep_do_pwait_file() - sep_do_pwait() on an instance the caller looked up
 * @file:       the instance file of the epfd, pinned by the caller
 * @events:     user array of @maxevents events
 * @maxevents:  its length
 * @to:         absolute deadline, NULL for none
 * @sigmask:    user pointer to a sigset_t to apply for the call, or 0
 * @sigsetsize: its size
 *
 * The adopted epoll_wait(), epoll_pwait() and epoll_pwait2(): their hook
 * found @file in the fd table, so only EBADF cannot happen; the other
 * errors come in sep_do_pwait()'s order.
 *
 * Return: events written, or the errno epoll_pwait() gives.
 */
int sep_do_pwait_file(struct file *file, struct epoll_event __user *events,
		      int maxevents, struct timespec64 *to, u64 sigmask,
		      u64 sigsetsize)
{
	return sep_pwait(-1, file, events, maxevents, to, sigmask, sigsetsize);
}

/**
 * sep_check_wait() - SHADOW_EPOLL_IOC_WAIT's own argument rules
 * @args: the kernel copy
 *
 * The epoll_pwait2() rules (maxevents, timeout, sigmask) follow in the
 * syscall's order; these come first.
 *
 * Return: 0, or -EINVAL for unknown flags or a non-zero reserved field.
 */
VISIBLE_IF_KUNIT int sep_check_wait(const struct shadow_epoll_wait_args *args)
{
	if ((args->flags & ~SHADOW_EPOLL_WAIT_FLAGS) || args->__reserved)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_wait);

static int sep_ioctl_wait(const void __user *uarg)
{
	struct shadow_epoll_wait_args args;
	struct timespec64 ts, *to = NULL;
	int error;

	error = sep_copy_args_hot(&args, sizeof(args), uarg);
	if (!error)
		error = sep_check_wait(&args);
	if (error)
		return error;

	if (args.flags & SHADOW_EPOLL_WAIT_TIMESPEC) {
		if (args.timeout_ts) {
			error = sep_ts_deadline(&ts, args.timeout_ts);
			if (error)
				return error;
			to = &ts;
		}
	} else {
		to = sep_ms_deadline(&ts, args.timeout_ms);
	}

	return sep_do_pwait(args.epfd, u64_to_user_ptr(args.events),
			    args.maxevents, to, args.sigmask, args.sigsetsize);
}

/* Resolve @epfd of a dump to an instance file. */
static struct file *sep_dump_file(int epfd, int *error)
{
	struct file *file = fget(epfd);

	*error = -EBADF;
	if (!file)
		return NULL;
	*error = -EINVAL;
	if (!sep_is_shadow_file(file)) {
		fput(file);
		return NULL;
	}
	*error = 0;
	return file;
}

struct sep_dump_buf {
	void *entries;
	u32 cap;
	u32 n;
};

static void sep_fill_ready(void *ctx, const struct sep_item *item, u32 flags)
{
	struct sep_dump_buf *b = ctx;
	struct shadow_epoll_ready_entry *e;

	if (b->n >= b->cap)
		return;
	e = (struct shadow_epoll_ready_entry *)b->entries + b->n++;
	e->fd = item->fd;
	e->events = (__force u32)READ_ONCE(item->events);
	e->data = item->data;
	e->flags = flags;
	e->__pad = 0;
}

static void sep_fill_interest(void *ctx, const struct sep_item *item,
			      struct file *file, u32 flags)
{
	struct sep_dump_buf *b = ctx;
	struct shadow_epoll_interest_entry *e;
	struct inode *inode = file_inode(file);

	if (b->n >= b->cap) {
		b->n++;
		return;
	}
	e = (struct shadow_epoll_interest_entry *)b->entries + b->n++;
	e->fd = item->fd;
	e->events = (__force u32)READ_ONCE(item->events);
	e->data = item->data;
	e->pos = file->f_pos;
	e->ino = inode->i_ino;
	e->sdev = inode->i_sb->s_dev;
	e->flags = flags;
}

/**
 * sep_check_dump() - READY/INTEREST argument rules
 * @args: the kernel copy
 *
 * Return: 0, or -EINVAL if the output-only @flags is not 0 on input.
 */
VISIBLE_IF_KUNIT int sep_check_dump(const struct shadow_epoll_dump_args *args)
{
	return args->flags ? -EINVAL : 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_dump);

static int sep_ioctl_dump(const void __user *uarg, bool ready)
{
	struct shadow_epoll_dump_args __user *uargs = (void __user *)uarg;
	size_t esize = ready ? sizeof(struct shadow_epoll_ready_entry) :
			       sizeof(struct shadow_epoll_interest_entry);
	struct shadow_epoll_dump_args args;
	struct sep_dump_buf b = { };
	unsigned long total;
	struct file *file;
	u32 dflags = 0;
	int error;

	error = sep_copy_args(&args, sizeof(args), sizeof(args), uarg);
	if (!error)
		error = sep_check_dump(&args);
	if (error)
		return error;
	file = sep_dump_file(args.epfd, &error);
	if (!file)
		return error;

	/* Sized by the caller's count: charged to the caller's memcg. */
	b.cap = min(args.count, SEP_DUMP_MAX);
	if (b.cap) {
		error = -ENOMEM;
		b.entries = kvcalloc(b.cap, esize, GFP_KERNEL_ACCOUNT);
		if (!b.entries)
			goto out_put;
	}
	if (ready) {
		total = sep_ready_dump(file->private_data, sep_fill_ready, &b,
				       b.cap, &dflags);
	} else {
		error = sep_interest_walk(file->private_data,
					  sep_fill_interest, &b);
		if (error)
			goto out_free;
		total = b.n;
	}

	error = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(args.entries), b.entries,
			 (size_t)min_t(u32, b.n, b.cap) * esize))
		goto out_free;
	if (put_user(min_t(unsigned long, total, U32_MAX), &uargs->count) ||
	    put_user(dflags, &uargs->flags))
		goto out_free;
	error = 0;
out_free:
	kvfree(b.entries);
out_put:
	fput(file);
	return error;
}

/*
 * Synthetic sources (source.c): the source ioctls are decoded here, and the
 * source file's operations live here, so that source.c sees kernel structs
 * only.
 */

/**
 * sep_check_source() - SHADOW_EPOLL_IOC_SOURCE's argument rules
 * @args: the kernel copy
 *
 * Return: 0, or -EINVAL for flags other than O_CLOEXEC or a non-zero
 * reserved field.
 */
VISIBLE_IF_KUNIT int
sep_check_source(const struct shadow_epoll_source_args *args)
{
	if ((args->flags & ~O_CLOEXEC) || args->__reserved)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_source);

/**
 * sep_check_source_change() - a mask change's rules (SRC_SET, SRC_TRIGGER)
 * @c: the kernel copy
 *
 * Return: 0, or -EINVAL for an unknown op or flag or a non-zero reserved
 * field.
 */
VISIBLE_IF_KUNIT int
sep_check_source_change(const struct shadow_epoll_source_change *c)
{
	if (c->op > SHADOW_EPOLL_SRC_POLLFREE)
		return -EINVAL;
	if ((c->flags & ~SHADOW_EPOLL_SRC_FLAGS) || c->__reserved)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_source_change);

/**
 * sep_check_source_trigger() - SHADOW_EPOLL_IOC_SRC_TRIGGER's rules
 * @t: the kernel copy
 *
 * The change is checked even when @t->count is 0 (disarm); its own @size
 * is ignored.
 *
 * Return: 0 or -EINVAL.
 */
VISIBLE_IF_KUNIT int
sep_check_source_trigger(const struct shadow_epoll_source_trigger *t)
{
	if (t->__reserved)
		return -EINVAL;
	return sep_check_source_change(&t->change);
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_source_trigger);

static const struct file_operations sep_source_fops;

static __poll_t sep_source_file_poll(struct file *file, poll_table *pt)
{
	return sep_source_poll(file->private_data, file, pt);
}

static int sep_source_file_release(struct inode *inode, struct file *file)
{
	sep_source_release(file->private_data);
	return 0;
}

static long sep_source_ioctl_set(struct sep_source *src,
				 const void __user *uarg)
{
	struct shadow_epoll_source_change c;
	int error;

	error = sep_copy_args(&c, sizeof(c), sizeof(c), uarg);
	if (!error)
		error = sep_check_source_change(&c);
	if (error)
		return error;
	return (__force u32)sep_source_apply(src, &c) & INT_MAX;
}

static long sep_source_ioctl_trigger(struct sep_source *src,
				     const void __user *uarg)
{
	struct shadow_epoll_source_trigger t;
	struct file *tfile;
	int error;

	error = sep_copy_args(&t, sizeof(t), sizeof(t), uarg);
	if (!error)
		error = sep_check_source_trigger(&t);
	if (error)
		return error;
	if (!t.count) {
		sep_source_arm(src, NULL, 0, NULL);
		return 0;
	}
	tfile = fget(t.target_fd);
	if (!tfile)
		return -EBADF;
	error = -EINVAL;
	if (tfile->f_op == &sep_source_fops) {
		sep_source_arm(src, tfile->private_data, t.count, &t.change);
		error = 0;
	}
	fput(tfile);
	return error;
}

/* ->unlocked_ioctl of a source file. */
static long sep_source_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct sep_source *src = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SHADOW_EPOLL_IOC_SRC_SET:
		return sep_source_ioctl_set(src, uarg);
	case SHADOW_EPOLL_IOC_SRC_TRIGGER:
		return sep_source_ioctl_trigger(src, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations sep_source_fops = {
	.owner		= THIS_MODULE,
	.poll		= sep_source_file_poll,
	.release	= sep_source_file_release,
	.unlocked_ioctl	= sep_source_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* SHADOW_EPOLL_IOC_SOURCE: a new source fd. */
static long sep_ioctl_source(const void __user *uarg)
{
	struct shadow_epoll_source_args args;
	struct sep_source *src;
	int fd, error;

	error = sep_copy_args(&args, sizeof(args), sizeof(args), uarg);
	if (!error)
		error = sep_check_source(&args);
	if (error)
		return error;
	src = sep_source_new((__force __poll_t)args.mask);
	if (!src)
		return -ENOMEM;
	fd = anon_inode_getfd("[shadow_epoll_source]", &sep_source_fops, src,
			      O_RDWR | (args.flags & O_CLOEXEC));
	if (fd < 0)
		sep_source_put(src);
	return fd;
}

/*
 * SHADOW_EPOLL_IOC_ADOPT is served by adopt.c, which sits above this file
 * (its system calls enter the bodies above): the command is decoded here
 * and handed to the function main.c gives sep_ioctl_init() at load.
 */
static long (*sep_adopt_fn)(const struct shadow_epoll_adopt_args *args)
	__ro_after_init;

/**
 * sep_ioctl_init() - module init: where SHADOW_EPOLL_IOC_ADOPT goes
 * @adopt: adopt.c's entry, given the checked kernel copy
 */
void __init sep_ioctl_init(long (*adopt)(const struct shadow_epoll_adopt_args *))
{
	sep_adopt_fn = adopt;
}

/**
 * sep_check_adopt() - SHADOW_EPOLL_IOC_ADOPT's argument rules
 * @args: the kernel copy
 *
 * The fds are checked by adopt.c, when it takes them.
 *
 * Return: 0, or -EINVAL for unknown flags, or a @log_fd other than -1
 * without SHADOW_EPOLL_ADOPT_LOG.
 */
VISIBLE_IF_KUNIT int sep_check_adopt(const struct shadow_epoll_adopt_args *args)
{
	if (args->flags & ~SHADOW_EPOLL_ADOPT_FLAGS)
		return -EINVAL;
	if (!(args->flags & SHADOW_EPOLL_ADOPT_LOG) && args->log_fd != -1)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_check_adopt);

static long sep_ioctl_adopt(const void __user *uarg)
{
	struct shadow_epoll_adopt_args args;
	int error;

	error = sep_copy_args(&args, sizeof(args), sizeof(args), uarg);
	if (!error)
		error = sep_check_adopt(&args);
	if (error)
		return error;
	return sep_adopt_fn(&args);
}

/*
 * ioctls an epoll fd itself answers: EPIOCSPARAMS/EPIOCGPARAMS from 6.9
 * (unknown commands give EINVAL there), nothing before (ENOTTY).
 */
static long sep_epoll_ioctl(struct sep_instance *ep, unsigned int cmd,
			    void __user *uarg)
{
#if SEP_HAS_EPOLL_IOCTL && IS_ENABLED(CONFIG_NET_RX_BUSY_POLL)
	struct epoll_params p;

	switch (cmd) {
	case EPIOCSPARAMS:
		if (copy_from_user(&p, uarg, sizeof(p)))
			return -EFAULT;
		if (p.__pad || p.busy_poll_usecs > S32_MAX ||
		    p.prefer_busy_poll > 1)
			return -EINVAL;
		if (p.busy_poll_budget > NAPI_POLL_WEIGHT &&
		    !capable(CAP_NET_ADMIN))
			return -EPERM;
		WRITE_ONCE(ep->bp_usecs, p.busy_poll_usecs);
		WRITE_ONCE(ep->bp_budget, p.busy_poll_budget);
		WRITE_ONCE(ep->bp_prefer, p.prefer_busy_poll);
		return 0;
	case EPIOCGPARAMS:
		memset(&p, 0, sizeof(p));
		p.busy_poll_usecs = READ_ONCE(ep->bp_usecs);
		p.busy_poll_budget = READ_ONCE(ep->bp_budget);
		p.prefer_busy_poll = READ_ONCE(ep->bp_prefer);
		if (copy_to_user(uarg, &p, sizeof(p)))
			return -EFAULT;
		return 0;
	}
	return -EINVAL;
#elif SEP_HAS_EPOLL_IOCTL
	if (cmd == EPIOCSPARAMS || cmd == EPIOCGPARAMS)
		return -EOPNOTSUPP;
	return -EINVAL;
#else
	return -ENOTTY;
#endif
}

/**
 * sep_ioctl() - ->unlocked_ioctl of every shadow_epoll fd
 * @file: the fd the ioctl was issued on (any instance: a "gateway")
 * @cmd:  SHADOW_EPOLL_IOC_* or an epoll ioctl
 * @arg:  user pointer to the argument struct
 *
 * Return: as documented in the uapi header.
 */
long sep_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	sep_build_check_abi();
	if (_IOC_TYPE(cmd) != SHADOW_EPOLL_IOC_MAGIC)
		return sep_epoll_ioctl(file->private_data, cmd, uarg);

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(SHADOW_EPOLL_IOC_CREATE):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_CREATE))
			return sep_ioctl_create(uarg);
		break;
	case _IOC_NR(SHADOW_EPOLL_IOC_CTL):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_CTL))
			return sep_ioctl_ctl(uarg);
		break;
	case _IOC_NR(SHADOW_EPOLL_IOC_WAIT):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_WAIT))
			return sep_ioctl_wait(uarg);
		break;
	case _IOC_NR(SHADOW_EPOLL_IOC_READY):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_READY))
			return sep_ioctl_dump(uarg, true);
		break;
	case _IOC_NR(SHADOW_EPOLL_IOC_INTEREST):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_INTEREST))
			return sep_ioctl_dump(uarg, false);
		break;
	case _IOC_NR(SHADOW_EPOLL_IOC_ADOPT):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_ADOPT))
			return sep_ioctl_adopt(uarg);
		break;
	case _IOC_NR(SHADOW_EPOLL_IOC_SOURCE):
		if (_IOC_DIR(cmd) == _IOC_DIR(SHADOW_EPOLL_IOC_SOURCE))
			return sep_ioctl_source(uarg);
		break;
	}
	return -ENOTTY;
}
