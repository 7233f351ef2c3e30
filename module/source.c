// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: synthetic pollable sources, the test double's control plane.
 *
 * A source is an anon-inode file whose poll mask is whatever userspace sets
 * with SHADOW_EPOLL_IOC_SRC_SET; each change wakes the waiters with a key of
 * the caller's choosing (also 0, and keys outside any interest).  A source can
 * be armed to change another source (or itself) the next N times it is
 * re-polled, which fires events in the middle of an epoll scan at a
 * deterministic moment.  Sources are ordinary pollable files, so real epoll
 * and the shadow see exactly the same events.
 *
 * This file knows no user memory: ioctl.c decodes the source ioctls and owns
 * the file operations of a source file; the ones here take kernel structs.
 *
 * Locking: sep_source.lock (irq-safe, wakeups may come from anywhere)
 * protects @mask and the trigger.  It is never held across a wakeup.
 * Lifetime: the file holds one reference on its sep_source, an armed trigger
 * one on its target; a file's release disarms its trigger, so reference
 * cycles between sources cannot outlive their files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <kunit/visibility.h>

#include "source.h"

/**
 * struct sep_source - one synthetic source
 * @lock:       protects @mask, @trig_target, @trig_count, @trig_change
 * @mask:       what ->poll() reports
 * @wq:         waiters (epoll items, poll(2) callers)
 * @ref:        the file's reference plus an armed trigger's
 * @trig_target: source changed when this one is re-polled, or NULL
 * @trig_count: re-polls that still fire
 * @trig_change: the change applied to @trig_target
 */
struct sep_source {
	spinlock_t lock;		/* see the Locking note above */
	__poll_t mask;
	wait_queue_head_t wq;
	struct kref ref;
	struct sep_source *trig_target;
	u32 trig_count;
	struct shadow_epoll_source_change trig_change;
};

static void sep_source_free(struct kref *ref)
{
	kfree(container_of(ref, struct sep_source, ref));
}

/**
 * sep_source_put() - drop a reference to a source
 * @src: the source
 *
 * Context: any; does not sleep.
 */
void sep_source_put(struct sep_source *src)
{
	kref_put(&src->ref, sep_source_free);
}
EXPORT_SYMBOL_IF_KUNIT(sep_source_put);

/**
 * sep_source_apply() - SHADOW_EPOLL_IOC_SRC_SET: change the mask and wake
 * @src: the source
 * @c:   the change, already checked by the caller (ioctl.c)
 *
 * Context: any; takes @src->lock, wakes the waiters without it.
 * Return: the new mask.
 */
__poll_t sep_source_apply(struct sep_source *src,
			  const struct shadow_epoll_source_change *c)
{
	__poll_t mask = (__force __poll_t)c->mask;
	__poll_t key = (__force __poll_t)c->key;
	unsigned long flags;
	__poll_t now;

	spin_lock_irqsave(&src->lock, flags);
	/* Marked stores: poll reads @mask without the lock. */
	switch (c->op) {
	case SHADOW_EPOLL_SRC_OR:
		WRITE_ONCE(src->mask, src->mask | mask);
		break;
	case SHADOW_EPOLL_SRC_CLEAR:
		WRITE_ONCE(src->mask, src->mask & ~mask);
		break;
	default:
		WRITE_ONCE(src->mask, mask);
		break;
	}
	now = src->mask;
	spin_unlock_irqrestore(&src->lock, flags);

	if (c->op == SHADOW_EPOLL_SRC_POLLFREE) {
		/*
		 * Every epoll hook unhooks itself on POLLFREE.  Unlike
		 * wake_up_pollfree() we do not insist that the queue is empty
		 * afterwards: a poll(2) sleeper may still be on it, and the
		 * queue lives as long as the source, so that is harmless.
		 */
		wake_up_poll(&src->wq, EPOLLHUP | POLLFREE);
	} else if (!(c->flags & SHADOW_EPOLL_SRC_NOWAKE)) {
		if (c->flags & SHADOW_EPOLL_SRC_SYNC)
			__wake_up_sync_key(&src->wq, TASK_NORMAL,
					   poll_to_key(key));
		else
			wake_up_poll(&src->wq, key);
	}
	return now;
}
EXPORT_SYMBOL_IF_KUNIT(sep_source_apply);

