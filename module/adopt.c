// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: adoption of the epoll system calls for a cgroup.
 *
 * SHADOW_EPOLL_IOC_ADOPT names a cgroup v2 directory, the scope, and
 * returns a scope fd.  While a scope exists, the x86-64 entry points of the
 * epoll system calls (sep_hooks[]) are hooked: one ftrace_ops with
 * FTRACE_OPS_FL_IPMODIFY on the six of them, as livepatch redirects a
 * function, or, where ftrace cannot be used, one kprobe on each.  The hook
 * changes the instruction pointer to a replacement here, which serves the
 * call on the shadow through the syscall-shaped entries of ioctl.c (errno
 * order included) and returns to the syscall dispatcher as the original
 * would have.  Which calls are taken:
 *
 * - epoll_create(), epoll_create1(): when the caller is in a scope's cgroup
 *   or below it; the instance is an "adopted" one, named [eventpoll].
 * - epoll_ctl(), epoll_wait(), epoll_pwait(), epoll_pwait2(): when the
 *   epfd is an adopted instance, whoever calls (the fd decides: a task that
 *   left the scope, or received the fd, keeps a working epoll; an instance
 *   opened from /dev/shadow_epoll, and any real epoll, keep their
 *   behaviour).
 *
 * Every other call runs the in-tree code, and with no scope and no adopted
 * instance nothing is hooked: sep_adopt_users counts both, and the hooks
 * are registered exactly while it is non-zero.
 *
 * The hook passes the replacement a second argument (the argument register
 * it sets beside the instruction pointer): for the calls taken by their
 * epfd, the instance file it found, as a struct fd does (sep_fdw): pinned
 * by a reference if the fd table is shared, else by the table itself, which
 * only the caller can change (fdget()'s rule).  The replacement serves the
 * call on that file, with no second lookup, and drops the reference last.
 *
 * Unload: scope files and instance files pin the module (their f_op's
 * owner).  The hook runs only while one exists (unregistering waits for
 * running hooks).  A call taken by its epfd runs the replacement with the
 * instance file pinned (reference or private fd table) from the hook to its
 * last step: the module cannot go before.  A create call has no such file:
 * the hook takes a module reference (pinned there, by the scope) and the
 * replacement drops it last.  The few instructions after the last step are
 * waited for by sep_adopt_exit() with synchronize_rcu_tasks().
 *
 * Not covered (README, "Adopted programs"): the ia32 compat entries (a
 * 32-bit task in a scope keeps the in-tree epoll) and io_uring's
 * IORING_OP_EPOLL_CTL, which calls do_epoll_ctl() directly (EINVAL on an
 * adopted instance, as on any non-epoll fd).  x32 has no epoll entries of
 * its own: its calls reach the x86-64 ones and are adopted like them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>

#include "../include/uapi/linux/shadow_epoll.h"
#include "adopt.h"
#include "ioctl.h"
#include "object.h"

#if IS_ENABLED(CONFIG_KPROBES) && IS_ENABLED(CONFIG_X86_64) && \
	IS_ENABLED(CONFIG_CGROUPS)

/**
 * struct sep_scope - one SHADOW_EPOLL_IOC_ADOPT
 * @node: on sep_scopes; added and removed under sep_adopt_mutex, walked
 *        under RCU by the pre-handler and the logger
 * @cgrp: the scope's cgroup (a reference)
 * @log:  where log lines go, or NULL (a reference)
 */
struct sep_scope {
	struct list_head node;
	struct cgroup *cgrp;
	struct file *log;
};

/*
 * sep_adopt_mutex protects sep_scopes (writers), sep_adopt_users and the
 * registration of the kprobes.  It is taken in process context only (the
 * ioctl, adopted epoll_create, release of scope and adopted instance
 * files) and nests outside kprobe_mutex and ftrace_lock (inside
 * register/unregister).
 */
static DEFINE_MUTEX(sep_adopt_mutex);
static LIST_HEAD(sep_scopes);
static unsigned long sep_adopt_users;
/* Scopes with a log file; read locklessly as a hint. */
static int sep_adopt_logging;

/*
 * The hook's word for the replacement (like struct fd's): the instance file
 * of the epfd, with SEP_FDW_PUT if the hook took a reference; 0 for the
 * create calls.
 */
#define SEP_FDW_PUT	1UL

static inline struct file *sep_fdw_file(unsigned long fdw)
{
	return (struct file *)(fdw & ~SEP_FDW_PUT);
}

typedef long (*sep_sys_fn)(const struct pt_regs *regs, unsigned long fdw);

/**
 * struct sep_hook - one hooked system call
 * @kp:     its kprobe, when kprobes are used (re-initialised before every
 *          registration)
 * @sym:    the entry point
 * @fn:     the replacement
 * @nr:     the system call number (how the ftrace hook tells them apart)
 * @create: taken by scope membership rather than by the epfd
 */
struct sep_hook {
	struct kprobe kp;
	const char *sym;
	sep_sys_fn fn;
	unsigned int nr;
	bool create;
};

/* Is current in (or below) a scope's cgroup?  Caller holds RCU. */
static struct sep_scope *sep_current_scope(void)
{
	struct cgroup *cg = task_dfl_cgroup(current);
	struct sep_scope *s;

	list_for_each_entry_rcu(s, &sep_scopes, node)
		if (cgroup_is_descendant(cg, s->cgrp))
			return s;
	return NULL;
}

/*
 * The instance file of @fd if it is an adopted instance, as a word for the
 * replacement (see sep_fdw), else 0.  Atomic context.  Like fdget(): if the
 * fd table is not shared, only the caller can change it, and the entry pins
 * the file for the whole call; otherwise the file is looked up under RCU,
 * pinned only if it is one of ours, and re-checked in the table (files may
 * be reused under RCU from 6.12), as __fget_files_rcu() does.
 */
static bool sep_file_adopted(struct file *f)
{
	return sep_is_shadow_file(f) &&
	       READ_ONCE(((struct sep_instance *)f->private_data)->adopted);
}

static unsigned long sep_fd_adopted(unsigned int fd)
{
	struct files_struct *files = current->files;
	struct file *f;

	if (atomic_read_acquire(&files->count) == 1) {
		f = files_lookup_fd_raw(files, fd);
		return f && sep_file_adopted(f) ? (unsigned long)f : 0;
	}
	rcu_read_lock();
	f = files_lookup_fd_raw(files, fd);
	if (!f || !sep_is_shadow_file(f) || !sep_file_tryget(f))
		goto out_none;
	if (f == files_lookup_fd_raw(files, fd) && sep_file_adopted(f)) {
		rcu_read_unlock();
		return (unsigned long)f | SEP_FDW_PUT;
	}
	sep_fput(f);
out_none:
	rcu_read_unlock();
	return 0;
}

/*
 * Does @h take this call?  If so, redirect it: @regs are the registers at
 * the entry of the hooked function (its argument is the caller's pt_regs),
 * the replacement gets the word of sep_fd_adopted() as its second argument.
 */
static bool sep_adopt_redirect(const struct sep_hook *h, struct pt_regs *regs)
{
	const struct pt_regs *uregs = (const struct pt_regs *)regs->di;
	unsigned long fdw = 0;
	bool take;

	if (h->create) {
		rcu_read_lock();
		take = sep_current_scope();
		rcu_read_unlock();
		if (!take)
			return false;
		/* Pinned here by a scope file; dropped by sep_adopt_ret(). */
		__module_get(THIS_MODULE);
	} else {
		fdw = sep_fd_adopted((unsigned int)uregs->di);
		if (!fdw)
			return false;
	}
	regs->si = fdw;
	instruction_pointer_set(regs, (unsigned long)h->fn);
	return true;
}

static int sep_adopt_pre(struct kprobe *kp, struct pt_regs *regs)
{
	return sep_adopt_redirect(container_of(kp, struct sep_hook, kp), regs);
}

/* A post-handler keeps the kprobe unoptimised and IPMODIFY on ftrace. */
static void sep_adopt_post(struct kprobe *kp, struct pt_regs *regs,
			   unsigned long flags)
{
}

static __printf(1, 2) void sep_adopt_log(const char *fmt, ...)
{
	struct file *log = NULL;
	struct sep_scope *s;
	char buf[160];
	va_list args;
	int n;

	rcu_read_lock();
	s = sep_current_scope();
	if (s && s->log)
		log = get_file(s->log);
	rcu_read_unlock();
	if (!log)
		return;
	n = scnprintf(buf, sizeof(buf), "shadow_epoll[%d]: ",
		      task_pid_vnr(current));
	va_start(args, fmt);
	n += vscnprintf(buf + n, sizeof(buf) - n, fmt, args);
	va_end(args);
	kernel_write(log, buf, n, &log->f_pos);
	fput(log);
}

#define sep_log(fmt, ...) do {						\
	if (READ_ONCE(sep_adopt_logging))				\
		sep_adopt_log(fmt, ##__VA_ARGS__);			\
} while (0)

/* The last step of a create replacement: see "Unload" at the top. */
static __always_inline long sep_adopt_ret(long ret)
{
	module_put(THIS_MODULE);
	return ret;
}

/* The last step of the others: drop the hook's reference, if it took one. */
static __always_inline long sep_adopt_ret_fdw(unsigned long fdw, long ret)
{
	if (fdw & SEP_FDW_PUT)
		sep_fput(sep_fdw_file(fdw));
	return ret;
}

static long sep_adopt_get(void);

static long sep_adopt_create(int flags)
{
	long fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	fd = sep_adopt_get();
	if (fd)
		return fd;
	fd = sep_create_fd(flags, true);
	if (fd < 0)
		sep_adopt_put();
	return fd;
}

static long sep_sys_epoll_create(const struct pt_regs *regs, unsigned long fdw)
{
	int size = (int)regs->di;
	long ret = size <= 0 ? -EINVAL : sep_adopt_create(0);

	sep_log("epoll_create(%d) = %ld\n", size, ret);
	return sep_adopt_ret(ret);
}

static long sep_sys_epoll_create1(const struct pt_regs *regs, unsigned long fdw)
{
	int flags = (int)regs->di;
	long ret = sep_adopt_create(flags);

	sep_log("epoll_create1(%#x) = %ld\n", flags, ret);
	return sep_adopt_ret(ret);
}

static long sep_sys_epoll_ctl(const struct pt_regs *regs, unsigned long fdw)
{
	int epfd = (int)regs->di, op = (int)regs->si, fd = (int)regs->dx;
	const struct epoll_event __user *uev = (const void __user *)regs->r10;
	long ret = sep_do_ctl_file(sep_fdw_file(fdw), op, fd, uev);

	sep_log("epoll_ctl(%d, %d, %d, %p) = %ld\n", epfd, op, fd, uev, ret);
	return sep_adopt_ret_fdw(fdw, ret);
}

/* epoll_wait() and epoll_pwait(): a timeout in ms, and a mask or none. */
static long sep_sys_wait_ms(const struct pt_regs *regs, unsigned long fdw,
			    const char *name, u64 sigmask, u64 sigsetsize)
{
	int epfd = (int)regs->di, maxevents = (int)regs->dx;
	int ms = (int)regs->r10;
	struct timespec64 ts;
	long ret;

	ret = sep_do_pwait_file(sep_fdw_file(fdw), (void __user *)regs->si,
				maxevents, sep_ms_deadline(&ts, ms), sigmask,
				sigsetsize);
	sep_log("%s(%d, %d, %d) = %ld\n", name, epfd, maxevents, ms, ret);
	return sep_adopt_ret_fdw(fdw, ret);
}

static long sep_sys_epoll_wait(const struct pt_regs *regs, unsigned long fdw)
{
	return sep_sys_wait_ms(regs, fdw, "epoll_wait", 0, 0);
}

static long sep_sys_epoll_pwait(const struct pt_regs *regs, unsigned long fdw)
{
	return sep_sys_wait_ms(regs, fdw, "epoll_pwait", regs->r8, regs->r9);
}

static long sep_sys_epoll_pwait2(const struct pt_regs *regs, unsigned long fdw)
{
	int epfd = (int)regs->di, maxevents = (int)regs->dx;
	struct timespec64 ts, *to = NULL;
	long ret = 0;

	if (regs->r10) {
		ret = sep_ts_deadline(&ts, regs->r10);
		to = &ts;
	}
	if (!ret)
		ret = sep_do_pwait_file(sep_fdw_file(fdw),
					(void __user *)regs->si, maxevents, to,
					regs->r8, regs->r9);
	sep_log("epoll_pwait2(%d, %d, %#lx, %#lx) = %ld\n", epfd, maxevents,
		regs->r10, regs->r8, ret);
	return sep_adopt_ret_fdw(fdw, ret);
}

/* The ctl and wait calls first: the ftrace hook looks them up in order. */
static struct sep_hook sep_hooks[] = {
	{ .sym = "__x64_sys_epoll_wait", .fn = sep_sys_epoll_wait,
	  .nr = __NR_epoll_wait },
	{ .sym = "__x64_sys_epoll_ctl", .fn = sep_sys_epoll_ctl,
	  .nr = __NR_epoll_ctl },
	{ .sym = "__x64_sys_epoll_pwait", .fn = sep_sys_epoll_pwait,
	  .nr = __NR_epoll_pwait },
	{ .sym = "__x64_sys_epoll_pwait2", .fn = sep_sys_epoll_pwait2,
	  .nr = __NR_epoll_pwait2 },
	{ .sym = "__x64_sys_epoll_create1", .fn = sep_sys_epoll_create1,
	  .nr = __NR_epoll_create1, .create = true },
	{ .sym = "__x64_sys_epoll_create", .fn = sep_sys_epoll_create,
	  .nr = __NR_epoll_create, .create = true },
};

static struct kprobe *sep_kps[ARRAY_SIZE(sep_hooks)];

static int sep_kprobes_register(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sep_hooks); i++) {
		struct sep_hook *h = &sep_hooks[i];

		memset(&h->kp, 0, sizeof(h->kp));
		h->kp.symbol_name = h->sym;
		h->kp.pre_handler = sep_adopt_pre;
		h->kp.post_handler = sep_adopt_post;
		sep_kps[i] = &h->kp;
	}
	return register_kprobes(sep_kps, ARRAY_SIZE(sep_kps));
}

