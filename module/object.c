// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: the module's objects: allocation, freeing and accounting.
 *
 * Instances and items are made and freed here, and only here: an item is
 * allocated by EPOLL_CTL_ADD and freed (after an RCU grace period) by its
 * removal or, for an orphan, by the final-fput handler, both through this
 * file.  Items and extra hooks come from their own caches, exactly sized
 * and charged to the memory cgroup of the task that registers
 * (SLAB_ACCOUNT), as the kernel's epitems and eppoll_entries are.
 *
 * Each instance counts its creator's registrations against
 * max_user_watches, per uid, as fs.epoll.max_user_watches does.  The
 * instance file type is recorded here so that every layer can recognise an
 * instance file (sep_is_shadow_file()).
 *
 * Locking: sep_users_lock protects the hash table of per-uid counters (the
 * counters themselves are atomic).  It is irq-safe everywhere: an
 * instance's last reference, which drops its uid's, may go in the
 * hard-irq work that defers poller wakeups (hook.c).  It nests inside
 * nothing of ours and is taken with no other lock held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include <kunit/visibility.h>

#include "object.h"

/* The file operations of instance files; set once at module load. */
const struct file_operations *sep_instance_fops __ro_after_init;

/*
 * Items and their extra hooks come from their own caches, exactly sized and
 * charged to the memory cgroup of the task that registers (SLAB_ACCOUNT), as
 * the kernel's epitems and eppoll_entries are.
 */
static struct kmem_cache *sep_item_cache;
static struct kmem_cache *sep_pwq_cache;

/**
 * struct sep_user - per-uid registration counter (max_user_watches)
 * @node:    in sep_users, under sep_users_lock
 * @uid:     the creator's real uid
 * @watches: registrations charged to this uid
 * @ref:     instances created by this uid
 */
struct sep_user {
	struct hlist_node node;
	kuid_t uid;
	atomic_long_t watches;
	refcount_t ref;
};

static DEFINE_HASHTABLE(sep_users, 6);
static DEFINE_SPINLOCK(sep_users_lock);

VISIBLE_IF_KUNIT long max_user_watches = -1;
EXPORT_SYMBOL_IF_KUNIT(max_user_watches);
module_param(max_user_watches, long, 0644);
MODULE_PARM_DESC(max_user_watches,
		 "Registrations per uid, as fs.epoll.max_user_watches (default: that sysctl's value at load)");

static struct sep_user *sep_user_get(void)
{
	kuid_t uid = current_uid();
	struct sep_user *u, *new;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;
	/* Irq-safe: the last put may come from an irq_work (hook.c). */
	spin_lock_irq(&sep_users_lock);
	hash_for_each_possible(sep_users, u, node, __kuid_val(uid)) {
		if (uid_eq(u->uid, uid) && refcount_inc_not_zero(&u->ref)) {
			spin_unlock_irq(&sep_users_lock);
			kfree(new);
			return u;
		}
	}
	new->uid = uid;
	atomic_long_set(&new->watches, 0);
	refcount_set(&new->ref, 1);
	hash_add(sep_users, &new->node, __kuid_val(uid));
	spin_unlock_irq(&sep_users_lock);
	return new;
}

static void sep_user_put(struct sep_user *u)
{
	unsigned long flags;

	spin_lock_irqsave(&sep_users_lock, flags);
	if (refcount_dec_and_test(&u->ref)) {
		hash_del(&u->node);
		kfree(u);
	}
	spin_unlock_irqrestore(&sep_users_lock, flags);
}

/**
 * sep_instance_init_lists() - initialise the locks, lists and trees
 * @ep: a zeroed instance
 *
 * Context: any; @ep is not yet visible to anyone else.
 */
void sep_instance_init_lists(struct sep_instance *ep)
{
	mutex_init(&ep->mtx);
	spin_lock_init(&ep->lock);
	seqcount_spinlock_init(&ep->seq, &ep->lock);
	INIT_LIST_HEAD(&ep->rdllist);
	INIT_LIST_HEAD(&ep->dead);
	INIT_HLIST_HEAD(&ep->refs);
	init_waitqueue_head(&ep->wq);
	init_waitqueue_head(&ep->poll_wait);
	ep->rbr = RB_ROOT_CACHED;
	ep->ovflist = SEP_UNACTIVE_PTR;
	ep->scan = NULL;
	ep->scan_busy = false;
	atomic_set(&ep->dumpers, 0);
}
EXPORT_SYMBOL_IF_KUNIT(sep_instance_init_lists);

