// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: adoption of the epoll system calls for a cgroup.
 *
 * SHADOW_EPOLL_IOC_ADOPT names a cgroup v2 directory, the scope, and
 * returns a scope fd.  While a scope exists, the x86-64 entry points of the
 * epoll system calls (sep_hooks[]) are hooked, by the first of these the
 * kernel allows (sep_hooks_register()):
 *
 * - direct: the fentry call of epoll_ctl/wait/pwait/pwait2 goes straight to
 *   a stub here (register_ftrace_direct(), as BPF trampolines do), the two
 *   create calls go to an IPMODIFY ftrace_ops as below;
 * - ftrace: one ftrace_ops with FTRACE_OPS_FL_IPMODIFY on the six of them,
 *   as livepatch redirects a function;
 * - kprobe: one kprobe on each.
 *
 * The hook runs a replacement here instead of the function, which serves
 * the call on the shadow through the syscall-shaped entries of ioctl.c
 * (errno order included) and returns to the syscall dispatcher as the
 * original would have.  Which calls are taken:
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
 * The direct hook's entry passes the replacement the instance file it
 * found, as a struct fd does (sep_fdw): pinned by a reference if the fd
 * table is shared, else by the table itself, which only the caller can
 * change (fdget()'s rule).  The replacement serves the call on that file,
 * with no second lookup, and drops the reference last.  The kprobe and
 * ftrace_ops hooks can pass nothing but the function's own argument (a BPF
 * trampoline may share the function and clobber the rest): they pin the
 * module and the replacement looks the fd up again (sep_fd_taken()).
 *
 * Unload: scope files and instance files pin the module (their f_op's
 * owner).  The hook runs only while one exists (unregistering waits for
 * running hooks).  A call the direct hook takes runs the replacement with
 * the instance file pinned (reference or private fd table) from the entry
 * to its last step: the module cannot go before.  The other hooks take a
 * module reference (pinned there, by the scope or the instance file) and
 * the replacement drops it last.  The few instructions after the last step
 * are waited for by sep_adopt_exit() with synchronize_rcu_tasks().
 *
 * Not covered (README, "Adopted programs"): the ia32 compat entries (a
 * 32-bit task in a scope keeps the in-tree epoll) and io_uring's
 * IORING_OP_EPOLL_CTL and (from 6.15) IORING_OP_EPOLL_WAIT, which call
 * into fs/eventpoll.c directly (EINVAL on an adopted instance, as on any
 * non-epoll fd).  x32 has no epoll entries of
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
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
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
 * sep_adopt_mutex protects sep_scopes (writers), sep_adopt_users, the
 * registration of the hooks and which one is registered (sep_hooked_by,
 * struct sep_ftrace's filter state).  It is taken in process context only
 * (the ioctl, adopted epoll_create, release of scope and adopted instance
 * files) and nests outside kprobe_mutex, ftrace_lock and ftrace's
 * direct_mutex (inside register/unregister).
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

static __always_inline unsigned long sep_fd_adopted(unsigned int fd)
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
 * The epfd test of the kprobe and ftrace_ops hooks.  Only the hooked
 * function's own argument reaches the replacement intact: a BPF trampoline
 * sharing the function with an IPMODIFY ops restores just that, and its
 * programs clobber the other argument registers (a word passed in %rsi was
 * once taken for a file there).  So these hooks pin the module while the
 * file still does, let the file go, and the replacement looks the fd up
 * again (sep_fd_serve()).
 */
static bool sep_fd_taken(unsigned int fd)
{
	unsigned long fdw = sep_fd_adopted(fd);

	if (!fdw)
		return false;
	__module_get(THIS_MODULE);
	if (fdw & SEP_FDW_PUT)
		sep_fput(sep_fdw_file(fdw));
	return true;
}

/*
 * Does @h take this call?  @uregs are the caller's registers (the hooked
 * function's argument).  If so, the module is pinned for the replacement,
 * which drops it last (sep_adopt_ret()); if not, the in-tree function runs.
 */
static bool sep_adopt_take(const struct sep_hook *h,
			   const struct pt_regs *uregs)
{
	bool in_scope;

	if (!h->create)
		return sep_fd_taken((unsigned int)uregs->di);
	rcu_read_lock();
	in_scope = sep_current_scope();
	rcu_read_unlock();
	if (!in_scope)
		return false;
	/* Pinned here by a scope file. */
	__module_get(THIS_MODULE);
	return true;
}

/*
 * The kprobe and ftrace_ops hooks: @regs are the registers at the entry of
 * the hooked function; if @h takes the call, the function returns to the
 * replacement instead, which gets the function's argument and no word.
 */
static bool sep_adopt_redirect(const struct sep_hook *h, struct pt_regs *regs)
{
	if (!sep_adopt_take(h, (const struct pt_regs *)regs->di))
		return false;
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

/*
 * The last step of a replacement the kprobe or ftrace_ops hook took (and of
 * every create replacement): see "Unload" at the top.
 */
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

static __always_inline long sep_sys_epoll_ctl(const struct pt_regs *regs,
					      unsigned long fdw)
{
	int epfd = (int)regs->di, op = (int)regs->si, fd = (int)regs->dx;
	const struct epoll_event __user *uev = (const void __user *)regs->r10;
	long ret = sep_do_ctl_file(sep_fdw_file(fdw), op, fd, uev);

	sep_log("epoll_ctl(%d, %d, %d, %p) = %ld\n", epfd, op, fd, uev, ret);
	return sep_adopt_ret_fdw(fdw, ret);
}

/* epoll_wait() and epoll_pwait(): a timeout in ms, and a mask or none. */
static __always_inline long sep_sys_wait_ms(const struct pt_regs *regs,
					    unsigned long fdw, const char *name,
					    u64 sigmask, u64 sigsetsize)
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

static __always_inline long sep_sys_epoll_wait(const struct pt_regs *regs,
					       unsigned long fdw)
{
	return sep_sys_wait_ms(regs, fdw, "epoll_wait", 0, 0);
}

static __always_inline long sep_sys_epoll_pwait(const struct pt_regs *regs,
						unsigned long fdw)
{
	return sep_sys_wait_ms(regs, fdw, "epoll_pwait", regs->r8, regs->r9);
}

static __always_inline long sep_sys_epoll_pwait2(const struct pt_regs *regs,
						 unsigned long fdw)
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

/*
 * The replacements of the kprobe and ftrace_ops hooks for the epfd calls
 * (see sep_fd_taken(): the module is pinned, @fdw is not set).  If the
 * fd stopped being an adopted instance in between (another thread closed
 * or replaced it), the call is restarted and decided again, with no signal
 * (TIF_NOTIFY_SIGNAL sends the return through the restart path).
 */
static __always_inline long sep_fd_serve(const struct pt_regs *regs,
					 sep_sys_fn fn)
{
	unsigned long fdw = sep_fd_adopted((unsigned int)regs->di);
	long ret = -ERESTARTNOINTR;

	if (fdw)
		ret = fn(regs, fdw);
	else
		set_thread_flag(TIF_NOTIFY_SIGNAL);
	return sep_adopt_ret(ret);
}

static long sep_fd_epoll_wait(const struct pt_regs *regs, unsigned long fdw)
{
	return sep_fd_serve(regs, sep_sys_epoll_wait);
}

static long sep_fd_epoll_ctl(const struct pt_regs *regs, unsigned long fdw)
{
	return sep_fd_serve(regs, sep_sys_epoll_ctl);
}

static long sep_fd_epoll_pwait(const struct pt_regs *regs, unsigned long fdw)
{
	return sep_fd_serve(regs, sep_sys_epoll_pwait);
}

static long sep_fd_epoll_pwait2(const struct pt_regs *regs, unsigned long fdw)
{
	return sep_fd_serve(regs, sep_sys_epoll_pwait2);
}

/* The ctl and wait calls first: the ftrace hook looks them up in order. */
enum {
	SEP_H_WAIT, SEP_H_CTL, SEP_H_PWAIT, SEP_H_PWAIT2, SEP_H_CREATE1,
	SEP_H_CREATE, SEP_NHOOKS
};

static struct sep_hook sep_hooks[SEP_NHOOKS] = {
	[SEP_H_WAIT] = { .sym = "__x64_sys_epoll_wait",
			 .fn = sep_fd_epoll_wait, .nr = __NR_epoll_wait },
	[SEP_H_CTL] = { .sym = "__x64_sys_epoll_ctl",
			.fn = sep_fd_epoll_ctl, .nr = __NR_epoll_ctl },
	[SEP_H_PWAIT] = { .sym = "__x64_sys_epoll_pwait",
			  .fn = sep_fd_epoll_pwait, .nr = __NR_epoll_pwait },
	[SEP_H_PWAIT2] = { .sym = "__x64_sys_epoll_pwait2",
			   .fn = sep_fd_epoll_pwait2,
			   .nr = __NR_epoll_pwait2 },
	[SEP_H_CREATE1] = { .sym = "__x64_sys_epoll_create1",
			    .fn = sep_sys_epoll_create1,
			    .nr = __NR_epoll_create1, .create = true },
	[SEP_H_CREATE] = { .sym = "__x64_sys_epoll_create",
			   .fn = sep_sys_epoll_create,
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
 * The ftrace_ops hook: the callback runs straight from the ops' trampoline
 * at the entry of the hooked functions (no kprobe dispatch).  With
 * ftrace_regs carrying the argument registers and the instruction pointer
 * (WITH_ARGS), the lighter trampoline serves; otherwise full registers are
 * saved.
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

/**
 * struct sep_ftrace - an ftrace_ops on some of sep_hooks[]
 * @ops:      the ops; its filter is set on first use (it scans every
 *            traceable function) and kept until module exit
 * @first:    the first of its hooks in sep_hooks[]
 * @n:        how many
 * @stub:     its direct-call target, or NULL for the IPMODIFY callback
 * @filtered: the filter is set; under sep_adopt_mutex
 *
 * PERMANENT (IPMODIFY ops): registering fails, rather than hooking nothing,
 * while the ftrace_enabled sysctl is off, and the sysctl cannot be turned
 * off while the ops is there (as for livepatch).
 */
struct sep_ftrace {
	struct ftrace_ops ops;
	unsigned int first, n;
	void (*stub)(void);
	bool filtered;
};

#define SEP_FTRACE_IPMODIFY(f, nhooks) {				\
	.ops = { .func = sep_adopt_ftrace,				\
		 .flags = FTRACE_OPS_FL_IPMODIFY |			\
			  FTRACE_OPS_FL_PERMANENT |			\
			  SEP_FTRACE_REGS_FLAG },			\
	.first = (f), .n = (nhooks) }

/* Every hook (the fallback), and the two create calls beside direct calls. */
static struct sep_ftrace sep_ft_all = SEP_FTRACE_IPMODIFY(0, SEP_NHOOKS);
static struct sep_ftrace sep_ft_create =
	SEP_FTRACE_IPMODIFY(SEP_H_CREATE1, 2);

static int sep_ftrace_filter(struct sep_ftrace *ft)
{
	char buf[32];
	unsigned int i;
	int error;

	for (i = ft->first; i < ft->first + ft->n; i++) {
		strscpy(buf, sep_hooks[i].sym, sizeof(buf));
		error = ftrace_set_filter(&ft->ops, buf, strlen(buf), 0);
		if (error)
			return error;
	}
	ft->filtered = true;
	return 0;
}

/*
 * -EBUSY from an IPMODIFY ops: the ftrace_enabled sysctl is off, or another
 * IPMODIFY ops (livepatch) is on one of the functions.  Kprobes on these
 * ftrace sites would hook nothing (they are registered, never called) or
 * fail the same way: no fallback, and ftrace is tried again next time.
 */
static int sep_ftrace_on(struct sep_ftrace *ft)
{
	int error = 0;

	if (!ft->filtered)
		error = sep_ftrace_filter(ft);
	if (error)
		return error;
	if (ft->stub)
		return sep_register_direct(&ft->ops, (unsigned long)ft->stub);
	return register_ftrace_function(&ft->ops);
}

static void sep_ftrace_off(struct sep_ftrace *ft)
{
	if (ft->stub)
		WARN_ON_ONCE(sep_unregister_direct(&ft->ops,
						   (unsigned long)ft->stub));
	else
		WARN_ON_ONCE(unregister_ftrace_function(&ft->ops));
}

static int sep_ftrace_register(void)
{
	return sep_ftrace_on(&sep_ft_all);
}

static void sep_ftrace_unregister(void)
{
	sep_ftrace_off(&sep_ft_all);
}

/* Module exit: the filters set by sep_ftrace_filter() (see struct sep_ftrace). */
static void sep_ftrace_free(struct sep_ftrace *ft)
{
	if (ft->filtered)
		ftrace_free_filter(&ft->ops);
}

static void sep_ftrace_exit(void)
{
	sep_ftrace_free(&sep_ft_create);
	sep_ftrace_free(&sep_ft_all);
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

/* DYNAMIC_FTRACE_WITH_DIRECT_CALLS depends on WITH_ARGS or WITH_REGS. */
#if IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)

/*
 * The direct hook, for the four calls taken by their epfd (the hot ones):
 * the call at each function's fentry site goes straight to a stub of ours,
 * with no ftrace trampoline and no saved registers.  The stub is entered
 * with the function's argument, the caller's pt_regs, in %rdi (the only
 * live register), and calls its entry below with it, which serves the call
 * if sep_fd_adopted() takes it.  The entry returns the call's result and
 * whether it was taken, in %rax and %rdx (a two-word struct).  Not taken,
 * the stub returns into the function (in-tree epoll); taken, it returns
 * the result to the function's caller, skipping the function: it drops the
 * return address into the function, after which the stack is as at the
 * function's entry (the unwind hint tells objtool and the ORC unwinder so).
 * Calling the entry, rather than jumping, keeps the return stack buffer in
 * step; the call-depth accounting is done only on the way back into the
 * function, the one return the fentry call gets.  The stubs are aligned as
 * functions are: from 7.x ftrace reads bit 0 of a direct target as "jump,
 * not call".
 */
struct sep_direct_res {
	long ret;
	unsigned long taken;
};

/* The body of each stub's entry: @fn serves the call if it is taken. */
static __always_inline struct sep_direct_res
sep_direct_serve(const struct pt_regs *uregs, sep_sys_fn fn)
{
	struct sep_direct_res r = {
		.taken = sep_fd_adopted((unsigned int)uregs->di),
	};

	if (r.taken)
		r.ret = fn(uregs, r.taken);
	return r;
}

static struct sep_direct_res notrace __used
sep_direct_epoll_wait_entry(const struct pt_regs *uregs)
{
	return sep_direct_serve(uregs, sep_sys_epoll_wait);
}

static struct sep_direct_res notrace __used
sep_direct_epoll_ctl_entry(const struct pt_regs *uregs)
{
	return sep_direct_serve(uregs, sep_sys_epoll_ctl);
}

static struct sep_direct_res notrace __used
sep_direct_epoll_pwait_entry(const struct pt_regs *uregs)
{
	return sep_direct_serve(uregs, sep_sys_epoll_pwait);
}

static struct sep_direct_res notrace __used
sep_direct_epoll_pwait2_entry(const struct pt_regs *uregs)
{
	return sep_direct_serve(uregs, sep_sys_epoll_pwait2);
}

#define SEP_DIRECT_STUB(stub, entry)					\
	asm(".pushsection .text, \"ax\", @progbits\n\t"			\
	    ".balign 16, 0xcc\n\t"					\
	    ".type " #stub ", @function\n"				\
	    #stub ":\n\t"						\
	    ASM_ENDBR							\
	    "pushq %rdi\n\t"						\
	    "call " #entry "\n\t"					\
	    "popq %rdi\n\t"						\
	    "testq %rdx, %rdx\n\t"					\
	    "jz 1f\n\t"						\
	    "addq $8, %rsp\n\t"					\
	    SEP_UNWIND_HINT_FUNC					\
	    ASM_RET							\
	    "1:\n\t"							\
	    CALL_DEPTH_ACCOUNT						\
	    ASM_RET							\
	    ".size " #stub ", .-" #stub "\n\t"				\
	    ".popsection\n")

SEP_DIRECT_STUB(sep_direct_epoll_wait, sep_direct_epoll_wait_entry);
SEP_DIRECT_STUB(sep_direct_epoll_ctl, sep_direct_epoll_ctl_entry);
SEP_DIRECT_STUB(sep_direct_epoll_pwait, sep_direct_epoll_pwait_entry);
SEP_DIRECT_STUB(sep_direct_epoll_pwait2, sep_direct_epoll_pwait2_entry);

#define SEP_FTRACE_DIRECT(h, s)	{ .first = (h), .n = 1, .stub = (s) }

static struct sep_ftrace sep_ft_direct[] = {
	SEP_FTRACE_DIRECT(SEP_H_WAIT, sep_direct_epoll_wait),
	SEP_FTRACE_DIRECT(SEP_H_CTL, sep_direct_epoll_ctl),
	SEP_FTRACE_DIRECT(SEP_H_PWAIT, sep_direct_epoll_pwait),
	SEP_FTRACE_DIRECT(SEP_H_PWAIT2, sep_direct_epoll_pwait2),
};

/*
 * The create calls stay on an IPMODIFY ops (they are rare), which also
 * keeps the ftrace_enabled sysctl on while the direct calls are there (see
 * struct sep_ftrace): its -EBUSY is returned as is.  A direct call that
 * cannot be set (a BPF trampoline or livepatch on the function, ...) falls
 * back to the IPMODIFY ops on every hook, which can share.
 */
static int sep_direct_register(void)
{
	unsigned int i;
	int error;

	error = sep_ftrace_on(&sep_ft_create);
	if (error)
		return error;
	for (i = 0; i < ARRAY_SIZE(sep_ft_direct); i++) {
		error = sep_ftrace_on(&sep_ft_direct[i]);
		if (error)
			goto undo;
	}
	return 0;

undo:
	pr_info("no direct call on %s (%d): using one ftrace_ops\n",
		sep_hooks[sep_ft_direct[i].first].sym, error);
	while (i--)
		sep_ftrace_off(&sep_ft_direct[i]);
	sep_ftrace_off(&sep_ft_create);
	return -EOPNOTSUPP;
}

static void sep_direct_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sep_ft_direct); i++)
		sep_ftrace_off(&sep_ft_direct[i]);
	sep_ftrace_off(&sep_ft_create);
}

static void sep_direct_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sep_ft_direct); i++)
		sep_ftrace_free(&sep_ft_direct[i]);
}