#if IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_ARGS) || \
	IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_REGS)

/*
 * The ftrace hook: the callback runs straight from the ops' trampoline at
 * the entry of the six functions (no kprobe dispatch).  With ftrace_regs
 * carrying the argument registers and the instruction pointer (WITH_ARGS),
 * the lighter trampoline serves; otherwise full registers are saved.
 */
#if IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#define SEP_FTRACE_REGS_FLAG	0
#else
#define SEP_FTRACE_REGS_FLAG	FTRACE_OPS_FL_SAVE_REGS
#endif

/*
 * Which function was entered: the number of the system call being served
 * (the hooked functions are only called by the syscall dispatcher, for
 * their own number; x32 dispatches them with its bit set).  The number is
 * read as the dispatcher reads it: do_syscall_64() takes an int, while
 * orig_ax keeps all of rax at entry (or what a tracer wrote), so the upper
 * half must be ignored, else a call made with garbage there runs the
 * in-tree function on an adopted instance (EINVAL) or escapes adoption.
 */
static const struct sep_hook *sep_hook_of(const struct pt_regs *uregs)
{
	u32 nr = (u32)uregs->orig_ax & ~(u32)__X32_SYSCALL_BIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sep_hooks); i++)
		if (sep_hooks[i].nr == nr)
			return &sep_hooks[i];
	return NULL;
}

