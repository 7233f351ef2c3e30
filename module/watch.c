// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: hooking watched files.
 *
 * An item hooks the watched file's wait queues with sep_poll_callback(), the
 * equivalent of the kernel's ep_poll_callback().  The item holds no reference
 * on the file, exactly like a real epitem, so closing the last user reference
 * of a pipe's write end makes the reader see EPOLLHUP at once.
 *
 * File lifetime.  The kernel removes registrations at the final fput of the
 * watched file (__fput() -> eventpoll_release()), a hook a module cannot
 * use.  We put a kprobe on __fput(): at that same moment the handler finds
 * the file in a global index, unhooks the items' wait entries (the queues
 * are about to be freed) and marks them dying.  It cannot sleep, so it does
 * not take the instance mutex; dying items are reaped by the next operation
 * on their instance, before it does anything else, so userspace can never
 * observe the difference.  Scans pin each file with an
 * increment-if-not-zero before polling it, as the kernel does, so a file in
 * its final fput is skipped.
 *
 * Without kprobes (UML, where KUnit runs) items hold a file reference
 * instead, and are removed only by EPOLL_CTL_DEL or instance release.
 *
 * The index is a resizable hash table keyed by the file pointer (an
 * rhltable: the items of one file hang off one entry), so a lookup costs the
 * same at any number of registrations: __fput() of any file in the system
 * pays one hash probe.
 *
 * Locking: sep_index_lock serialises the removals from the index (the
 * items' @fnode and @indexed), @orphan, and every change of an instance's
 * @refs (the items watching it); the table's own bucket locks nest inside
 * it.  Insertion into the table needs only the table's locks (see
 * sep_index_add()).
 * sep_index_lock is taken outside the watched file's wait-queue locks and
 * outside &sep_instance.lock, never in IRQ context.  Index lookups on the
 * __fput() fast path are RCU-only; items and instances are RCU-freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/hash.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <kunit/visibility.h>

#include "instance.h"
#include "scan.h"
#include "watch.h"

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

/* Hash of a file pointer: the key is the pointer itself. */
static u32 sep_index_hash(const void *data, u32 len, u32 seed)
{
	return hash_long(*(const unsigned long *)data ^ seed, 32);
}

/*
 * Key comparison: the pointers themselves.  The table's default would call
 * memcmp() with the run-time key length, once per entry a walk passes.
 */
static int sep_index_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct sep_item *item = obj;

	return item->file != *(struct file * const *)arg->key;
}

static const struct rhashtable_params sep_index_params = {
	.key_len		= sizeof(struct file *),
	.key_offset		= offsetof(struct sep_item, file),
	.head_offset		= offsetof(struct sep_item, fnode),
	.hashfn			= sep_index_hash,
	.obj_cmpfn		= sep_index_cmp,
	/*
	 * Grow only: a shrink after a burst of removals would just be
	 * undone by the next burst of additions (each resize rehashes all).
	 */
	.nelem_hint		= 1024,
};

/*
 * Items and their extra hooks come from their own caches, exactly sized and
 * charged to the memory cgroup of the task that registers (SLAB_ACCOUNT), as
 * the kernel's epitems and eppoll_entries are.
 */
static struct kmem_cache *sep_item_cache;
static struct kmem_cache *sep_pwq_cache;

static struct rhltable sep_index;
static DEFINE_SPINLOCK(sep_index_lock);	/* see "Locking" above */
/* The __fput hook is installed (or KUnit drives the index by hand). */
VISIBLE_IF_KUNIT bool sep_kprobe_active;
EXPORT_SYMBOL_IF_KUNIT(sep_kprobe_active);

/* The items watching @file, or NULL.  Caller holds rcu_read_lock(). */
static struct rhlist_head *sep_index_lookup(struct file *file)
{
	return rhltable_lookup(&sep_index, &file, sep_index_params);
}

/*
 * The instance @item watches, if its file is one (then @item hangs on that
 * instance's @refs).  The watched file is alive: pinned by the caller, or in
 * the final-fput handler, which runs before its ->release.
 */
static struct sep_instance *sep_watched_instance(struct sep_item *item)
{
	return sep_is_shadow_file(item->file) ? item->file->private_data : NULL;
}

/* Take @item out of the index.  Caller holds sep_index_lock. */
static void sep_index_del_locked(struct sep_item *item)
{
	lockdep_assert_held(&sep_index_lock);

	WARN_ON_ONCE(rhltable_remove(&sep_index, &item->fnode,
				     sep_index_params));
	item->indexed = false;
	if (sep_watched_instance(item))
		hlist_del_rcu(&item->wnode);
}

