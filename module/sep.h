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
 * Every lock of the module, outermost first.  "Nests inside X" means it may
 * be taken while X is held, never the other way round.
 *
 * 1) sep_nested_mutex (nest.c): serialises the full checks of a nested
 *    EPOLL_CTL_ADD (loop, depth, wakeup paths) and protects their
 *    generations and per-instance memos (@gen, @loop_check_depth, @path_*).
 *    Taken before any instance mutex.
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
 *    sep_probe_mutex (instance.c) serialises the one-time probe of the
 *    kernel's anonymous inode; it is taken with nothing else held.
 * 3) sep_index_lock (fileindex.c): a spinlock serialising removals from the
 *    file index, @orphan, and every change of an instance's @refs.  It
 *    nests inside sep_instance.mtx and outside sep_instance.lock and the
 *    watched files' wait-queue locks; it is never taken in IRQ context.
 *    The index's own bucket locks nest inside it.
 * 4) A watched file's wait-queue lock: held by whoever wakes the queue, so
 *    the wakeup callback (hook.c) runs inside it, possibly in hard IRQ
 *    context.
 * 5) sep_instance.lock: an IRQ-safe spinlock for the ready list, the
 *    overflow list, the scan pointer, the list lengths, the waiter queue
 *    @wq and the dead list; fields of each item and instance say below
 *    which of them it guards.  It nests inside the wait-queue locks (the
 *    callback takes it), hence irqsave.  Inside a scan, the scanner's
 *    per-item steps are ordered against the ready dump by the flags
 *    @scan_busy/@dumpers instead (readylist.c, "Scan steps"): a field
 *    "written under @lock or in a scan step" is written either holding
 *    @lock or by the scanner (holding @mtx) in such a step.
 * 6) sep_instance.poll_wait's lock: taken to wake an instance's pollers,
 *    with no sep_instance.lock held; outer instances' callbacks run inside
 *    it, so instances' poll_wait locks nest by depth (lockdep subclass
 *    @nests).  A chain never passes from a real epoll into an instance
 *    synchronously (hook.c, "Wakeups through real epolls").
 *
 * Leaf locks, taken with none of the above held and taking nothing inside:
 * sep_users_lock (object.c), the per-uid counters' hash table, irq-safe
 * everywhere (spin_lock_irq() to add, spin_lock_irqsave() to drop: an
 * instance's last reference may be dropped in the hard-irq work of hook.c);
 * sep_source.lock (source.c), a synthetic source's mask and trigger,
 * irq-safe, never held across a wakeup.
 *
 * sep_adopt_mutex (adopt.c), beside the above: the writers of the scope
 * list, the count of scopes and adopted instances, and the registration of
 * the system-call kprobes.  Process context only, taken with none of the
 * module's other locks held (the ADOPT ioctl, an adopted epoll_create
 * before its instance exists, the release of a scope file, the release of
 * an adopted instance after sep_instance_release()); the kernel's
 * kprobe_mutex nests inside it (register_kprobes(), unregister_kprobes()).
 * The kprobe pre-handler reads the scope list under RCU only.
 *
 * Lockless parts: items and instances are freed after an RCU grace period;
 * the file index is read under RCU; @events is read by the callback with
 * READ_ONCE (see sep_set_event() for the ordering).
 */
#ifndef _SHADOW_EPOLL_SEP_H
#define _SHADOW_EPOLL_SEP_H

#include <linux/atomic.h>
#include <linux/bits.h>
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

/* Bits of sep_instance.defer (hook.c, deferred poller wakeups). */
#define SEP_DEFER_PENDING	0
#define SEP_DEFER_URING		1

/*
 * Flags of a dumped entry (sep_ready_walk(), sep_interest_walk()) and of a
 * whole ready dump.  The values are the uapi ones (SHADOW_EPOLL_ENTRY_*,
 * SHADOW_EPOLL_DUMP_*); ioctl.c checks that at build time.
 */
