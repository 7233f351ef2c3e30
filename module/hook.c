// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: hooks on watched files' wait queues, and poller wakeups.
 *
 * An item hooks the watched file's wait queues with sep_poll_callback(), the
 * equivalent of the kernel's ep_poll_callback(): it queues the item by the
 * ready-list rules (readylist.c), wakes the instance's waiters, and passes
 * the wakeup on to the tasks polling the instance (outer instances, real
 * epolls, poll(2)), synchronously or, from a real epoll, deferred to an
 * irq_work.  The item holds no reference on the file, exactly like a real
 * epitem, so closing the last user reference of a pipe's write end makes
 * the reader see EPOLLHUP at once.
 *
 * Locking: the callback runs under the watched queue's lock, possibly in
 * hard IRQ context, and takes &sep_instance.lock (irqsave) inside it.
 * Poller wakeups take &sep_instance.poll_wait's lock with no instance lock
 * held, nested by the chain's depth for lockdep (sep_poll_safewake()).
 * A hook's @whead is published with release semantics and read with
 * acquire under RCU (POLLFREE).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/llist.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/wait.h>

#include "hook.h"
#include "object.h"
#include "readylist.h"

/*
 * Nesting of poll wakeups on this CPU.  Wakeups run with preemption off, so
 * a per-CPU count follows one chain.  A chain longer than any legal nesting
 * is cut (a backstop: chains through real epolls are deferred, see below).
 */
#define SEP_MAX_WAKE_NESTS	(SEP_MAX_NESTS + 2)
static DEFINE_PER_CPU(int, sep_wake_nests);

/*
 * Wakeups through real epolls.
 *
 * A cycle through a real epoll R (an instance watches R, R watches an
 * instance) cannot be refused at ADD time (see instance.c, "Polls of an
 * instance from outside").  Its wakeup would run R's callback, then ours,
 * then R's again on the same CPU, re-taking R's poll_wait lock: a hard
 * lockup; and two CPUs starting the same cycle at different points would
 * take an instance's and a real epoll's poll_wait locks in opposite orders.
 *
 * So a wakeup never crosses from a real epoll into the module synchronously:
 * when an item watching a real epoll fires, its instance's pollers are woken
 * from an irq_work, with a clean stack and no lock held (the instance's
 * waiters, @wq, are still woken at once).  A synchronous chain then takes
 * instance poll_wait locks (in the order of the instance graph, which ELOOP
 * keeps acyclic) strictly before real epoll poll_wait locks (in the kernel's
 * own acyclic order): no lock cycle can form, and no test of the topology is
 * made that a concurrent epoll_ctl() could make stale.  Every cycle through
 * a real epoll defers once per round; @sep_wake_hops counts the deferrals
 * of a chain and SEP_MAX_DEFER_HOPS ends it.  Legal chains are not affected
 * by the bound unless they cross from a real epoll into an instance more
 * often than that (documented in the README).
 * Deferred wakes of one instance are merged while one is pending.
 */
#define SEP_MAX_DEFER_HOPS	(2 * SEP_MAX_NESTS + 2)
static DEFINE_PER_CPU(u8, sep_wake_hops);
static DEFINE_PER_CPU(struct llist_head, sep_defer_list);
static DEFINE_PER_CPU(struct irq_work, sep_defer_work);

/* Wake @ep->poll_wait, telling lockdep the nesting level. */
static void __sep_poll_safewake(struct sep_instance *ep,
				struct sep_item *item, __poll_t extra)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct sep_instance *src;
	unsigned long flags;
	u8 nests = 0;

	if (item) {
		if (sep_is_shadow_file(item->file)) {
			src = item->file->private_data;
			/* Only a lockdep subclass hint: any value will do. */
			nests = data_race(src->nests);
		} else {
			nests = 1;
		}
	}
	spin_lock_irqsave_nested(&ep->poll_wait.lock, flags, nests);
	ep->nests = nests + 1;
	wake_up_locked_poll(&ep->poll_wait, EPOLLIN | extra);
	ep->nests = 0;
	spin_unlock_irqrestore(&ep->poll_wait.lock, flags);