/**
 * sep_lifetime_tracked() - is the final-fput hook active?
 *
 * Return: true if items are removed at the watched file's final fput;
 * false if they pin their file instead.
 */
bool sep_lifetime_tracked(void)
{
	return READ_ONCE(sep_kprobe_active);
}

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
	int *nests = get_cpu_ptr(&sep_wake_nests);

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

/* Module init: one hard-irq work per CPU (set up before any instance). */
static void sep_defer_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(sep_defer_work, cpu) =
			IRQ_WORK_INIT_HARD(sep_defer_run);
}

/* Module exit: no deferred wake is queued or running any more. */
static void sep_defer_sync(void)
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
		pwq = kmem_cache_zalloc(sep_pwq_cache, GFP_KERNEL);
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
			kmem_cache_free(sep_pwq_cache, pwq);
	}
}

/**
 * sep_index_add() - make @item findable from its file
 * @item: a new item, before it is hooked
 *
 * Without the final-fput hook the item also takes a file reference, so its
 * file cannot reach the final fput while the item exists.
 *
 * Context: process; caller pins @item->file.
 * Return: 0, or -ENOMEM if the index could not take it (nothing changed).
 */
int sep_index_add(struct sep_item *item)
{
	struct sep_instance *watched;

	/*
	 * Indexed either way: the nesting checks walk watchers through it.
	 * No sep_index_lock for the table: it locks its buckets, and the lock
	 * orders removals against the release handler, which cannot run for
	 * a file the caller pins.  @indexed is set before anyone can find the
	 * item.  An instance's @refs changes under the lock (removals come
	 * from the release handler too).
	 */
	item->indexed = true;
	if (rhltable_insert(&sep_index, &item->fnode, sep_index_params)) {
		item->indexed = false;
		return -ENOMEM;
	}
	watched = sep_watched_instance(item);
	if (watched) {
		spin_lock(&sep_index_lock);
		hlist_add_head_rcu(&item->wnode, &watched->refs);
		spin_unlock(&sep_index_lock);
	}
	if (!sep_lifetime_tracked()) {
		get_file(item->file);
		item->pinned = true;
	}
	return 0;
}

/*
 * Hand @item to the final-fput handler.  The orphan stays hooked on its
 * file's wait queues (our callback) and holds its instance until the
 * handler frees it, which may be after the instance's file, the last
 * module reference of its own, is gone: so the orphan holds the module
 * too (dropped in sep_detach_locked()).  The caller's instance file
 * holds a module reference, hence __module_get().
 * Caller holds sep_index_lock.
 */
static void sep_orphan_locked(struct sep_item *item)
{
	lockdep_assert_held(&sep_index_lock);

	__module_get(THIS_MODULE);
	sep_instance_get(item->ep);
	spin_lock_irq(&item->ep->lock);
	WRITE_ONCE(item->orphan, true);
	spin_unlock_irq(&item->ep->lock);
}

/**
 * sep_release_begin() - start removing @item from its instance
 * @item:   the item
 * @pinned: the caller holds a reference on @item->file
 *
 * Decides who unhooks the item.  If it is still indexed and the caller has
 * the file pinned, the caller does (no final fput can run meanwhile).  If
 * its file is in its final fput but the handler did not get to it yet, the
 * handler will unhook and free it: the item becomes an orphan and the
 * caller must only unlink it from the instance.
 *
 * Return: true if the caller must free the item after unlinking it.
 */
bool sep_release_begin(struct sep_item *item, bool pinned)
{
	bool unhook = false, mine = true;

	if (item->pinned) {
		spin_lock(&sep_index_lock);
		sep_index_del_locked(item);
		spin_unlock(&sep_index_lock);
		sep_item_unhook(item);
		fput(item->file);
		return true;
	}

	spin_lock(&sep_index_lock);
	if (item->indexed) {
		if (pinned) {
			sep_index_del_locked(item);
			unhook = true;
		} else {
			sep_orphan_locked(item);
			mine = false;
		}
	}
	spin_unlock(&sep_index_lock);

	if (unhook)
		sep_item_unhook(item);
	return mine;
}

/**
 * sep_item_alloc() - a zeroed item, charged to the caller's memory cgroup
 *
 * Context: process; may sleep.
 * Return: the item or NULL.
 */
struct sep_item *sep_item_alloc(void)
{
	return kmem_cache_zalloc(sep_item_cache, GFP_KERNEL);
}

/**
 * sep_item_discard() - free an item nobody else ever saw
 * @item: an item from sep_item_alloc() that was never indexed or hooked
 */
