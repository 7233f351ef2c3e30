// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: one instance.
 *
 * The interest set and the ctl operations (add, modify, remove), the wait
 * loop (timeouts, signals, exclusive waiters), polling an instance (which is
 * how instances nest inside epoll and inside each other), recognising real
 * epoll files, and both dumps (interest set and ready list).  Argument
 * decoding and errno ordering of the syscall-level checks live in ioctl.c;
 * list rules in readylist.c; the nesting checks of a nested ADD in nest.c;
 * hooking watched files in hook.c; their lifetime in fileindex.c.
 *
 * Locking: see sep.h.  A nested ADD takes sep_nested_mutex (nest.c) before
 * the instance mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/anon_inodes.h>

#include <kunit/visibility.h>

#include "fileindex.h"
#include "hook.h"
#include "instance.h"
#include "nest.h"
#include "object.h"
#include "readylist.h"

/* The name of real epoll files, and of adopted instances (adopt.c). */
#define SEP_EPOLL_NAME	"[eventpoll]"

static int sep_learn_anon_inode(void);

/**
 * sep_instance_alloc() - a new, empty instance
 *
 * Charged to the caller's memory cgroup, like everything a user can make
 * the module allocate and keep (items, hooks, dump buffers).
 *
 * Return: the instance with one reference, or NULL.
 */
struct sep_instance *sep_instance_alloc(void)
{
	if (sep_learn_anon_inode())
		return NULL;
	return sep_instance_new();
}
EXPORT_SYMBOL_IF_KUNIT(sep_instance_alloc);

/**
 * sep_instance_getfile() - give a new instance its anon-inode file
 * @ep:    the instance, with its one reference (which the file takes over)
 * @flags: O_CLOEXEC or 0
 *
 * Return: the file, or an ERR_PTR (then the caller still owns @ep).
 */
struct file *sep_instance_getfile(struct sep_instance *ep, int flags)
{
	struct file *file;