#else
	wake_up_poll(&ep->poll_wait, EPOLLIN | extra);
#endif
}

/**
 * sep_poll_safewake() - wake tasks polling an instance (outer epolls)
 * @ep:    the instance
 * @item:  the item whose wakeup caused this, or NULL
 * @extra: extra key bits (EPOLL_URING_WAKE)
 *
 * Instances nest, and an outer instance's callback runs inside the inner's
 * wake_up, so lockdep is told the nesting level like the kernel does.
 *
 * A chain of nested wakeups longer than any legal nesting is cut.
 *
 * Context: any; must not hold @ep->lock.
 */
void sep_poll_safewake(struct sep_instance *ep, struct sep_item *item,
		       __poll_t extra)
{
	int *nests;

	lockdep_assert_not_held(&ep->lock);

	nests = get_cpu_ptr(&sep_wake_nests);
	if (++*nests <= SEP_MAX_WAKE_NESTS)
		__sep_poll_safewake(ep, item, extra);
	--*nests;
	put_cpu_ptr(&sep_wake_nests);
}

/*
 * Queue a wakeup of @ep's pollers on this CPU's irq_work (see "Wakeups
 * through real epolls").  Context: a wakeup callback (preemption off).
 */
static void sep_defer_wake(struct sep_instance *ep, __poll_t extra)
{
	u8 hops = this_cpu_read(sep_wake_hops) + 1;

	if (hops > SEP_MAX_DEFER_HOPS)
		return;		/* round a cycle once more: nothing new */
	if (extra & EPOLL_URING_WAKE)
		set_bit(SEP_DEFER_URING, &ep->defer);
	if (test_and_set_bit(SEP_DEFER_PENDING, &ep->defer)) {
		/* Merged: the pending wake counts as the shorter chain. */
		if (hops < READ_ONCE(ep->defer_hops))
			WRITE_ONCE(ep->defer_hops, hops);
		return;
	}
	WRITE_ONCE(ep->defer_hops, hops);
	sep_instance_get(ep);
	llist_add(&ep->defer_node, this_cpu_ptr(&sep_defer_list));
	irq_work_queue(this_cpu_ptr(&sep_defer_work));
}

/* The irq_work: wake the pollers of every instance queued on this CPU. */
static void sep_defer_run(struct irq_work *work)
{
	struct llist_node *list = llist_del_all(this_cpu_ptr(&sep_defer_list));
	struct sep_instance *ep, *next;
	__poll_t extra;
	u8 old;

	list = llist_reverse_order(list);
	llist_for_each_entry_safe(ep, next, list, defer_node) {
		extra = test_and_clear_bit(SEP_DEFER_URING, &ep->defer) ?
			EPOLL_URING_WAKE : 0;
		/* From here on a request queues a new wake. */
		clear_bit_unlock(SEP_DEFER_PENDING, &ep->defer);
		/*
		 * Pairs with the fully ordered test_and_set_bit() of a
		 * request: it either queues a new wake, or the pollers we
		 * wake now see the event that it followed.  The hop count is
		 * read after the clear, so a request merged just before it
		 * (which may have lowered the count) is not cut early.
		 */
		smp_mb__after_atomic();
		old = this_cpu_read(sep_wake_hops);
		this_cpu_write(sep_wake_hops, READ_ONCE(ep->defer_hops));
		sep_poll_safewake(ep, NULL, extra);
		this_cpu_write(sep_wake_hops, old);
		sep_instance_put(ep);
	}
}

/**
 * sep_hook_init() - module load: one hard-irq work per CPU
 *
 * Set up before any instance exists.
 */
void __init sep_hook_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(sep_defer_work, cpu) =
			IRQ_WORK_INIT_HARD(sep_defer_run);
}

/**
 * sep_hook_exit() - module exit: no deferred wake is queued or running
 */
void sep_hook_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		irq_work_sync(per_cpu_ptr(&sep_defer_work, cpu));
}

/*
 * Wake @ep's pollers from a callback: synchronously, unless the wakeup
 * comes from a real epoll (see "Wakeups through real epolls").
 */