#else /* no direct calls */

static int sep_direct_register(void)
{
	return -EOPNOTSUPP;
}

static void sep_direct_unregister(void)
{
}

static void sep_direct_exit(void)
{
}

#endif

/*
 * The hooks, in the order they are tried: direct calls (the create calls on
 * an IPMODIFY ops), one IPMODIFY ftrace_ops on all six, kprobes.  The
 * module parameter adopt_hook names the first one tried (default direct),
 * to test the fallbacks on a kernel that has them all; it is read when the
 * hooks are registered (the first scope or adopted instance), so a write
 * takes effect once none is left.
 */
enum sep_hook_kind { SEP_HOOK_DIRECT, SEP_HOOK_FTRACE, SEP_HOOK_KPROBE };

static const char * const sep_hook_names[] = {
	[SEP_HOOK_DIRECT] = "direct",
	[SEP_HOOK_FTRACE] = "ftrace",
	[SEP_HOOK_KPROBE] = "kprobe",
};

static int sep_hook_first = SEP_HOOK_DIRECT;

static int sep_adopt_hook_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(sep_hook_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(sep_hook_first, i);
	return 0;
}

static int sep_adopt_hook_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  sep_hook_names[READ_ONCE(sep_hook_first)]);
}

static const struct kernel_param_ops sep_adopt_hook_ops = {
	.set	= sep_adopt_hook_set,
	.get	= sep_adopt_hook_get,
};