/* A re-poll: fire the armed trigger once, outside our lock. */
static void sep_source_fire(struct sep_source *src)
{
	struct shadow_epoll_source_change c;
	struct sep_source *target = NULL;
	unsigned long flags;

	spin_lock_irqsave(&src->lock, flags);
	if (src->trig_target && src->trig_count) {
		target = src->trig_target;
		c = src->trig_change;
		kref_get(&target->ref);
		if (!--src->trig_count) {
			src->trig_target = NULL;
			/* The trigger's own reference; ours keeps it alive. */
			kref_put(&target->ref, sep_source_free);
		}
	}
	spin_unlock_irqrestore(&src->lock, flags);

	if (target) {
		sep_source_apply(target, &c);
		sep_source_put(target);
	}
}

/**
 * sep_source_poll() - ->poll() of a source file
 * @src:  the source
 * @file: its file
 * @pt:   the caller's poll table
 *
 * A re-poll (no queueing function) first fires the armed trigger.
 *
 * Return: the mask.
 */
__poll_t sep_source_poll(struct sep_source *src, struct file *file,
			 poll_table *pt)
{
	if (!pt || !pt->_qproc)
		sep_source_fire(src);
	poll_wait(file, &src->wq, pt);
	return READ_ONCE(src->mask);
}
EXPORT_SYMBOL_IF_KUNIT(sep_source_poll);

/**
 * sep_source_arm() - SHADOW_EPOLL_IOC_SRC_TRIGGER: replace the trigger
 * @src:    the source whose re-polls fire
 * @target: the source they change, or NULL to disarm
 * @count:  how many re-polls fire (0 disarms)
 * @c:      the change, already checked by the caller (NULL when disarming)
 *
 * The trigger takes its own reference on @target; the old target's
 * reference is dropped.
 *
 * Context: any; does not sleep.
 */
void sep_source_arm(struct sep_source *src, struct sep_source *target,
		    u32 count, const struct shadow_epoll_source_change *c)
{
	struct sep_source *old;
	unsigned long flags;

	if (target && count)
		kref_get(&target->ref);
	else
		target = NULL;

	spin_lock_irqsave(&src->lock, flags);
	old = src->trig_target;
	src->trig_target = target;
	src->trig_count = target ? count : 0;
	if (c)
		src->trig_change = *c;
	spin_unlock_irqrestore(&src->lock, flags);

	if (old)
		sep_source_put(old);
}
EXPORT_SYMBOL_IF_KUNIT(sep_source_arm);

/**
 * sep_source_release() - the source file's final release
 * @src: the source
 *
 * Disarms its trigger (so that reference cycles between sources end with
 * their files) and drops the file's reference.
 */
void sep_source_release(struct sep_source *src)
{
	sep_source_arm(src, NULL, 0, NULL);
	sep_source_put(src);
}
EXPORT_SYMBOL_IF_KUNIT(sep_source_release);

/**
 * sep_source_new() - SHADOW_EPOLL_IOC_SOURCE: a new source
 * @mask: the initial poll mask
 *
 * Charged to the caller's memory cgroup.
 *
 * Context: process; may sleep.
 * Return: the source with one reference (for its file), or NULL.
 */
struct sep_source *sep_source_new(__poll_t mask)
{
	struct sep_source *src;

	src = kzalloc(sizeof(*src), GFP_KERNEL_ACCOUNT);
	if (!src)
		return NULL;
	spin_lock_init(&src->lock);
	init_waitqueue_head(&src->wq);
	kref_init(&src->ref);
	src->mask = mask;
	return src;
}
EXPORT_SYMBOL_IF_KUNIT(sep_source_new);
