// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: the file index and the watched files' lifetime.
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
 * pays one hash probe.  The nesting checks (nest.c) walk it too.
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
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/spinlock.h>

#include <kunit/visibility.h>

#include "fileindex.h"
#include "hook.h"
#include "object.h"

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

static struct rhltable sep_index;
static DEFINE_SPINLOCK(sep_index_lock);	/* see "Locking" above */
/* The __fput hook is installed (or KUnit drives the index by hand). */
VISIBLE_IF_KUNIT bool sep_kprobe_active;
EXPORT_SYMBOL_IF_KUNIT(sep_kprobe_active);

/**
 * sep_index_lookup() - the items watching @file
 * @file: a file
 *
 * Context: caller holds rcu_read_lock().
 * Return: the first entry of @file's list (walk it with
 * rhl_for_each_entry_rcu() on &sep_item.fnode), or NULL.
 */
struct rhlist_head *sep_index_lookup(struct file *file)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "index lookup outside RCU");
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

/* Install the final-fput hook; without it items pin their files. */
static void sep_kprobe_init(void)
{
	int ret = register_kprobe(&sep_fput_probe);

	if (ret) {
		pr_warn("no kprobe on __fput (%d): watched files are pinned\n",
			ret);
		return;
	}
	WRITE_ONCE(sep_kprobe_active, true);
}

static void sep_kprobe_exit(void)
{
	if (sep_lifetime_tracked())
		unregister_kprobe(&sep_fput_probe);
}
#else
static void sep_kprobe_init(void)
{
}

static void sep_kprobe_exit(void)
{
}
#endif

/**
 * sep_index_init() - set up the file index and install the final-fput hook
 *
 * Return: 0, or -ENOMEM (falls back to pinning files when kprobes are
 * unavailable).
 */
int __init sep_index_init(void)
{
	int ret = rhltable_init(&sep_index, &sep_index_params);

	if (ret)
		return ret;
	sep_kprobe_init();
	return 0;
}

/**
 * sep_index_exit() - remove the final-fput hook and the file index
 *
 * No item is left: instances and orphans hold the module.  A final fput
 * still pending elsewhere (task work, delayed fput) concerns no item.
 *
 * Context: module exit; no instance exists any more.
 */
void sep_index_exit(void)
{
	sep_kprobe_exit();
	sep_index_destroy();
}