#define SEP_ENTRY_READY		BIT(0)	/* on the ready list */
#define SEP_ENTRY_SCAN		BIT(1)	/* on a running scan's private list */
#define SEP_ENTRY_OVFLIST	BIT(2)	/* on the overflow list */
#define SEP_ENTRY_DYING		BIT(3)	/* its file is in its final fput */
#define SEP_DUMP_SCANNING	BIT(0)	/* a scan is running */

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
 *            "linked" (non-empty) means queued.  Written under
 *            &sep_instance.lock or in a scan step.
 * @ovf_next: next item on &sep_instance.ovflist, SEP_UNACTIVE_PTR when not on
 *            it; protected by &sep_instance.lock
 * @deadlink: node on &sep_instance.dead once the watched file was released;
 *            protected by &sep_instance.lock
 * @fnode:    node in the global file index (items of one file share one
 *            hash entry); inserted under the index's bucket locks, removed
 *            under sep_index_lock as well
 * @wnode:    node in the watched instance's &sep_instance.refs, if @file is
 *            a shadow instance; under sep_index_lock, read under RCU
 * @indexed:  @fnode is in the index; set before the item is inserted,
 *            cleared under sep_index_lock once the release handler or a
 *            removal took it out
 * @ep:       the owning instance; constant
 * @file:     the watched file; constant; no reference is held (see
 *            fileindex.c) unless @pinned
 * @fd:       the fd number given at ADD (the second half of the key);
 *            constant
 * @events:   interest mask with EPOLLERR|EPOLLHUP and the private bits.
 *            Written (WRITE_ONCE) under &sep_instance.mtx, and under
 *            &sep_instance.lock or in a scan step: by MOD
 *            (sep_set_event()) and by a delivery disarming ONESHOT
 *            (sep_settle()).  The ready dump reads it under the lock; the
 *            callback reads it with READ_ONCE, ordered by the barrier of
 *            sep_set_event()
 * @data:     user data; written by MOD like @events, read by the scanner
 *            (under &sep_instance.mtx) and by the dumps
 * @pwqlist:  hooks on the file's wait queues; written at ADD under
 *            &sep_instance.mtx, then only by the one who unhooks the item
 *            (sep_release_begin() decides who)
 * @nwait:    hooks created at ADD, -1 after an allocation failure; under
 *            &sep_instance.mtx
 * @pwq0:     the first hook, embedded: most files have one wait queue, so
 *            an ADD allocates once, from the item cache (object.c), which
 *            is sized exactly and charged to the caller's memory cgroup
 * @pinned:   the item holds a reference on @file (no __fput hook);
 *            constant once indexed
 * @real_epoll: @file is a real (in-tree) epoll instance; constant
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
 * @seq:       written around the rdllist/ovflist switch, under @lock, so
 *             that sep_events_available() never sees both empty while a
 *             scan is switching (the 6.12 "false negative" fix; unused on
 *             6.1)
 * @rdllist:   the ready list, FIFO; written under @lock or in a scan step,
 *             tested for emptiness locklessly (sep_events_available())
 * @ovflist:   LIFO chain of items signalled during a scan; SEP_UNACTIVE_PTR
 *             when no scan runs, NULL when a scan runs and nothing arrived.
 *             Written under @lock (WRITE_ONCE); sep_is_scanning() reads it
 *             locklessly
 * @scan:      the private list of the running scan (for the ready dump), or
 *             NULL; protected by @lock
 * @rdlen:     items on @rdllist, and
 * @txlen:     items on @scan: changed together with those lists (under
 *             @lock, or in a scan step), so that the ready dump counts the
 *             entries it does not copy without walking them
 * @scan_busy: a scan step is in flight (readylist.c); written by the
 *             scanner with release semantics, read by the dump
 * @dumpers:   ready dumps in progress (atomic); a scan step seeing one
 *             takes @lock
 * @dead:      items whose file was released; linked under @lock by the
 *             final-fput handler, unlinked under @lock and @mtx
 * @wq:        tasks blocked in wait, all exclusive; manipulated under @lock
 * @poll_wait: tasks polling this instance (poll/select, outer epolls)
 * @rbr:       the interest set; protected by @mtx
 * @nitems:    number of registrations; protected by @mtx
 * @refs:      items (of any instance) that watch this instance, as the
 *             kernel's ep->refs: added and removed where they enter and
 *             leave the file index, under sep_index_lock; walked under RCU
 *             by the nesting checks; tested locklessly by ADD
 * @file:      the instance's own file; set before the instance is visible
 * @user:      the creator's watch counter (max_user_watches); constant
 * @refcount:  the file holds one reference, each orphan item one, a
 *             pending deferred wakeup one
 * @nests:     lockdep subclass used while waking @poll_wait; written under
 *             @poll_wait's lock, read without it as a hint only
 * @defer:     SEP_DEFER_* bits of a deferred poller wakeup (hook.c);
 *             atomic bit operations
 * @defer_hops: deferrals of the chain that queued the pending wakeup;
 *             WRITE_ONCE/READ_ONCE, ordered by the @defer bit operations
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
 * @bp_prefer: EPIOCSPARAMS prefer_busy_poll (stored only); the three take
 *             no lock, as the kernel's: each is one WRITE_ONCE/READ_ONCE,
 *             and a concurrent set may be seen half applied
 * @adopted:   made by an adopted epoll_create (adopt.c); takes no lock:
 *             set before the file exists, never changed, read with
 *             READ_ONCE by adopt.c's kprobe pre-handler under RCU
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

#endif /* _SHADOW_EPOLL_SEP_H */