	/* An adopted instance reads anon_inode:[eventpoll] in /proc/PID/fd. */
	file = anon_inode_getfile(ep->adopted ? SEP_EPOLL_NAME : "[shadow_epoll]",
				  sep_instance_fops, ep,
				  O_RDWR | (flags & O_CLOEXEC));
	if (!IS_ERR(file))
		ep->file = file;
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(sep_instance_getfile);

/*
 * Interest set: an rbtree keyed by (file address, fd), compared as the
 * kernel does, so that iteration order is fdinfo order.
 */
static int sep_cmp_key(const struct file *f1, int fd1, const struct file *f2,
		       int fd2)
{
	if (f1 != f2)
		return f1 > f2 ? 1 : -1;
	return fd1 - fd2;
}

static struct sep_item *sep_find(struct sep_instance *ep, struct file *file,
				 int fd)
{
	struct rb_node *rbp = ep->rbr.rb_root.rb_node;
	struct sep_item *item;
	int kcmp;

	lockdep_assert_held(&ep->mtx);
	while (rbp) {
		item = rb_entry(rbp, struct sep_item, rbn);
		kcmp = sep_cmp_key(file, fd, item->file, item->fd);
		if (kcmp > 0)
			rbp = rbp->rb_right;
		else if (kcmp < 0)
			rbp = rbp->rb_left;
		else
			return item;
	}
	return NULL;
}

static void sep_rb_insert(struct sep_instance *ep, struct sep_item *new)
{
	struct rb_node **p = &ep->rbr.rb_root.rb_node, *parent = NULL;
	struct sep_item *item;
	bool leftmost = true;

	while (*p) {
		parent = *p;
		item = rb_entry(parent, struct sep_item, rbn);
		if (sep_cmp_key(new->file, new->fd, item->file, item->fd) > 0) {
			p = &parent->rb_right;
			leftmost = false;
		} else {
			p = &parent->rb_left;
		}
	}
	rb_link_node(&new->rbn, parent, p);
	rb_insert_color_cached(&new->rbn, &ep->rbr, leftmost);
}

/*
 * Remove @item from @ep.  @pinned: the caller holds a reference on the
 * watched file (DEL, release), which decides who unhooks (fileindex.c).
 *
 * If the item becomes an orphan, the final-fput handler may free it (after
 * a grace period) as soon as sep_release_begin() returns, so the unlinking
 * below runs inside an RCU read-side section: none of it sleeps.
 */
static void sep_remove(struct sep_instance *ep, struct sep_item *item,
		       bool pinned)
{
	bool mine;

	lockdep_assert_held(&ep->mtx);

	rcu_read_lock();
	mine = sep_release_begin(item, pinned);
	sep_unqueue(ep, item);
	rb_erase_cached(&item->rbn, &ep->rbr);
	ep->nitems--;
	sep_item_uncharge(item);
	rcu_read_unlock();
	if (mine)
		sep_item_free(item);
}

/* Drop the items whose file was finally released (see fileindex.c). */
static void __sep_reap_dead(struct sep_instance *ep)
{
	struct sep_item *item;

	while (!list_empty_careful(&ep->dead)) {
		spin_lock_irq(&ep->lock);
		item = list_first_entry_or_null(&ep->dead, struct sep_item,
						deadlink);
		if (item)
			list_del_init(&item->deadlink);
		spin_unlock_irq(&ep->lock);
		if (!item)
			break;
		sep_remove(ep, item, false);
	}
}

/* Every operation starts with this: usually nothing died, so inline. */
static inline void sep_reap_dead(struct sep_instance *ep)
{
	lockdep_assert_held(&ep->mtx);

	if (unlikely(!list_empty_careful(&ep->dead)))
		__sep_reap_dead(ep);
}

/*
 * The file operations of real epoll files (the kernel's, built in), learnt
 * from the first one seen: then a real epoll is recognised without a name
 * comparison (the inline sep_file_is_epoll()).
 */
const struct file_operations *sep_epoll_fops;

/*
 * The kernel's shared anonymous inode.  Real epoll files are anon-inode
 * files named "[eventpoll]"; only kernel code makes files on that inode,
 * and each names its own, so (inode, name) cannot be forged from userspace
 * (a FIFO or socket named "[eventpoll]" lives on another inode).
 */
static struct inode *sep_anon_inode;

/**
 * __sep_file_is_epoll() - sep_file_is_epoll() before a real epoll was seen
 * @file: a file; a shadow instance (an adopted one has the same name on
 *        the same inode) is refused
 *
 * Real epoll files all share one file_operations, which the first one found
 * here records.
 *
 * Return: true if @file is a real epoll.
 */
bool __sep_file_is_epoll(struct file *file)
{
	const struct dentry *d = file->f_path.dentry;

	/* Adopted instances carry the same name on the same inode. */
	if (sep_is_shadow_file(file))
		return false;
	/* The inode first: most files are rejected without a call. */
	if (file_inode(file) != sep_anon_inode || !d ||
	    d->d_name.len != sizeof(SEP_EPOLL_NAME) - 1 ||
	    strcmp(d->d_name.name, SEP_EPOLL_NAME) || !file->f_op ||
	    !file->f_op->poll)
		return false;
	WRITE_ONCE(sep_epoll_fops, file->f_op);
	return true;
}

/* The probe file pins the module until its (deferred) final fput. */
static const struct file_operations sep_probe_fops = {
	.owner	= THIS_MODULE,
};

static DEFINE_MUTEX(sep_probe_mutex);	/* serialises the one probe */

/*
 * Learn the kernel's anonymous inode from a file made on it, before the
 * first instance exists (so before any ADD asks sep_file_is_epoll()).
 * Context: process, creating an instance.
 */
static int sep_learn_anon_inode(void)
{
	struct file *probe;
	int error = 0;

	/* Pairs with smp_store_release() below. */
	if (likely(smp_load_acquire(&sep_anon_inode)))
		return 0;
	mutex_lock(&sep_probe_mutex);
	if (sep_anon_inode)
		goto out;
	probe = anon_inode_getfile("[shadow_epoll_probe]", &sep_probe_fops,
				   NULL, O_RDONLY);
	if (IS_ERR(probe)) {
		error = PTR_ERR(probe);
		goto out;
	}
	/* Pairs with smp_load_acquire() above; the inode is permanent. */
	smp_store_release(&sep_anon_inode, file_inode(probe));
	fput(probe);
out:
	mutex_unlock(&sep_probe_mutex);
	return error;
}

/*
 * Polls of an instance from outside the module, and what they may block on.
 *
 * A real epoll's interest set is invisible to us, so a cycle through one
 * (instance -> real epoll -> instance) cannot be refused at ADD time as the
 * kernel refuses cycles among real epolls: the closing edge may be the
 * kernel's own epoll_ctl().  A task that polls us on behalf of a real epoll
 * holds that epoll's mutex (and maybe the kernel's epnested_mutex), and a
 * task in a shadow scan may be about to take it by polling the real epoll:
 * an ABBA deadlock, or a self-deadlock when it is the same task.
 *
 * Such polls are recognised by the instance file's f_ep: the kernel links a
 * real epoll's registration there before its first poll of the file, so an
 * instance polled by a real epoll always has it set.  Under such a poll
 * (@constrained, and everything it nests into) the module never sleeps on a
 * lock and never calls into a real epoll:
 *  - instance mutexes are only tried; a busy one answers from its lists
 *    (queued or scanning means ready) without re-polling;
 *  - an item watching a real epoll is not re-polled: queued means ready,
 *    the value that real epoll's poll gives (EPOLLIN | EPOLLRDNORM).
 * The kernel's own scans can then only block on real epoll mutexes in its
 * own acyclic order, and ours only on instance mutexes (acyclic, refused
 * with ELOOP) followed by real epoll mutexes: no wait cycle exists.
 * Polls with f_ep unset (poll(2), select(2), the module's own scans) keep
 * the exact semantics.  The cost, documented in the README: a real epoll
 * that watches an instance that watches another real epoll may see the
 * instance ready while that inner real epoll no longer is, until the next
 * wait on the instance re-polls it.
 */
static __poll_t __sep_instance_poll(struct sep_instance *ep,
				    struct poll_table_struct *wait, int depth,
				    bool constrained);

/* What a real epoll's poll reports when it has something queued. */
#define SEP_EPOLL_READY		(EPOLLIN | EPOLLRDNORM)

/*
 * Re-poll a watched file, pinned; the result is masked with the interest.
 * Inline: a scan runs it for every item.
 */
static inline __poll_t sep_item_poll(struct sep_item *item, poll_table *pt,
				     int depth, bool constrained)
{
	struct file *file;
	__poll_t res;

	/* Queued, and not to be asked: ready (see above). */
	if (constrained && item->real_epoll)
		return SEP_EPOLL_READY & item->events;
	file = sep_item_fget(item);
	if (!file)
		return 0;
	pt->_key = item->events;
	if (sep_is_shadow_file(file))
		res = __sep_instance_poll(file->private_data, pt, depth,
					  constrained);
	else
		res = vfs_poll(file, pt);
	sep_fput(file);
	return res & item->events;
}

static __poll_t sep_scan_poll(struct sep_item *item, int depth, void *ctx)
{
	poll_table pt;

	init_poll_funcptr(&pt, NULL);
	return sep_item_poll(item, &pt, depth, false);
}

static __poll_t sep_scan_poll_constrained(struct sep_item *item, int depth,
					  void *ctx)
{
	poll_table pt;

	init_poll_funcptr(&pt, NULL);
	return sep_item_poll(item, &pt, depth, true);
}

/*
 * Lockdep subclass of an instance mutex taken by an unconstrained poll from
 * outside (poll(2), select(2)).  Internal nesting uses the depth
 * (0..SEP_MAX_NESTS+1).
 */
#define SEP_EXT_SUBCLASS	7

static __poll_t __sep_instance_poll(struct sep_instance *ep, poll_table *wait,
				    int depth, bool constrained)
{
	static const struct sep_scan_ops ops = { .poll = sep_scan_poll };
	static const struct sep_scan_ops cops = {
		.poll = sep_scan_poll_constrained,
	};
	__poll_t res;

	poll_wait(ep->file, &ep->poll_wait, wait);

	if (!constrained) {
		mutex_lock_nested(&ep->mtx, depth ? depth : SEP_EXT_SUBCLASS);
	} else if (!mutex_trylock(&ep->mtx)) {
		/* Busy (maybe by this very task): answer from the lists. */
		return sep_events_available(ep) ? SEP_EPOLL_READY : 0;
	}
	sep_reap_dead(ep);
	res = sep_scan_ready(ep, constrained ? &cops : &ops, NULL, depth);
	mutex_unlock(&ep->mtx);
	return res;
}

/**
 * sep_instance_poll() - ->poll() of an instance file
 * @ep:    the instance
 * @wait:  the caller's poll table
 * @depth: nesting depth (0 from outside)
 *
 * Polled on behalf of a real epoll (the file's f_ep is set), the poll never
 * sleeps on a lock (see "Polls of an instance from outside" above).
 *
 * Context: process; may sleep.
 * Return: EPOLLIN | EPOLLRDNORM if an item is really ready, else 0.
 */
__poll_t sep_instance_poll(struct sep_instance *ep, poll_table *wait, int depth)
{
	return __sep_instance_poll(ep, wait, depth,
				   !!READ_ONCE(ep->file->f_ep));
}
EXPORT_SYMBOL_IF_KUNIT(sep_instance_poll);

/* Wake the waiters after ADD or MOD queued @item. */
static void sep_queue_and_wake(struct sep_instance *ep, struct sep_item *item)
{
	bool pwake = false;

	spin_lock_irq(&ep->lock);
	if (sep_queue_if_ready(ep, item)) {
		/* Waiters queue themselves under ep->lock, which we hold. */
		if (waitqueue_active(&ep->wq))
			wake_up(&ep->wq);
		/* Pollers may race; they re-check through a scan anyway. */
		if (waitqueue_active(&ep->poll_wait))
			pwake = true;
	}
	spin_unlock_irq(&ep->lock);
	if (pwake)
		sep_poll_safewake(ep, NULL, 0);
}

static int sep_insert(struct sep_instance *ep, const struct epoll_event *epds,
		      struct file *tfile, int fd, struct sep_tfiles *tf)
{
	struct sep_pqueue epq;
	struct sep_item *item;
	__poll_t revents;
	int error;