module_param_cb(adopt_hook, &sep_adopt_hook_ops, NULL, 0644);
MODULE_PARM_DESC(adopt_hook,
		 "First hook tried for adopted epoll calls: direct (default), ftrace or kprobe");

/* Which hook is registered; under sep_adopt_mutex. */
static enum sep_hook_kind sep_hooked_by;

static int sep_hooks_register(void)
{
	enum sep_hook_kind k = READ_ONCE(sep_hook_first);
	int error;

	if (k == SEP_HOOK_DIRECT) {
		error = sep_direct_register();
		if (!error || error == -EBUSY)
			goto out;
		k = SEP_HOOK_FTRACE;
	}
	if (k == SEP_HOOK_FTRACE) {
		error = sep_ftrace_register();
		if (!error || error == -EBUSY)
			goto out;
		pr_info("no ftrace hook (%d): using kprobes\n", error);
		k = SEP_HOOK_KPROBE;
	}
	error = sep_kprobes_register();
	if (error)
		pr_warn("cannot hook the epoll system calls (%d)\n", error);
out:
	sep_hooked_by = k;
	return error;
}

static void sep_hooks_unregister(void)
{
	switch (sep_hooked_by) {
	case SEP_HOOK_DIRECT:
		sep_direct_unregister();
		break;
	case SEP_HOOK_FTRACE:
		sep_ftrace_unregister();
		break;
	case SEP_HOOK_KPROBE:
		unregister_kprobes(sep_kps, ARRAY_SIZE(sep_kps));
		break;
	}
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
	sep_direct_exit();
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