/*
 * No recursion guard: the callback calls none of the functions it is on.
 * It may run preemptible; it needs no more than an RCU read section.
 */
static void notrace sep_adopt_ftrace(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op,
				     struct ftrace_regs *fregs)
{
	struct pt_regs *regs = sep_ftrace_pt_regs(fregs);
	const struct sep_hook *h;

	h = sep_hook_of((const struct pt_regs *)regs->di);
	if (h)
		sep_adopt_redirect(h, regs);
}

/*
 * PERMANENT: registering fails, rather than hooking nothing, while the
 * ftrace_enabled sysctl is off, and the sysctl cannot be turned off while
 * the hook is there (as for livepatch).
 */
static struct ftrace_ops sep_ftrace_ops = {
	.func	= sep_adopt_ftrace,
	.flags	= FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
		  SEP_FTRACE_REGS_FLAG,
};

/*
 * The filter is set once (it scans every traceable function) and kept for
 * the next registrations; freed by sep_adopt_exit().  After a failure the
 * kprobes are used for good.
 */
static enum { SEP_FT_UNSET, SEP_FT_READY, SEP_FT_BROKEN } sep_ftrace_state;

static int sep_ftrace_filter(void)
{
	char buf[32];
	size_t i;
	int error;

	for (i = 0; i < ARRAY_SIZE(sep_hooks); i++) {
		strscpy(buf, sep_hooks[i].sym, sizeof(buf));
		error = ftrace_set_filter(&sep_ftrace_ops, buf, strlen(buf), 0);
		if (error)
			return error;
	}
	return 0;
}