	lockdep_assert_held(&ep->mtx);

	error = sep_user_charge(ep);
	if (error)
		return error;
	item = sep_item_alloc();
	if (!item) {
		sep_user_uncharge(ep);
		return -ENOMEM;
	}

	sep_item_init(item);
	item->ep = ep;
	item->file = tfile;
	item->fd = fd;
	item->events = epds->events;
	item->data = epds->data;
	item->real_epoll = !sep_is_shadow_file(tfile) && sep_file_is_epoll(tfile);

	error = sep_index_add(item);
	if (error) {
		sep_user_uncharge(ep);
		sep_item_discard(item);
		return error;
	}
	sep_rb_insert(ep, item);
	ep->nitems++;

	if (tf) {
		error = sep_nest_check_paths(tf, tfile, sep_file_is_epoll(tfile));
		if (error) {
			sep_remove(ep, item, true);
			return error;
		}
	}

	sep_pqueue_init(&epq, item);
	revents = sep_item_poll(item, &epq.pt, 1, false);
	if (item->nwait < 0) {
		sep_remove(ep, item, true);
		return -ENOMEM;
	}
	if (revents)
		sep_queue_and_wake(ep, item);
	return 0;
}

static int sep_modify(struct sep_instance *ep, struct sep_item *item,
		      const struct epoll_event *epds)
{
	poll_table pt;

	lockdep_assert_held(&ep->mtx);

	init_poll_funcptr(&pt, NULL);
	/* Ordered before the re-poll (see sep_set_event()). */
	sep_set_event(ep, item, epds->events, epds->data);
	if (sep_item_poll(item, &pt, 1, false))
		sep_queue_and_wake(ep, item);
	return 0;
}

/* Under ep->mtx: find, then ADD/MOD/DEL, as do_epoll_ctl()'s tail. */
static int sep_ctl_locked(struct sep_instance *ep, int op, struct file *tfile,
			  int fd, struct epoll_event *epds,
			  struct sep_tfiles *tf)
{
	struct sep_item *item;

