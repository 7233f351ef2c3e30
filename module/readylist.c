// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: the ready list and the overflow list.
 *
 * This file holds every rule that decides what epoll_wait() returns and in
 * which order the undelivered items stay queued:
 *
 *  - a scan takes the whole ready list private and diverts wakeups to the
 *    overflow list (sep_start_scan);
 *  - delivery checks maxevents *before* touching the next item, re-polls
 *    each item, silently drops items that re-poll to 0, copies events out
 *    (events, then data), puts a faulting item back at the head, re-queues
 *    level-triggered items at the tail, disarms ONESHOT and leaves ET
 *    (sep_deliver);
 *  - the done step puts back, in order: the undelivered leftovers, the
 *    overflow arrivals in callback order, the level-triggered re-queues
 *    (sep_done_scan);
 *  - a wakeup queues an item, on the ready list or, during a scan, on the
 *    overflow list (sep_event_arrived, called by the callback in hook.c);
 *    ADD and MOD queue an item that polled ready (sep_queue_if_ready),
 *    removal unqueues it (sep_unqueue), MOD updates its mask and data
 *    (sep_set_event);
 *  - the ready dump lists the queued items in the order the next scan
 *    will see them (sep_ready_walk).
 *
 * Locking: the caller holds &sep_instance.mtx for every scan.  Starting and
 * closing a scan take &sep_instance.lock (irq), as every list change outside
 * a scan does.  Inside a scan, the per-item steps use the scan-step protocol
 * below instead of a lock round-trip per item.
 *
 * Scan steps.  While a scan runs, wakeups go to the overflow list and ctl
 * cannot run (it needs the mutex), so only the scanner changes the scan's
 * private list, the ready list and the items' @rdllink; the only concurrent
 * reader is the ready dump (sep_ready_walk()).  A step (settle the previous
 * delivery, unlink the next item) therefore runs with preemption disabled
 * and &sep_instance.scan_busy set; it takes &sep_instance.lock only if a dump
 * announced itself in &sep_instance.dumpers.  The dump announces itself,
 * waits until no step is in flight, then takes the lock.  Both sides store
 * their flag, issue a full barrier and then read the other's, so either the
 * step sees the dump (and takes the lock) or the dump sees the step (and
 * waits for it): the dump observes exactly the states it did when every step
 * took the lock.  The dump never waits while holding a lock, so a wakeup
 * interrupting a step can always take &sep_instance.lock.
 *
 * List lengths.  @rdlen and @txlen follow every change of the ready list
 * and of the scan's private list, under the same lock or step, so the
 * dump, which runs with interrupts off, visits only the entries it copies
 * out and reads the rest of the count (see sep_ready_walk()).
 */
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/wait.h>

#include <kunit/visibility.h>

#include "readylist.h"

/**
 * sep_events_available() - is a wait worth scanning?
 * @ep: the instance
 *
 * True if the ready list is non-empty or a scan is running (its leftovers
 * will come back).  Lockless, like the kernel's check.  On kernels with the
 * seqcount fix it is also true when a concurrent scan switched lists while
 * we looked, so a permanently ready item is never missed.
 *
 * Return: whether events may be available.
 */
bool sep_events_available(struct sep_instance *ep)
{
#if SEP_HAS_SEQ_FIX
	unsigned int seq = read_seqcount_begin(&ep->seq);

	return !list_empty_careful(&ep->rdllist) || sep_is_scanning(ep) ||
	       read_seqcount_retry(&ep->seq, seq);
#else
	return !list_empty_careful(&ep->rdllist) || sep_is_scanning(ep);
#endif
}
EXPORT_SYMBOL_IF_KUNIT(sep_events_available);

/**
 * sep_start_scan() - take the ready list private and open the overflow list
 * @ep:     the instance
 * @txlist: an empty list that receives the whole ready list
 *
 * Context: process; caller holds @ep->mtx.  Takes @ep->lock.
 */
void sep_start_scan(struct sep_instance *ep, struct list_head *txlist)
{
	lockdep_assert_held(&ep->mtx);
	lockdep_assert_irqs_enabled();

	spin_lock_irq(&ep->lock);
	write_seqcount_begin(&ep->seq);
	list_splice_init(&ep->rdllist, txlist);
	ep->txlen = ep->rdlen;
	ep->rdlen = 0;
	WRITE_ONCE(ep->ovflist, NULL);
	ep->scan = txlist;
	write_seqcount_end(&ep->seq);
	spin_unlock_irq(&ep->lock);
}
EXPORT_SYMBOL_IF_KUNIT(sep_start_scan);