static void sep_propagate(struct sep_instance *ep, struct sep_item *item,
			  __poll_t extra)
{
	if (item->real_epoll)
		sep_defer_wake(ep, extra);
	else
		sep_poll_safewake(ep, item, extra);
}

/*
 * The wakeup callback, hooked on every wait queue a watched file registered.
 * Runs under the watched queue's lock, possibly in hard IRQ context.
 */
static int sep_poll_callback(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct sep_pwq *pwq = container_of(wait, struct sep_pwq, wait);
	struct sep_item *item = pwq->item;
	struct sep_instance *ep = item->ep;
	__poll_t pollflags = key_to_poll(key);
	unsigned long flags;
	bool pwake = false;
	int ewake = 0;

	spin_lock_irqsave(&ep->lock, flags);
	if (item->orphan || !sep_event_arrived(ep, item, pollflags))
		goto out_unlock;

	/* Waiters queue themselves under ep->lock, which we hold. */
	if (waitqueue_active(&ep->wq)) {
		if ((READ_ONCE(item->events) & EPOLLEXCLUSIVE) &&
		    sep_exclusive_ewake(READ_ONCE(item->events), pollflags))
			ewake = 1;
		if (sync)
			wake_up_sync(&ep->wq);
		else
			wake_up(&ep->wq);
	}
	/* Pollers that race with this re-check through a scan anyway. */
	if (waitqueue_active(&ep->poll_wait))
		pwake = true;

out_unlock:
	spin_unlock_irqrestore(&ep->lock, flags);

	if (pwake)
		sep_propagate(ep, item, pollflags & EPOLL_URING_WAKE);

	/* A scan may disarm ONESHOT meanwhile; EXCLUSIVE never changes. */
	if (!(READ_ONCE(item->events) & EPOLLEXCLUSIVE))
		ewake = 1;

	if (pollflags & POLLFREE) {
		/*
		 * The queue head is being freed: unhook now and tell removal
		 * not to touch the head (it reads it under RCU).
		 */
		list_del_init(&wait->entry);
		/* Pairs with smp_load_acquire() in sep_remove_wait(). */
		smp_store_release(&pwq->whead, NULL);
	}
	return ewake;
}

/* ->poll() calls this for each wait queue the file wants us on. */
void sep_ptable_queue_proc(struct file *file, wait_queue_head_t *whead,
			   poll_table *pt)
{
	struct sep_pqueue *epq = container_of(pt, struct sep_pqueue, pt);
	struct sep_item *item = epq->item;
	struct sep_pwq *pwq;

	if (item->nwait < 0)
		return;
	if (!item->pwqlist) {
		pwq = &item->pwq0;
	} else {
		pwq = sep_pwq_alloc();
		if (!pwq) {
			item->nwait = -1;
			return;
		}
	}
	init_waitqueue_func_entry(&pwq->wait, sep_poll_callback);
	pwq->whead = whead;
	pwq->item = item;
	if (item->events & EPOLLEXCLUSIVE)
		add_wait_queue_exclusive(whead, &pwq->wait);
	else
		add_wait_queue(whead, &pwq->wait);
	pwq->next = item->pwqlist;
	item->pwqlist = pwq;
	item->nwait++;
}

static void sep_remove_wait(struct sep_pwq *pwq)
{
	wait_queue_head_t *whead;

	/* A preemption-disabled RCU reader: no out-of-line calls. */
	rcu_read_lock_sched();
	/* Pairs with smp_store_release() on POLLFREE. */
	whead = smp_load_acquire(&pwq->whead);
	if (whead)
		remove_wait_queue(whead, &pwq->wait);
	rcu_read_unlock_sched();
}

/**
 * sep_item_unhook() - remove every wait entry of @item
 * @item: the item
 *
 * After this no callback runs for @item any more.
 *
 * Context: any; the watched file must still be alive (pinned, or in the
 * final-fput handler).
 */
void sep_item_unhook(struct sep_item *item)
{
	struct sep_pwq *pwq;

	while ((pwq = item->pwqlist)) {
		item->pwqlist = pwq->next;
		sep_remove_wait(pwq);
		if (pwq != &item->pwq0)
			sep_pwq_free(pwq);
	}
}