static int sep_ftrace_register(void)
{
	int error;

	if (sep_ftrace_state == SEP_FT_BROKEN)
		return -EOPNOTSUPP;
	if (sep_ftrace_state == SEP_FT_UNSET) {
		error = sep_ftrace_filter();
		if (error)
			goto broken;
		sep_ftrace_state = SEP_FT_READY;
	}
	error = register_ftrace_function(&sep_ftrace_ops);
	/*
	 * -EBUSY: the ftrace_enabled sysctl is off, or another IPMODIFY ops
	 * (livepatch) is on one of the functions.  Kprobes on these ftrace
	 * sites would hook nothing (they are registered, never called) or fail
	 * the same way: no fallback, and ftrace is tried again next time.
	 */
	if (!error || error == -EBUSY)
		return error;
broken:
	pr_info("no ftrace hook (%d): using kprobes\n", error);
	sep_ftrace_state = SEP_FT_BROKEN;
	return error;
}

static void sep_ftrace_unregister(void)
{
	unregister_ftrace_function(&sep_ftrace_ops);
}

static void sep_ftrace_exit(void)
{
	if (sep_ftrace_state != SEP_FT_UNSET)
		ftrace_free_filter(&sep_ftrace_ops);
}

#else /* no ftrace that can change the instruction pointer */