/*
 * What sep_deliver() still owes the item it delivered last: the step after a
 * successful copy, done together with the next list change (the unlink of
 * the next item, or the done step), so that a delivered item costs one scan
 * step.  No pause (fault, userfaultfd) can happen in between: it is applied
 * before the next item is re-polled or copied, so every state the ready dump
 * can observe is unchanged.
 *
 * Context: caller holds @ep->lock or is inside a scan step.
 */
static void sep_settle(struct sep_instance *ep, struct sep_item *item)
{
	__poll_t events;

	if (!item)
		return;
	events = item->events;
	if (events & EPOLLONESHOT) {
		WRITE_ONCE(item->events, events & SEP_PRIVATE_BITS);
	} else if (!(events & EPOLLET)) {
		list_add_tail(&item->rdllink, &ep->rdllist);
		ep->rdlen++;
	}
}

/* sep_done_scan(), first settling @settle (see sep_settle()). */
static void __sep_done_scan(struct sep_instance *ep, struct list_head *txlist,
			    struct sep_item *settle)
{
	struct sep_item *item, *next;

	lockdep_assert_held(&ep->mtx);

	spin_lock_irq(&ep->lock);
	sep_settle(ep, settle);
	for (next = ep->ovflist; (item = next) != NULL; ) {
		next = item->ovf_next;
		item->ovf_next = SEP_UNACTIVE_PTR;
		if (!sep_is_linked(item)) {
			list_add(&item->rdllink, &ep->rdllist);
			ep->rdlen++;
		}
	}
	write_seqcount_begin(&ep->seq);
	WRITE_ONCE(ep->ovflist, SEP_UNACTIVE_PTR);
	list_splice(txlist, &ep->rdllist);
	INIT_LIST_HEAD(txlist);
	ep->rdlen += ep->txlen;
	ep->txlen = 0;
	ep->scan = NULL;
	write_seqcount_end(&ep->seq);

	/* Waiters queue themselves under ep->lock, which we hold. */
	if (!list_empty(&ep->rdllist) && waitqueue_active(&ep->wq))
		wake_up(&ep->wq);
	spin_unlock_irq(&ep->lock);
}

/**
 * sep_done_scan() - close a scan and rebuild the ready list
 * @ep:     the instance
 * @txlist: the scan's private list (undelivered leftovers)
 *
 * The overflow list is LIFO; head-inserting while walking it newest to
 * oldest leaves the arrivals in callback order, in front of whatever the
 * scan re-queued (level-triggered items).  Items still linked (leftovers,
 * re-queued ones) keep their place.  The leftovers then go in front of all.
 * If something is queued, one more exclusive waiter is woken.
 *
 * Context: process; caller holds @ep->mtx.  Takes @ep->lock.
 */