	sep_reap_dead(ep);
	item = sep_find(ep, tfile, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (item)
			return -EEXIST;
		epds->events |= EPOLLERR | EPOLLHUP;
		return sep_insert(ep, epds, tfile, fd, tf);
	case EPOLL_CTL_DEL:
		if (!item)
			return -ENOENT;
		sep_remove(ep, item, true);
		return 0;
	case EPOLL_CTL_MOD:
		if (!item)
			return -ENOENT;
		if (item->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		epds->events |= EPOLLERR | EPOLLHUP;
		return sep_modify(ep, item, epds);
	}
	return -EINVAL;
}

/**
 * sep_ctl() - the locked part of epoll_ctl() on an instance
 * @ep:     the instance
 * @epfile: its file
 * @op:     EPOLL_CTL_* (anything else gives EINVAL after the lookup)
 * @tfile:  the target file, pinned by the caller
 * @fd:     the target fd number
 * @epds:   the event (ignored for DEL)
 *
 * The caller (ioctl.c) has done every check that precedes the kernel's
 * mutex_lock(&ep->mtx).
 *
 * Context: process; may sleep.
 * Return: 0 or the errno epoll_ctl() gives.
 */
int sep_ctl(struct sep_instance *ep, struct file *epfile, int op,
	    struct file *tfile, int fd, struct epoll_event *epds)
{
	struct sep_tfiles tf = { };
	bool full_check = false;
	int error;

