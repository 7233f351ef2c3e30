/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * shadow_epoll: internal data structures shared by the module's files.
 *
 * Overview
 * --------
 * A struct sep_instance is one shadow epoll (one open of /dev/shadow_epoll or
 * one SHADOW_EPOLL_IOC_CREATE).  Each registration (EPOLL_CTL_ADD) is a
 * struct sep_item, kept in the instance's interest set (an rbtree keyed by
 * (struct file *, fd), compared exactly like the kernel's, so iteration order
 * equals fdinfo order of a real epoll watching the same files).
 *
 * Locking
 * -------
 * Three levels, outermost first:
 *
 * 1) sep_nested_mutex (instance.c): serialises the loop and depth checks of
 *    EPOLL_CTL_ADD when the target is itself an instance, or the instance
 *    is watched by another instance.
 * 2) sep_instance.mtx: a sleeping mutex serialising ctl, every scan (wait,
 *    poll of the instance fd), the interest dump, fdinfo and release.  It is
 *    held across the copy to userspace, exactly where the kernel holds
 *    ep->mtx, so a paused copy (userfaultfd) blocks ctl as in the kernel.
 *    Instances nest (an instance watching an instance): the inner mutex is
 *    taken with mutex_lock_nested(depth).  A poll made on behalf of a real
 *    epoll (which holds that epoll's mutex) only tries instance mutexes and
 *    never calls into a real epoll (instance.c, "Polls of an instance from
 *    outside"), so real epoll mutexes are never held while one of ours is
 *    waited for.
 * 3) sep_instance.lock: an IRQ-safe spinlock for the ready list, the
 *    overflow list, the scan pointer, the waiter queue @wq and the per-item
 *    fields the wakeup callback reads.  The callback may run in hard IRQ
 *    context (any driver's wake_up()), hence irqsave.  Inside a scan, the
 *    scanner's per-item list steps are ordered against the ready dump by
 *    the flags @scan_busy/@dumpers instead (see scan.c, "Scan steps").
 *
 * sep_index_lock (watch.c) protects the global file index used when a watched
 * file is finally released.  It nests outside sep_instance.lock and outside
 * the watched file's wait-queue locks; it is never taken in IRQ context.
 *
 * Poller wakeups (@poll_wait) nest inside the waking queue's lock; a chain
 * never passes from a real epoll into an instance synchronously (that step
 * runs from an irq_work: watch.c, "Wakeups through real epolls").
 * sep_users_lock (instance.c) is irq-safe: an instance's last reference may
 * be dropped by that irq_work.
 */
#ifndef _SHADOW_EPOLL_SEP_H
#define _SHADOW_EPOLL_SEP_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/eventpoll.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "compat.h"

/* Bits that are per-registration flags rather than event bits. */
#define SEP_PRIVATE_BITS \
	(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

/* The only bits allowed together with EPOLLEXCLUSIVE. */
#define SEP_EXCLUSIVE_OK_BITS \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | \
	 EPOLLEXCLUSIVE)

#define SEP_INOUT_BITS		(EPOLLIN | EPOLLOUT)

/* Maximum nesting of instance-in-instance links, as EP_MAX_NESTS. */
#define SEP_MAX_NESTS		4

/* maxevents upper bound, as EP_MAX_EVENTS. */
#define SEP_MAX_EVENTS		(INT_MAX / sizeof(struct epoll_event))

/* Bits of sep_instance.defer (watch.c, deferred poller wakeups). */
#define SEP_DEFER_PENDING	0
#define SEP_DEFER_URING		1

/* Value of sep_instance.ovflist and sep_item.ovf_next meaning "not active". */
#define SEP_UNACTIVE_PTR	((void *)-1L)

struct sep_instance;
struct sep_item;
struct sep_user;

/**
 * struct sep_pwq - one hook of an item on a watched file's wait queue
 * @wait:  the entry on @whead; its func is the wakeup callback
 * @whead: the queue head, or NULL once POLLFREE unhooked it (published with
 *         release semantics, read with acquire under RCU)
 * @item:  the registration this hook belongs to
 * @next:  next hook of the same item (a file may register several queues)
 */
struct sep_pwq {
	wait_queue_entry_t wait;
	wait_queue_head_t *whead;
	struct sep_item *item;
	struct sep_pwq *next;
};

/**
 * struct sep_item - one registration (one EPOLL_CTL_ADD)
 * @rbn:      node in &sep_instance.rbr; protected by &sep_instance.mtx
 * @rdllink:  node on &sep_instance.rdllist or on a scan's private list;
 *            "linked" (non-empty) means queued.  Protected by
 *            &sep_instance.lock.
 * @ovf_next: next item on &sep_instance.ovflist, SEP_UNACTIVE_PTR when not on
 *            it; protected by &sep_instance.lock
 * @deadlink: node on &sep_instance.dead once the watched file was released;
 *            protected by &sep_instance.lock
 * @fnode:    node in the global file index (items of one file share one
 *            hash entry); removed under sep_index_lock
 * @wnode:    node in the watched instance's &sep_instance.refs, if @file is
 *            a shadow instance; under sep_index_lock, read under RCU
 * @indexed:  @fnode is in the index; set before the item is inserted,
 *            cleared under sep_index_lock once the release handler or a
 *            removal took it out
 * @ep:       the owning instance
 * @file:     the watched file; no reference is held (see watch.c)
 * @fd:       the fd number given at ADD (the second half of the key)
 * @events:   interest mask with EPOLLERR|EPOLLHUP and the private bits;
 *            written under &sep_instance.mtx and &sep_instance.lock, read by
 *            the callback under &sep_instance.lock
 * @data:     user data; written under both locks
 * @pwqlist:  hooks on the file's wait queues; protected by
 *            &sep_instance.mtx until the item is unhooked
 * @nwait:    hooks created at ADD, -1 after an allocation failure
 * @pwq0:     the first hook, embedded: most files have one wait queue, so
 *            an ADD allocates once, from the item cache (watch.c), which
 *            is sized exactly and charged to the caller's memory cgroup
 * @pinned:   the item holds a reference on @file (no __fput hook)
 * @real_epoll: @file is a real (in-tree) epoll instance
 * @dying:    the watched file reached its final fput; set under
 *            &sep_instance.lock by the release handler
 * @orphan:   the instance let go of this item while its file was being
 *            released; the release handler unhooks and frees it, and drops
 *            the instance and module references the orphan holds.  Set
 *            (WRITE_ONCE) under sep_index_lock and &sep_instance.lock;
 *            the callback, which ignores wakeups of orphans, reads it
 *            under the latter, the watcher walks with READ_ONCE under RCU.
 * @uncharged: the registration was given back to the uid's watch count
 *            (at the final fput or at the removal, whichever came first);
 *            set with xchg()
 * @rcu:      deferred free
 */
struct sep_item {
	struct rb_node rbn;
	struct list_head rdllink;
	struct sep_item *ovf_next;
	struct list_head deadlink;
	struct rhlist_head fnode;
	struct hlist_node wnode;
	struct sep_instance *ep;
	struct file *file;
	int fd;
	__poll_t events;
	u64 data;
	struct sep_pwq *pwqlist;
	int nwait;
	struct sep_pwq pwq0;
	bool indexed;
	bool pinned;
	bool real_epoll;
	bool dying;
	bool orphan;
	bool uncharged;
	struct rcu_head rcu;
};

/**
 * struct sep_instance - one shadow epoll
 * @mtx:       see the Locking section above
 * @lock:      see the Locking section above
 * @seq:       written around the rdllist/ovflist switch, so that
 *             sep_events_available() never sees both empty while a scan is
 *             switching (the 6.12 "false negative" fix; unused on 6.1)
 * @rdllist:   the ready list, FIFO
 * @ovflist:   LIFO chain of items signalled during a scan; SEP_UNACTIVE_PTR
 *             when no scan runs, NULL when a scan runs and nothing arrived
 * @scan:      the private list of the running scan (for the ready dump), or
 *             NULL; protected by @lock
 * @rdlen:     items on @rdllist, and
 * @txlen:     items on @scan: changed together with those lists (under
 *             @lock, or in a scan step), so that the ready dump counts the
 *             entries it does not copy without walking them
 * @scan_busy: a scan step is in flight (scan.c); written by the scanner
 * @dumpers:   ready dumps in progress; a scan step seeing one takes @lock
 * @dead:      items whose file was released, reaped under @mtx
 * @wq:        tasks blocked in wait, all exclusive; manipulated under @lock
 * @poll_wait: tasks polling this instance (poll/select, outer epolls)
 * @rbr:       the interest set; protected by @mtx
 * @nitems:    number of registrations; protected by @mtx
 * @refs:      items (of any instance) that watch this instance, as the
 *             kernel's ep->refs: added and removed where they enter and
 *             leave the file index, under sep_index_lock; walked under RCU
 *             by the nesting checks; tested locklessly by ADD
 * @file:      the instance's own file
 * @user:      the creator's watch counter (max_user_watches)
 * @refcount:  the file holds one reference, each orphan item one
 * @nests:     lockdep subclass used while waking @poll_wait
 * @defer:     SEP_DEFER_* bits of a deferred poller wakeup (watch.c);
 *             atomic bit operations
 * @defer_hops: deferrals of the chain that queued the pending wakeup
 * @defer_node: on a CPU's deferred-wakeup list while SEP_DEFER_PENDING
 * @gen:       loop-check generation memo; written under sep_nested_mutex
 *             (WRITE_ONCE), read without it by sep_ctl() (READ_ONCE)
 * @loop_check_depth: memoised depth for @gen
 * @path_gen:  wakeup-path memo generation; protected by sep_nested_mutex
 * @path_depth: the depth the memo was computed at
 * @path_error: memoised result: -1 if the paths up are too many or long
 * @path_count: memoised count of the paths up, by length
 * @bp_usecs:  EPIOCSPARAMS busy_poll_usecs (stored only)
 * @bp_budget: EPIOCSPARAMS busy_poll_budget (stored only)
 * @bp_prefer: EPIOCSPARAMS prefer_busy_poll (stored only)
 * @adopted:   made by an adopted epoll_create (adopt.c); set before the
 *             file exists, never changed
 * @rcu:       deferred free (RCU readers walk the file index up to us)
 */
struct sep_instance {
	struct mutex mtx;		/* see "Locking" above */
	spinlock_t lock;		/* see "Locking" above */
	seqcount_spinlock_t seq;
	struct list_head rdllist;
	struct sep_item *ovflist;
	struct list_head *scan;
	unsigned long rdlen;
	unsigned long txlen;
	bool scan_busy;
	atomic_t dumpers;
	struct list_head dead;
	wait_queue_head_t wq;
	wait_queue_head_t poll_wait;
	struct rb_root_cached rbr;
	unsigned long nitems;
	struct hlist_head refs;
	struct file *file;
	struct sep_user *user;
	refcount_t refcount;
	u8 nests;
	unsigned long defer;
	u8 defer_hops;
	struct llist_node defer_node;
	u64 gen;
	int loop_check_depth;
	u64 path_gen;
	int path_depth;
	int path_error;
	int path_count[SEP_MAX_NESTS + 1];
	u32 bp_usecs;
	u16 bp_budget;
	u8 bp_prefer;
	bool adopted;
	struct rcu_head rcu;
};

static inline bool sep_is_linked(const struct sep_item *item)
{
	return !list_empty(&item->rdllink);
}

static inline bool sep_on_ovflist(const struct sep_item *item)
{
	return item->ovf_next != SEP_UNACTIVE_PTR;
}

static inline bool sep_is_scanning(const struct sep_instance *ep)
{
	return READ_ONCE(ep->ovflist) != SEP_UNACTIVE_PTR;
}

/*
 * Is @ep watched by any shadow instance?  The shadow half of the kernel's
 * "READ_ONCE(file->f_ep)" test in epoll_ctl(): lockless, and the ADD that
 * makes an instance watched holds the nesting mutex, as in the kernel.
 */
static inline bool sep_instance_watched(const struct sep_instance *ep)
{
	return !hlist_empty(&ep->refs);
}

/* An item whose ONESHOT fired keeps only its private bits: "disarmed". */
static inline bool sep_is_disarmed(__poll_t events)
{
	return !(events & ~SEP_PRIVATE_BITS);
}

/* instance.c: the instance's last reference frees it (after RCU). */
void sep_instance_free(struct sep_instance *ep);

static inline void sep_instance_get(struct sep_instance *ep)
{
	refcount_inc(&ep->refcount);
}

static inline void sep_instance_put(struct sep_instance *ep)
{
	if (refcount_dec_and_test(&ep->refcount))
		sep_instance_free(ep);
}

/* main.c */
extern const struct file_operations sep_fops;

static inline bool sep_is_shadow_file(const struct file *f)
{
	return f->f_op == &sep_fops;
}

#endif /* _SHADOW_EPOLL_SEP_H */