static int sep_ftrace_register(void)
{
	return -EOPNOTSUPP;
}

static void sep_ftrace_unregister(void)
{
}

static void sep_ftrace_exit(void)
{
}

#endif

/* Which hook is registered; under sep_adopt_mutex. */
static bool sep_hooked_by_ftrace;

static int sep_hooks_register(void)
{
	int error;

	error = sep_ftrace_register();
	sep_hooked_by_ftrace = !error;
	if (!error || error == -EBUSY)
		return error;
	error = sep_kprobes_register();
	if (error)
		pr_warn("cannot hook the epoll system calls (%d)\n", error);
	return error;
}

static void sep_hooks_unregister(void)
{
	if (sep_hooked_by_ftrace)
		sep_ftrace_unregister();
	else
		unregister_kprobes(sep_kps, ARRAY_SIZE(sep_kps));
}

/* One more scope or adopted instance: the hooks are armed on return. */
static long sep_adopt_get(void)
{
	int error = 0;

	mutex_lock(&sep_adopt_mutex);
	if (!sep_adopt_users)
		error = sep_hooks_register();
	if (!error)
		sep_adopt_users++;
	mutex_unlock(&sep_adopt_mutex);
	return error;
}

/**
 * sep_adopt_put() - a scope or an adopted instance went away
 *
 * The last one unhooks the system calls (waiting for running pre-handlers).
 * Context: process; sleeps.
 */
void sep_adopt_put(void)
{
	mutex_lock(&sep_adopt_mutex);
	if (!WARN_ON(!sep_adopt_users) && !--sep_adopt_users)
		sep_hooks_unregister();
	mutex_unlock(&sep_adopt_mutex);
}

static int sep_scope_release(struct inode *inode, struct file *file)
{
	struct sep_scope *s = file->private_data;

	mutex_lock(&sep_adopt_mutex);
	list_del_rcu(&s->node);
	if (s->log)
		WRITE_ONCE(sep_adopt_logging, sep_adopt_logging - 1);
	mutex_unlock(&sep_adopt_mutex);
	synchronize_rcu();
	if (s->log)
		fput(s->log);
	cgroup_put(s->cgrp);
	kfree(s);
	sep_adopt_put();
	return 0;
}

static const struct file_operations sep_scope_fops = {
	.owner		= THIS_MODULE,
	.release	= sep_scope_release,
	.llseek		= noop_llseek,
};

/*
 * Who may adopt a cgroup: its owner (the delegation model of cgroup v2: a
 * delegated subtree belongs to the user it was delegated to) or
 * CAP_SYS_ADMIN; on top of access to /dev/shadow_epoll.
 */
