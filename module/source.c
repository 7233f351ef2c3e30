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
 * Source ioctls are decoded here: they concern only this file type and the
 * epoll-equivalent paths never see them.
 *
 * Locking: sep_source.lock (irq-safe, wakeups may come from anywhere)
 * protects @mask and the trigger.  It is never held across a wakeup.
 * Lifetime: the file holds one reference on its sep_source, an armed trigger
 * one on its target; a file's release disarms its trigger, so reference
 * cycles between sources cannot outlive their files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "../include/uapi/linux/shadow_epoll.h"
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

static const struct file_operations sep_source_fops;

static void sep_source_free(struct kref *ref)
{
	kfree(container_of(ref, struct sep_source, ref));
}

static void sep_source_put(struct sep_source *src)
{
	kref_put(&src->ref, sep_source_free);
}

static int sep_source_check_change(const struct shadow_epoll_source_change *c)
{
	if (c->op > SHADOW_EPOLL_SRC_POLLFREE)
		return -EINVAL;
	if ((c->flags & ~SHADOW_EPOLL_SRC_FLAGS) || c->__reserved)
		return -EINVAL;
	return 0;
}

/* Apply @c to @src and wake its waiters; returns the new mask. */
static __poll_t sep_source_apply(struct sep_source *src,
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

static __poll_t sep_source_poll(struct file *file, poll_table *pt)
{
	struct sep_source *src = file->private_data;

	if (!pt || !pt->_qproc)
		sep_source_fire(src);
	poll_wait(file, &src->wq, pt);
	return READ_ONCE(src->mask);
}

/* Replace the trigger; the old target's reference is dropped. */
static void sep_source_set_trigger(struct sep_source *src,
				   struct sep_source *target, u32 count,
				   const struct shadow_epoll_source_change *c)
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

static int sep_source_release(struct inode *inode, struct file *file)
{
	struct sep_source *src = file->private_data;

	sep_source_set_trigger(src, NULL, 0, NULL);
	sep_source_put(src);
	return 0;
}

static long sep_source_ioctl_set(struct sep_source *src,
				 const void __user *uarg)
{
	struct shadow_epoll_source_change c;
	int error;

	error = sep_copy_args(&c, sizeof(c), sizeof(c), uarg);
	if (error)
		return error;
	error = sep_source_check_change(&c);
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
	if (error)
		return error;
	if (t.__reserved)
		return -EINVAL;
	error = sep_source_check_change(&t.change);
	if (error)
		return error;
	if (!t.count) {
		sep_source_set_trigger(src, NULL, 0, NULL);
		return 0;
	}
	tfile = fget(t.target_fd);
	if (!tfile)
		return -EBADF;
	error = -EINVAL;
	if (tfile->f_op == &sep_source_fops) {
		sep_source_set_trigger(src, tfile->private_data, t.count,
				       &t.change);
		error = 0;
	}
	fput(tfile);
	return error;
}

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
	.poll		= sep_source_poll,
	.release	= sep_source_release,
	.unlocked_ioctl	= sep_source_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * sep_source_create() - SHADOW_EPOLL_IOC_SOURCE: a new source fd
 * @uarg: user pointer to struct shadow_epoll_source_args
 *
 * Return: the new fd or a negative errno.
 */
long sep_source_create(const void __user *uarg)
{
	struct shadow_epoll_source_args args;
	struct sep_source *src;
	int fd, error;

	error = sep_copy_args(&args, sizeof(args), sizeof(args), uarg);
	if (error)
		return error;
	if ((args.flags & ~O_CLOEXEC) || args.__reserved)
		return -EINVAL;

	src = kzalloc(sizeof(*src), GFP_KERNEL_ACCOUNT);
	if (!src)
		return -ENOMEM;
	spin_lock_init(&src->lock);
	init_waitqueue_head(&src->wq);
	kref_init(&src->ref);
	src->mask = (__force __poll_t)args.mask;

	fd = anon_inode_getfd("[shadow_epoll_source]", &sep_source_fops, src,
			      O_RDWR | (args.flags & O_CLOEXEC));
	if (fd < 0)
		sep_source_put(src);
	return fd;
}