void sep_done_scan(struct sep_instance *ep, struct list_head *txlist)
{
	__sep_done_scan(ep, txlist, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(sep_done_scan);

/*
 * Enter a scan step (see "Scan steps" above).  Returns false, with nothing
 * held, if a dump is announced: the caller then takes @ep->lock instead.
 */
static bool sep_step_begin(struct sep_instance *ep)
{
	preempt_disable();
	WRITE_ONCE(ep->scan_busy, true);
	/* Pairs with smp_mb__after_atomic() in sep_ready_walk(). */
	smp_mb();
	if (likely(!atomic_read(&ep->dumpers)))
		return true;
	/* Nothing changed: no ordering needed, but pairs like sep_step_end(). */
	smp_store_release(&ep->scan_busy, false);
	preempt_enable();
	return false;
}

static void sep_step_end(struct sep_instance *ep)
{
	/* Publishes the step's list changes to a dump that waited for it. */
	smp_store_release(&ep->scan_busy, false);
	preempt_enable();
}

/*
 * One scan step: settle @settle (may be NULL), then put @item at the head
 * of @head (the scan's private list), or take it off that list if @head is
 * NULL.
 */
static void __sep_step(struct sep_instance *ep, struct sep_item *settle,
		       struct sep_item *item, struct list_head *head)
{
	sep_settle(ep, settle);
	if (head) {
		list_add(&item->rdllink, head);
		ep->txlen++;
	} else {
		list_del_init(&item->rdllink);
		ep->txlen--;
	}
}

static __always_inline void sep_step(struct sep_instance *ep,
				     struct sep_item *settle,
				     struct sep_item *item,
				     struct list_head *head)
{
	lockdep_assert_held(&ep->mtx);

	if (sep_step_begin(ep)) {
		__sep_step(ep, settle, item, head);
		sep_step_end(ep);
		return;
	}
	spin_lock_irq(&ep->lock);
	__sep_step(ep, settle, item, head);
	spin_unlock_irq(&ep->lock);
}

/**
 * sep_set_event() - EPOLL_CTL_MOD's update of an item's mask and data
 * @ep:     the instance
 * @item:   the item
 * @events: the new interest mask (with the private bits)
 * @data:   the new user data
 *
 * A step like a scan's (see "Scan steps" above): the ready dump sees both
 * fields old or both new.  The wakeup callback reads the mask locklessly,
 * so the full barrier at the end orders the new mask before the caller's
 * re-poll: a racing wakeup either sees the new mask or is seen by the poll.
 *
 * Context: process; caller holds @ep->mtx.
 */
void sep_set_event(struct sep_instance *ep, struct sep_item *item,
		   __poll_t events, u64 data)
{
	lockdep_assert_held(&ep->mtx);

	if (sep_step_begin(ep)) {
		WRITE_ONCE(item->events, events);
		item->data = data;
		sep_step_end(ep);
	} else {
		spin_lock_irq(&ep->lock);
		WRITE_ONCE(item->events, events);
		item->data = data;
		spin_unlock_irq(&ep->lock);
	}
	/* The new mask before the caller's re-poll (see above). */
	smp_mb();
}
EXPORT_SYMBOL_IF_KUNIT(sep_set_event);

/**
 * sep_deliver() - one delivery scan, as epoll_wait() does it
 * @ep:        the instance
 * @ops:       re-poll and copy-out operations
 * @ctx:       passed to @ops
 * @maxevents: output capacity, > 0
 *
 * Context: process; caller holds @ep->mtx.  May sleep in @ops.
 * Return: events delivered; -EFAULT if the first copy failed.
 */
int sep_deliver(struct sep_instance *ep, const struct sep_scan_ops *ops,
		void *ctx, int maxevents)
{
	struct sep_item *item, *tmp, *settle = NULL;
	LIST_HEAD(txlist);
	__poll_t revents;
	int res = 0;

	lockdep_assert_held(&ep->mtx);

	sep_start_scan(ep, &txlist);
	list_for_each_entry_safe(item, tmp, &txlist, rdllink) {
		/* Room first: the item stays queued, untouched, if full. */
		if (res >= maxevents)
			break;
		/*
		 * Settle the previous delivery (disarm ONESHOT, re-queue LT)
		 * and unlink this item in one step.
		 */
		sep_step(ep, settle, item, NULL);
		settle = NULL;
		revents = ops->poll(item, 1, ctx);
		if (!revents)
			continue;
		if (ops->copy(ctx, res, revents, item->data)) {
			sep_step(ep, NULL, item, &txlist);
			if (!res)
				res = -EFAULT;
			break;
		}
		res++;
		settle = item;
	}
	__sep_done_scan(ep, &txlist, settle);
	return res;
}
EXPORT_SYMBOL_IF_KUNIT(sep_deliver);

/**
 * sep_scan_ready() - is any queued item really ready? (poll of an instance)
 * @ep:    the instance
 * @ops:   re-poll operation (@ops->copy is not used)
 * @ctx:   passed to @ops
 * @depth: nesting depth of @ep (0 when polled from outside)
 *
 * Stops at the first item that is ready; every item before it that is not
 * ready is dropped from the ready list.  Nothing is consumed or re-queued.
 *
 * Context: process; caller holds @ep->mtx.
 * Return: EPOLLIN | EPOLLRDNORM if an item is ready, else 0.
 */
__poll_t sep_scan_ready(struct sep_instance *ep, const struct sep_scan_ops *ops,
			void *ctx, int depth)
{
	struct sep_item *item, *tmp;
	LIST_HEAD(txlist);
	__poll_t res = 0;

	lockdep_assert_held(&ep->mtx);

	sep_start_scan(ep, &txlist);
	list_for_each_entry_safe(item, tmp, &txlist, rdllink) {
		if (ops->poll(item, depth + 1, ctx)) {
			res = EPOLLIN | EPOLLRDNORM;
			break;
		}
		sep_step(ep, NULL, item, NULL);
	}
	sep_done_scan(ep, &txlist);
	return res;
}
EXPORT_SYMBOL_IF_KUNIT(sep_scan_ready);

/**
 * sep_event_arrived() - queue an item for a wakeup that passed to it
 * @ep:        the instance
 * @item:      the item whose watched file woke up
 * @pollflags: the wakeup key (0: unknown, treat as "anything")
 *
 * A disarmed item and a key that shares no bit with the interest mask are
 * ignored.  During a scan the item goes on the overflow list (whether or
 * not it is linked: the done step decides); otherwise it is appended to the
 * ready list unless already queued, keeping its place.
 *
 * Context: any; caller holds @ep->lock.
 * Return: false if the event was filtered out.
 */
bool sep_event_arrived(struct sep_instance *ep, struct sep_item *item,
		       __poll_t pollflags)
{
	__poll_t events = READ_ONCE(item->events);

	lockdep_assert_held(&ep->lock);

	if (sep_is_disarmed(events))
		return false;
	if (pollflags && !(pollflags & events))
		return false;

	if (sep_is_scanning(ep)) {
		if (!sep_on_ovflist(item)) {
			item->ovf_next = ep->ovflist;
			WRITE_ONCE(ep->ovflist, item);
		}
	} else if (!sep_is_linked(item)) {
		list_add_tail(&item->rdllink, &ep->rdllist);
		ep->rdlen++;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(sep_event_arrived);

/**
 * sep_exclusive_ewake() - does an EPOLLEXCLUSIVE item take this wakeup?
 * @events:    the item's interest mask
 * @pollflags: the wakeup key
 *
 * Only when the key's IN/OUT part is exactly IN (and the item wants IN),
 * exactly OUT (and it wants OUT), or neither; never for POLLFREE.  The
 * caller also requires a blocked waiter on the instance.
 *
 * Return: true if the exclusive wakeup counts as consumed.
 */
bool sep_exclusive_ewake(__poll_t events, __poll_t pollflags)
{
	if (pollflags & POLLFREE)
		return false;

	switch (pollflags & SEP_INOUT_BITS) {
	case EPOLLIN:
		return events & EPOLLIN;
	case EPOLLOUT:
		return events & EPOLLOUT;
	case 0:
		return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(sep_exclusive_ewake);

/**
 * sep_queue_if_ready() - append @item to the ready list unless queued
 * @ep:   the instance
 * @item: an item that just polled ready (ADD or MOD)
 *
 * Context: caller holds @ep->lock (no scan can run: @ep->mtx is held too).
 * Return: true if it was appended.
 */
bool sep_queue_if_ready(struct sep_instance *ep, struct sep_item *item)
{
	lockdep_assert_held(&ep->lock);

	if (sep_is_linked(item))
		return false;
	list_add_tail(&item->rdllink, &ep->rdllist);
	ep->rdlen++;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(sep_queue_if_ready);

/**
 * sep_unqueue() - take @item off the ready list (removal)
 * @ep:   the instance
 * @item: the item
 *
 * Context: process; caller holds @ep->mtx, so no scan is running, and no
 * wakeup can queue @item any more (it is unhooked, or an orphan).  So an
 * item on neither list needs no lock round-trip.
 */
void sep_unqueue(struct sep_instance *ep, struct sep_item *item)
{
	lockdep_assert_held(&ep->mtx);

	if (!sep_is_linked(item) && list_empty_careful(&item->deadlink))
		return;
	spin_lock_irq(&ep->lock);
	if (sep_is_linked(item)) {
		list_del_init(&item->rdllink);
		ep->rdlen--;
	}
	list_del_init(&item->deadlink);
	spin_unlock_irq(&ep->lock);
}
EXPORT_SYMBOL_IF_KUNIT(sep_unqueue);

static u32 sep_entry_flags(const struct sep_item *item, u32 base)
{
	u32 flags = base;

	if (sep_on_ovflist(item))
		flags |= SEP_ENTRY_OVFLIST;
	if (item->dying)
		flags |= SEP_ENTRY_DYING;
	return flags;
}

/*
 * A ready dump in progress: @fn is called for the first @left entries
 * only; @seen counts the entries visited.
 */
struct sep_walk {
	sep_walk_fn fn;
	void *ctx;
	unsigned long left;
	unsigned long seen;
};

static void sep_walk_one(struct sep_walk *w, const struct sep_item *item,
			 u32 base)
{
	w->fn(w->ctx, item, sep_entry_flags(item, base));
	w->left--;
	w->seen++;
}

/* Visit @head's items while @w has room left. */
static void sep_walk_list(struct list_head *head, struct sep_walk *w,
			  u32 base)
{
	struct sep_item *item;

	list_for_each_entry(item, head, rdllink) {
		if (!w->left)
			break;
		sep_walk_one(w, item, base);
	}
}

/* Reverse the LIFO overflow chain in place; returns the new head. */
static struct sep_item *sep_ovf_reverse(struct sep_item *head)
{
	struct sep_item *prev = NULL, *next;

	while (head) {
		next = head->ovf_next;
		head->ovf_next = prev;
		prev = head;
		head = next;
	}
	return prev;
}

/*
 * Overflow arrivals that the done step will insert (those not linked),
 * oldest first, while @w has room; returns how many there are.  The chain
 * is reversed and restored under @ep->lock, which every writer of it
 * holds, so nobody sees the intermediate state.  Without room left it is
 * only counted, in one pass.
 */
static unsigned long sep_walk_ovflist(struct sep_instance *ep,
				      struct sep_walk *w)
{
	struct sep_item *oldest, *item;
	unsigned long n = 0;

	lockdep_assert_held(&ep->lock);

	if (!w->left) {
		for (item = ep->ovflist; item; item = item->ovf_next)
			n += !sep_is_linked(item);
		return n;
	}
	oldest = sep_ovf_reverse(ep->ovflist);
	for (item = oldest; item; item = item->ovf_next) {
		if (sep_is_linked(item))
			continue;
		if (w->left)
			sep_walk_one(w, item, 0);
		n++;
	}
	/* Lockless readers only test for SEP_UNACTIVE_PTR: never seen here. */
	WRITE_ONCE(ep->ovflist, sep_ovf_reverse(oldest));
	return n;
}

/**
 * sep_ready_walk() - visit the queued items in the order of the next scan
 * @ep:         the instance
 * @fn:         called for each of the first @limit items, under @ep->lock
 *              (must not sleep)
 * @ctx:        passed to @fn
 * @limit:      at most this many calls of @fn
 * @dump_flags: set to SEP_DUMP_SCANNING if a scan is running, else 0
 *
 * Without a running scan this is the ready list.  With one, it is the order
 * sep_done_scan() will produce: the scan's leftovers, the overflow arrivals
 * not already queued (callback order), then the ready list (re-queues).
 *
 * The count covers every entry, but only the first @limit are visited:
 * the lists' lengths are kept (@rdlen, @txlen), so the time spent with
 * interrupts off is O(@limit), plus the overflow list while a scan runs
 * (its arrivals not already queued are counted by walking it; the done
 * step walks all of it under the same lock anyway).
 *
 * Context: any process context; takes @ep->lock, not @ep->mtx, so it works
 * while a scan is paused in a copy to userspace.  Waits for a scan step in
 * flight on another CPU (see "Scan steps" above).
 * Return: number of entries on the lists (visited or not).
 */
unsigned long sep_ready_walk(struct sep_instance *ep, sep_walk_fn fn,
			     void *ctx, unsigned long limit, u32 *dump_flags)
{
	struct sep_walk w = { .fn = fn, .ctx = ctx, .left = limit };
	unsigned long n = 0;

	atomic_inc(&ep->dumpers);
	/* Pairs with smp_mb() in sep_step_begin(). */
	smp_mb__after_atomic();
	/* Acquire: the step's list changes before our walk. */
	while (smp_load_acquire(&ep->scan_busy))
		cpu_relax();
	spin_lock_irq(&ep->lock);
	*dump_flags = 0;
	if (ep->scan) {
		*dump_flags = SEP_DUMP_SCANNING;
		n = ep->txlen;
		sep_walk_list(ep->scan, &w, SEP_ENTRY_SCAN);
		n += sep_walk_ovflist(ep, &w);
	}
	n += ep->rdlen;
	sep_walk_list(&ep->rdllist, &w, SEP_ENTRY_READY);
	/* Everything visited: the kept lengths must agree. */
	WARN_ON_ONCE(w.left && w.seen != n);
	spin_unlock_irq(&ep->lock);
	/*
	 * Our list reads are done before a scan step can see no dumper and
	 * change the lists without the lock (unlock is only a release).
	 */
	smp_mb__before_atomic();
	atomic_dec(&ep->dumpers);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(sep_ready_walk);