	mutex_lock(&ep->mtx);
	if (op == EPOLL_CTL_ADD &&
	    (sep_instance_watched(ep) || READ_ONCE(epfile->f_ep) ||
	     sep_nest_being_checked(ep) || sep_file_is_epoll(tfile))) {
		mutex_unlock(&ep->mtx);
		full_check = true;
		error = sep_nest_begin(ep, tfile, &tf);
		if (error)
			goto out_nested;
		mutex_lock(&ep->mtx);
	}

	error = sep_ctl_locked(ep, op, tfile, fd, epds,
			       full_check ? &tf : NULL);
	mutex_unlock(&ep->mtx);

out_nested:
	if (full_check)
		sep_nest_end(&tf);
	return error;
}
EXPORT_SYMBOL_IF_KUNIT(sep_ctl);

/* select_estimate_accuracy(): 0.1% (0.5% if niced), capped at 100 ms. */
static u64 sep_slack(const struct timespec64 *deadline)
{
	const u64 max_slack = 100 * NSEC_PER_MSEC;
	u64 min_slack, slack, unit;
	struct timespec64 now, rel;
	int divfactor = 1000;
	bool none;

	min_slack = sep_task_min_slack(&none);
	if (none)
		return 0;
	ktime_get_ts64(&now);
	rel = timespec64_sub(*deadline, now);
	if (rel.tv_sec < 0) {
		slack = 0;
	} else {
		if (task_nice(current) > 0)
			divfactor /= 5;
		unit = NSEC_PER_SEC / divfactor;
		if (rel.tv_sec > max_slack / unit)
			slack = max_slack;
		else
			slack = min_t(u64, rel.tv_nsec / divfactor +
				      rel.tv_sec * unit, max_slack);
	}
	return max(slack, min_slack);
}

static int sep_autoremove_wake(wait_queue_entry_t *wq_entry, unsigned int mode,
			       int sync, void *key)
{
	int ret = default_wake_function(wq_entry, mode, sync, key);

	/* Remove on every wakeup attempt, as the kernel's waiter does. */
	list_del_init_careful(&wq_entry->entry);
	return ret;
}

static int sep_send_events(struct sep_instance *ep, sep_copy_fn copy,
			   void *ctx, int maxevents)
{
	struct sep_scan_ops ops = { .poll = sep_scan_poll, .copy = copy };
	int res;

	if (fatal_signal_pending(current))
		return -EINTR;

	mutex_lock(&ep->mtx);
	sep_reap_dead(ep);
	res = sep_deliver(ep, &ops, ctx, maxevents);
	mutex_unlock(&ep->mtx);
	return res;
}

/**
 * sep_wait() - the ep_poll() loop
 * @ep:        the instance
 * @copy:      copies one event out; non-zero on a fault
 * @ctx:       passed to @copy
 * @maxevents: output capacity, already validated
 * @timeout:   absolute CLOCK_MONOTONIC deadline, {0,0} for no wait, NULL
 *             for no limit
 *
 * Context: process; sleeps interruptibly.
 * Return: events delivered, 0 on timeout, -EINTR, or -EFAULT.
 */
int sep_wait(struct sep_instance *ep, sep_copy_fn copy, void *ctx,
	     int maxevents, struct timespec64 *timeout)
{
	wait_queue_entry_t wait;
	ktime_t expires, *to = NULL;
	bool timed_out = false;
	u64 slack = 0;
	int res, eavail;

	lockdep_assert_irqs_enabled();

	if (timeout && (timeout->tv_sec | timeout->tv_nsec)) {
		if (!SEP_SLACK_PER_SLEEP)
			slack = sep_slack(timeout);
		to = &expires;
		*to = timespec64_to_ktime(*timeout);
	} else if (timeout) {
		timed_out = true;
	}

	eavail = sep_events_available(ep);
	for (;;) {
		if (eavail) {
			res = sep_send_events(ep, copy, ctx, maxevents);
			if (res)
				return res;
		}
		if (timed_out)
			return 0;
		if (signal_pending(current))
			return -EINTR;

		init_wait(&wait);
		wait.func = sep_autoremove_wake;

		spin_lock_irq(&ep->lock);
		__set_current_state(TASK_INTERRUPTIBLE);
		eavail = sep_events_available(ep);
		if (!eavail)
			__add_wait_queue_exclusive(&ep->wq, &wait);
		spin_unlock_irq(&ep->lock);

		if (!eavail) {
			if (SEP_SLACK_PER_SLEEP && to)
				slack = sep_slack(timeout);
			timed_out = (SEP_SKIP_EXPIRED_SLEEP && to &&
				     !ktime_after(*to, ktime_get())) ||
				    !schedule_hrtimeout_range(to, slack,
							      HRTIMER_MODE_ABS);
		}
		__set_current_state(TASK_RUNNING);

		/* Woken or timed out: look again, unless nobody woke us. */
		eavail = 1;
		if (!list_empty_careful(&wait.entry)) {
			spin_lock_irq(&ep->lock);
			if (timed_out)
				eavail = list_empty(&wait.entry);
			__remove_wait_queue(&ep->wq, &wait);
			spin_unlock_irq(&ep->lock);
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(sep_wait);

/**
 * sep_interest_walk() - visit every registration in fdinfo order
 * @ep:  the instance
 * @fn:  called with the item and its pinned file; may not sleep
 * @ctx: passed to @fn
 *
 * Items whose file is in its final fput are skipped (they are gone from a
 * real epoll once that fput's release step ran).
 *
 * Context: process; takes @ep->mtx (killable).
 * Return: 0, or -EINTR on a fatal signal.
 */
int sep_interest_walk(struct sep_instance *ep, sep_interest_fn fn, void *ctx)
{
	struct sep_item *item;
	struct rb_node *rbp;
	struct file *file;
	u32 flags;

	if (mutex_lock_killable(&ep->mtx))
		return -EINTR;
	sep_reap_dead(ep);
	for (rbp = rb_first_cached(&ep->rbr); rbp; rbp = rb_next(rbp)) {
		item = rb_entry(rbp, struct sep_item, rbn);
		file = sep_item_fget(item);
		if (!file)
			continue;
		spin_lock_irq(&ep->lock);
		flags = sep_is_linked(item) ? SEP_ENTRY_READY : 0;
		spin_unlock_irq(&ep->lock);
		fn(ctx, item, file, flags);
		fput(file);
		cond_resched();
	}
	mutex_unlock(&ep->mtx);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sep_interest_walk);

/**
 * sep_ready_dump() - the READY dump: the queued items in delivery order
 * @ep:         the instance
 * @fn:         called for each of the first @limit entries (must not sleep)
 * @ctx:        passed to @fn
 * @limit:      at most this many calls of @fn
 * @dump_flags: set to SEP_DUMP_SCANNING if a scan is running, else 0
 *
 * See sep_ready_walk(): it does not take @ep->mtx, so it works while a
 * scan is paused in a copy to userspace.
 *
 * Context: process.
 * Return: number of entries queued (visited or not).
 */
unsigned long sep_ready_dump(struct sep_instance *ep, sep_walk_fn fn,
			     void *ctx, unsigned long limit, u32 *dump_flags)
{
	return sep_ready_walk(ep, fn, ctx, limit, dump_flags);
}

/**
 * sep_instance_release() - the instance file's final release
 * @ep: the instance
 *
 * Wakes pollers, removes every registration, drops the file's reference.
 *
 * Context: process (the file's __fput).
 */
void sep_instance_release(struct sep_instance *ep)
{
	struct sep_item *item;
	struct rb_node *rbp;
	struct file *file;

	/* A poller holds its own file reference; a missed one sees EOF. */
	if (waitqueue_active(&ep->poll_wait))
		sep_poll_safewake(ep, NULL, 0);

	mutex_lock(&ep->mtx);
	sep_reap_dead(ep);
	while ((rbp = rb_first_cached(&ep->rbr))) {
		item = rb_entry(rbp, struct sep_item, rbn);
		file = sep_item_fget(item);
		sep_remove(ep, item, !!file);
		if (file)
			fput(file);
		cond_resched();
	}
	mutex_unlock(&ep->mtx);
	sep_instance_put(ep);
}