/**
 * sep_instance_new() - a new, empty instance
 *
 * Charged to the caller's memory cgroup, like everything a user can make
 * the module allocate and keep (items, hooks, dump buffers).
 *
 * Context: process; may sleep.
 * Return: the instance with one reference, or NULL.
 */
struct sep_instance *sep_instance_new(void)
{
	struct sep_instance *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return NULL;
	ep->user = sep_user_get();
	if (!ep->user) {
		kfree(ep);
		return NULL;
	}
	sep_instance_init_lists(ep);
	refcount_set(&ep->refcount, 1);
	return ep;
}

/**
 * sep_instance_free() - free an instance whose last reference went
 * @ep: the instance
 *
 * Context: any (also the final-fput handler); does not sleep.
 */
void sep_instance_free(struct sep_instance *ep)
{
	sep_user_put(ep->user);
	kfree_rcu(ep, rcu);
}
EXPORT_SYMBOL_IF_KUNIT(sep_instance_free);

/* Negative until module init read the sysctl: no limit yet. */
static long sep_watch_limit(void)
{
	long limit = READ_ONCE(max_user_watches);

	return limit < 0 ? LONG_MAX : limit;
}

/**
 * sep_user_charge() - count one more registration against @ep's uid
 * @ep: the instance an item is being added to
 *
 * Context: any; lockless (the count is atomic, the limit is checked
 * first, as the kernel's percpu counter check).
 * Return: 0, or -ENOSPC at max_user_watches.
 */
int sep_user_charge(struct sep_instance *ep)
{
	if (atomic_long_read(&ep->user->watches) >= sep_watch_limit())
		return -ENOSPC;
	atomic_long_inc(&ep->user->watches);
	return 0;
}

/**
 * sep_user_uncharge() - undo sep_user_charge() for an item never added
 * @ep: the instance
 */
void sep_user_uncharge(struct sep_instance *ep)
{
	atomic_long_dec(&ep->user->watches);
}

/**
 * sep_item_uncharge() - give @item's registration back to its uid's count
 * @item: an item being removed, or whose file reached its final fput
 *
 * The count drops once per item, at the final fput of the watched file (the
 * kernel's eventpoll_release() removes the registration there) or at the
 * removal, whichever comes first, so a close() frees room for the next ADD
 * on any instance at once, not when the item is reaped.
 *
 * Context: any; does not sleep.
 */
void sep_item_uncharge(struct sep_item *item)
{
	if (!xchg(&item->uncharged, true))
		sep_user_uncharge(item->ep);
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

/**
 * sep_pwq_alloc() - an extra hook for an item whose file has several queues
 *
 * Context: process; may sleep.
 * Return: a zeroed hook or NULL.
 */
struct sep_pwq *sep_pwq_alloc(void)
{
	return kmem_cache_zalloc(sep_pwq_cache, GFP_KERNEL);
}

/**
 * sep_pwq_free() - free an extra hook, off its queue
 * @pwq: a hook from sep_pwq_alloc()
 */
void sep_pwq_free(struct sep_pwq *pwq)
{
	kmem_cache_free(sep_pwq_cache, pwq);
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

/* The default limit: the real fs.epoll.max_user_watches at load time. */
static long sep_read_sysctl_watches(void)
{
	char buf[32] = { };
	struct file *f;
	loff_t pos = 0;
	long val;
	ssize_t n;

	f = filp_open("/proc/sys/fs/epoll/max_user_watches", O_RDONLY, 0);
	if (IS_ERR(f))
		return LONG_MAX;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0 || kstrtol(strim(buf), 10, &val))
		return LONG_MAX;
	return val;
}

/**
 * sep_object_init() - module load: caches, the watch limit, instance files
 * @instance_fops: the file operations every instance file has (main.c)
 *
 * Instance files are recognised by their file operations
 * (sep_is_shadow_file()); they are defined with the module's entry points
 * at the top, and handed down here once, before any instance exists.
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int __init sep_object_init(const struct file_operations *instance_fops)
{
	sep_instance_fops = instance_fops;
	if (max_user_watches < 0)
		max_user_watches = sep_read_sysctl_watches();
	return sep_caches_init();
}

/**
 * sep_object_exit() - module exit: wait for the RCU frees, drop the caches
 *
 * Context: module exit; no instance, item or deferred wakeup is left.
 */
void sep_object_exit(void)
{
	rcu_barrier();
	sep_caches_destroy();
}