void sep_item_discard(struct sep_item *item)
{
	kmem_cache_free(sep_item_cache, item);
}

static void sep_item_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(sep_item_cache, container_of(head, struct sep_item, rcu));
}

/**
 * sep_item_free() - free an unlinked, unhooked item after a grace period
 * @item: the item
 *
 * call_rcu() rather than kfree_rcu(): the rcu_barrier() of module exit then
 * covers every pending free before the cache is destroyed.
 *
 * Context: any.
 */
void sep_item_free(struct sep_item *item)
{
	call_rcu(&item->rcu, sep_item_free_rcu);
}

/* Module load: the item and hook caches. */
static int sep_caches_init(void)
{
	sep_item_cache = KMEM_CACHE(sep_item, SLAB_ACCOUNT);
	if (!sep_item_cache)
		return -ENOMEM;
	sep_pwq_cache = KMEM_CACHE(sep_pwq, SLAB_ACCOUNT);
	if (!sep_pwq_cache) {
		kmem_cache_destroy(sep_item_cache);
		return -ENOMEM;
	}
	return 0;
}

/* Module exit, after rcu_barrier(): every object is back. */
static void sep_caches_destroy(void)
{
	kmem_cache_destroy(sep_pwq_cache);
	kmem_cache_destroy(sep_item_cache);
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * sep_file_is_watched() - is @file watched by any shadow instance?
 * @file: a file
 *
 * Only the KUnit tests ask (the module itself asks instances, through
 * their @refs).
 *
 * Return: true if an item watches it.
 */
bool sep_file_is_watched(struct file *file)
{
	struct rhlist_head *list, *pos;
	struct sep_item *item;
	bool found = false;

	rcu_read_lock();
	list = sep_index_lookup(file);
	rhl_for_each_entry_rcu(item, pos, list, fnode) {
		if (!READ_ONCE(item->orphan)) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(sep_file_is_watched);
#endif

/**
 * sep_watchers_walk() - call @fn for each live item watching @file
 * @file: a file
 * @fn:   called under rcu_read_lock(); must not sleep
 * @ctx:  passed to @fn
 *
 * Context: caller holds sep_nested_mutex (items cannot be added meanwhile).
 */
void sep_watchers_walk(struct file *file,
		       void (*fn)(struct sep_item *item, void *ctx), void *ctx)
{
	struct rhlist_head *list, *pos;
	struct sep_item *item;

	rcu_read_lock();
	list = sep_index_lookup(file);
	rhl_for_each_entry_rcu(item, pos, list, fnode) {
		if (!READ_ONCE(item->orphan) && !READ_ONCE(item->dying))
			fn(item, ctx);
	}
	rcu_read_unlock();
}

/**
 * sep_instance_watchers_walk() - call @fn for each live item watching @ep
 * @ep:  an instance (the caller's RCU section or a reference keeps it)
 * @fn:  called under rcu_read_lock(); must not sleep
 * @ctx: passed to @fn
 *
 * Walks @ep's own list, as the kernel's checks walk ep->refs, never @ep's
 * file: an instance met on the way up may be in its final release, its
 * file already freed (and on a typesafe slab reused), while its items are
 * still listed.
 *
 * Context: caller holds sep_nested_mutex (items cannot be added meanwhile).
 */
void sep_instance_watchers_walk(struct sep_instance *ep,
				void (*fn)(struct sep_item *item, void *ctx),
				void *ctx)
{
	struct sep_item *item;

	rcu_read_lock();
	hlist_for_each_entry_rcu(item, &ep->refs, wnode) {
		if (!READ_ONCE(item->orphan) && !READ_ONCE(item->dying))
			fn(item, ctx);
	}
	rcu_read_unlock();
}

/**
 * sep_instance_has_watchers() - is @ep watched by a live item?
 * @ep: an instance (the caller's RCU section or a reference keeps it)
 *
 * Unlike sep_instance_watched(), items handed to the final-fput handler
 * (orphans) do not count, as in sep_file_is_watched().
 *
 * Return: true if an item that is not an orphan watches @ep.
 */
bool sep_instance_has_watchers(struct sep_instance *ep)
{
	struct sep_item *item;
	bool found = false;

	rcu_read_lock();
	hlist_for_each_entry_rcu(item, &ep->refs, wnode) {
		if (!READ_ONCE(item->orphan)) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/*
 * Take @item out of the index and off its file's wait queues; an orphan
 * (its instance already let go of it) is freed here.  Returns true then.
 * Caller holds sep_index_lock; the file must still be alive.
 */
static bool sep_detach_locked(struct sep_item *item)
{
	lockdep_assert_held(&sep_index_lock);

	sep_index_del_locked(item);
	sep_item_unhook(item);
	if (!item->orphan)
		return false;
	sep_instance_put(item->ep);
	sep_item_free(item);
	/*
	 * The orphan's module reference (sep_orphan_locked()), last: the
	 * rest of this handler still runs module code, but an unload that
	 * this put allows unregisters the kprobe first, and
	 * unregister_kprobe() waits for running handlers (synchronize_rcu();
	 * a handler runs with preemption disabled).
	 */
	module_put(THIS_MODULE);
	return true;
}

/**
 * sep_file_released() - the final fput of @file: detach its watchers
 * @file: a file whose count reached zero
 *
 * Context: the __fput() hook (preemption disabled); does not sleep.
 */
VISIBLE_IF_KUNIT void sep_file_released(struct file *file)
{
	struct rhlist_head *pos, *next;
	struct sep_item *item;
	unsigned long flags;
	bool any;

	rcu_read_lock();
	any = sep_index_lookup(file);
	rcu_read_unlock();
	if (!any)
		return;

	spin_lock(&sep_index_lock);
	rcu_read_lock();
	/* Detaching unlinks @pos only: its own next pointer stays valid. */
	for (pos = sep_index_lookup(file); pos; pos = next) {
		next = rcu_dereference(pos->next);
		item = container_of(pos, struct sep_item, fnode);
		/* A pinned item's file cannot be in its final fput. */
		if (item->pinned)
			continue;
		if (sep_detach_locked(item))
			continue;
		spin_lock_irqsave(&item->ep->lock, flags);
		WRITE_ONCE(item->dying, true);
		list_add_tail(&item->deadlink, &item->ep->dead);
		spin_unlock_irqrestore(&item->ep->lock, flags);
		sep_item_uncharge(item);
	}
	rcu_read_unlock();
	spin_unlock(&sep_index_lock);
}
EXPORT_SYMBOL_IF_KUNIT(sep_file_released);

/*
 * Nothing can be left at module exit: every item belongs to an instance,
 * whose file holds the module, or is an orphan, which holds it too.  An
 * entry here is a bug; its file may be freed already (its final fput may
 * have run after the hook went away), so it is leaked, not touched.
 */
static void sep_sweep_one(void *ptr, void *arg)
{
	WARN_ON_ONCE(1);
}

/* Module exit: no instance, no orphan and no hook are left. */
static void sep_index_destroy(void)
{
	rhltable_free_and_destroy(&sep_index, sep_sweep_one, NULL);
}

#ifdef CONFIG_KPROBES
static int sep_fput_pre(struct kprobe *p, struct pt_regs *regs)
{
	sep_file_released((struct file *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe sep_fput_probe = {
	.symbol_name = "__fput",
	.pre_handler = sep_fput_pre,
};

/**
 * sep_watch_init() - set up the file index and install the final-fput hook
 *
 * Return: 0, or -ENOMEM (falls back to pinning files when kprobes are
 * unavailable).
 */
int sep_watch_init(void)
{
	int ret = sep_caches_init();

	sep_defer_init();
	if (ret)
		return ret;
	ret = rhltable_init(&sep_index, &sep_index_params);
	if (ret) {
		sep_caches_destroy();
		return ret;
	}
	ret = register_kprobe(&sep_fput_probe);
	if (ret) {
		pr_warn("no kprobe on __fput (%d): watched files are pinned\n",
			ret);
		return 0;
	}
	WRITE_ONCE(sep_kprobe_active, true);
	return 0;
}

/**
 * sep_watch_exit() - remove the final-fput hook and the file index
 *
 * No item is left: instances and orphans hold the module.  A final fput
 * still pending elsewhere (task work, delayed fput) concerns no item.
 *
 * Context: module exit; no instance exists any more.
 */
void sep_watch_exit(void)
{
	if (sep_lifetime_tracked())
		unregister_kprobe(&sep_fput_probe);
	sep_defer_sync();
	sep_index_destroy();
	rcu_barrier();
	sep_caches_destroy();
}
#else
int sep_watch_init(void)
{
	int ret = sep_caches_init();

	sep_defer_init();
	if (ret)
		return ret;
	ret = rhltable_init(&sep_index, &sep_index_params);
	if (ret)
		sep_caches_destroy();
	return ret;
}

void sep_watch_exit(void)
{
	sep_defer_sync();
	sep_index_destroy();
	rcu_barrier();
	sep_caches_destroy();
}
#endif