/*
 * The cgroup of @cgroup_fd, if the caller owns its directory (or has
 * CAP_SYS_ADMIN).  cgroup_get_from_fd() looks the fd up again, so another
 * thread could dup2() a different cgroup onto it after the owner check:
 * the cgroup taken must be the one whose directory was checked (a kernfs
 * inode's i_private is its node).
 */
static int sep_scope_cgroup(struct sep_scope *s, int cgroup_fd)
{
	struct file *dir = fget(cgroup_fd);
	struct cgroup *cgrp;
	int error = -EBADF;

	if (!dir)
		return error;
	error = -EPERM;
	if (!uid_eq(file_inode(dir)->i_uid, current_fsuid()) &&
	    !capable(CAP_SYS_ADMIN))
		goto out;
	cgrp = cgroup_get_from_fd(cgroup_fd);
	error = PTR_ERR_OR_ZERO(cgrp);
	if (error)
		goto out;
	if (file_inode(dir)->i_private != cgrp->kn) {
		cgroup_put(cgrp);
		error = -EBADF;
		goto out;
	}
	s->cgrp = cgrp;
out:
	fput(dir);
	return error;
}

static int sep_scope_log(struct sep_scope *s, u32 flags, int log_fd)
{
	if (!(flags & SHADOW_EPOLL_ADOPT_LOG))
		return 0;
	s->log = fget(log_fd);
	if (!s->log)
		return -EBADF;
	/*
	 * Adopted tasks write the log themselves, with their own credentials:
	 * only a regular file, which cannot block them (a pipe nobody reads)
	 * nor carry the scope fd in flight (a unix socket pinning the module).
	 */
	if (!S_ISREG(file_inode(s->log)->i_mode) ||
	    !(s->log->f_mode & FMODE_WRITE)) {
		fput(s->log);
		s->log = NULL;
		return -EBADF;
	}
	return 0;
}

static void sep_scope_publish(struct sep_scope *s)
{
	mutex_lock(&sep_adopt_mutex);
	list_add_rcu(&s->node, &sep_scopes);
	if (s->log)
		WRITE_ONCE(sep_adopt_logging, sep_adopt_logging + 1);
	mutex_unlock(&sep_adopt_mutex);
}

/**
 * sep_adopt() - SHADOW_EPOLL_IOC_ADOPT, on the checked kernel copy
 * @args: the arguments (sep_check_adopt() passed)
 *
 * Return: the scope fd (O_CLOEXEC), or -EBADF (fds), -EPERM (not the
 * cgroup's owner), -EOPNOTSUPP (hooks unavailable), -EBUSY (ftrace_enabled
 * off, or another IPMODIFY user on an entry point), ...
 */
long sep_adopt(const struct shadow_epoll_adopt_args *args)
{
	struct sep_scope *s;
	struct file *file;
	long error;
	int fd;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	error = sep_scope_cgroup(s, args->cgroup_fd);
	if (error)
		goto out_free;
	error = sep_scope_log(s, args->flags, args->log_fd);
	if (error)
		goto out_cgroup;
	error = sep_adopt_get();
	if (error)
		goto out_log;
	fd = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error = fd;
		goto out_put;
	}
	file = anon_inode_getfile("[shadow_epoll_scope]", &sep_scope_fops, s,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		error = PTR_ERR(file);
		goto out_fd;
	}
	/* From here the file's release undoes all of this. */
	sep_scope_publish(s);
	fd_install(fd, file);
	return fd;

out_fd:
	put_unused_fd(fd);
out_put:
	sep_adopt_put();
out_log:
	if (s->log)
		fput(s->log);
out_cgroup:
	cgroup_put(s->cgrp);
out_free:
	kfree(s);
	return error;
}

/**
 * sep_adopt_exit() - module exit: no scope and no adopted instance is left
 *
 * Waits until every task that ran a replacement has left its last
 * instructions (after the module_put() in sep_adopt_ret()).
 */
void sep_adopt_exit(void)
{
	WARN_ON(sep_adopt_users);
	synchronize_rcu_tasks();
	sep_ftrace_exit();
}

#else /* no kprobes on x86-64: adoption is unavailable */

long sep_adopt(const struct shadow_epoll_adopt_args *args)
{
	return -EOPNOTSUPP;
}

void sep_adopt_put(void)
{
}

void sep_adopt_exit(void)
{
}

#endif
