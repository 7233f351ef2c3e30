// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll: instances inside instances.
 *
 * An EPOLL_CTL_ADD that may change how instances nest (the target is an
 * instance or a real epoll, or the instance is itself watched or polled by
 * a real epoll) runs a full check, as the kernel's epoll_ctl() does under
 * epnested_mutex: no loop, no chain deeper than SEP_MAX_NESTS, and no file
 * with more wakeup paths up to a root than sep_path_limits[] allows.  The
 * walks down follow the interest sets; the walks up follow the file index
 * (fileindex.c) and each instance's @refs.
 *
 * Locking: sep_nested_mutex serialises the full checks and protects
 * sep_loop_gen, sep_inserting_into, sep_path_gen and every instance's
 * @gen, @loop_check_depth and @path_* memos (@gen is also read without it,
 * by sep_nest_being_checked()).  It is taken before any instance mutex;
 * the walk down takes instance mutexes inside it, nested by depth.  Every
 * function here that relies on it asserts it.  The walks up run under RCU
 * only: items and instances are RCU-freed, and no item can be added while
 * the mutex is held by the walker (a concurrent removal or final fput only
 * marks items, which the walks skip).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/hash.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "fileindex.h"
#include "nest.h"
#include "object.h"

/* Wakeup-path limits per nesting depth, as the kernel's path_limits[]. */
static const int sep_path_limits[SEP_MAX_NESTS + 1] = {
	1000, 500, 100, 50, 10
};

static DEFINE_MUTEX(sep_nested_mutex);

/*
 * Starts at 1: a fresh instance (gen 0) is not "being checked".  Written
 * under sep_nested_mutex with WRITE_ONCE(), as is every instance's @gen:
 * sep_ctl() compares the two without the mutex.
 */
static u64 sep_loop_gen = 1;
static struct sep_instance *sep_inserting_into;
/* Starts at 1: a fresh instance (path_gen 0) has no memoised paths. */
static u64 sep_path_gen = 1;

/*
 * sep_watchers_walk() - call @fn for each live item watching @file
 * @file: a file
 * @fn:   called under rcu_read_lock(); must not sleep
 * @ctx:  passed to @fn
 *
 * Context: caller holds sep_nested_mutex (items cannot be added meanwhile).
 */
static void sep_watchers_walk(struct file *file,
			      void (*fn)(struct sep_item *item, void *ctx),
			      void *ctx)
{
	struct rhlist_head *list, *pos;
	struct sep_item *item;

	lockdep_assert_held(&sep_nested_mutex);

	rcu_read_lock();
	list = sep_index_lookup(file);
	rhl_for_each_entry_rcu(item, pos, list, fnode) {
		if (!READ_ONCE(item->orphan) && !READ_ONCE(item->dying))
			fn(item, ctx);
	}
	rcu_read_unlock();
}

/*
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
static void
sep_instance_watchers_walk(struct sep_instance *ep,
			   void (*fn)(struct sep_item *item, void *ctx),
			   void *ctx)
{
	struct sep_item *item;

	lockdep_assert_held(&sep_nested_mutex);

	rcu_read_lock();
	hlist_for_each_entry_rcu(item, &ep->refs, wnode) {
		if (!READ_ONCE(item->orphan) && !READ_ONCE(item->dying))
			fn(item, ctx);
	}
	rcu_read_unlock();
}

/*
 * sep_instance_has_watchers() - is @ep watched by a live item?
 * @ep: an instance (the caller's RCU section or a reference keeps it)
 *
 * Unlike sep_instance_watched(), items handed to the final-fput handler
 * (orphans) do not count, as in sep_file_is_watched().
 *
 * Return: true if an item that is not an orphan watches @ep.
 */
static bool sep_instance_has_watchers(struct sep_instance *ep)
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

#define SEP_TFILES_MIN_BITS	6U
#define SEP_TFILES_MAX_BITS	30U

/*
 * The slot holding @file, or the empty slot where it belongs.  The page of
 * the file is hashed, the offset in the page kept: the files of one page
 * (which the interest set's order brings together) land in one stretch of
 * the table, so filling it touches one table page per file page, not one
 * per file.
 */
static struct file **sep_tfiles_slot(struct file **slots, unsigned int bits,
				     struct file *file)
{
	unsigned long addr = (unsigned long)file;
	unsigned int mask = (1U << bits) - 1;
	unsigned int i;

	i = (hash_long(addr >> PAGE_SHIFT, bits) ^
	     ((addr & ~PAGE_MASK) / L1_CACHE_BYTES)) & mask;

	while (slots[i] && slots[i] != file)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Can a table of 2^@bits slots take @n files? */
static bool sep_tfiles_fits(unsigned int bits, unsigned long n)
{
	return n <= (1UL << bits) / 4 * 3;
}

/* Resize the hash table to 2^@bits slots and rehash. */
static int sep_tfiles_rehash(struct sep_tfiles *tf, unsigned int bits)
{
	struct file **slots;
	unsigned int i;

	slots = kvcalloc(1U << bits, sizeof(*slots),
			 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < tf->n; i++)
		*sep_tfiles_slot(slots, bits, tf->files[i]) = tf->files[i];
	kvfree(tf->slots);
	tf->slots = slots;
	tf->bits = bits;
	return 0;
}

/* Give the ordered array room for @want files. */
static int sep_tfiles_grow(struct sep_tfiles *tf, unsigned long want)
{
	unsigned long cap = max3(want, 2UL * tf->cap, 16UL);
	struct file **files;

	files = kvmalloc_array(cap, sizeof(*files),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!files)
		return -ENOMEM;
	if (tf->n)
		memcpy(files, tf->files, tf->n * sizeof(*files));
	kvfree(tf->files);
	tf->files = files;
	tf->cap = cap;
	return 0;
}

/*
 * Make room for @more files beyond those in the set, in one resize (an
 * instance's walk reserves its item count, so a big set is rehashed once
 * rather than at every doubling).
 */
static int sep_tfiles_reserve(struct sep_tfiles *tf, unsigned long more)
{
	unsigned long want = tf->n + more;
	unsigned int bits = max(tf->bits, SEP_TFILES_MIN_BITS);
	int error;

	if (!tf->slots || !sep_tfiles_fits(tf->bits, want)) {
		while (!sep_tfiles_fits(bits, want) &&
		       bits < SEP_TFILES_MAX_BITS)
			bits++;
		if (!sep_tfiles_fits(bits, want))
			return -ENOMEM;
		error = sep_tfiles_rehash(tf, bits);
		if (error)
			return error;
	}
	if (want > tf->cap)
		return sep_tfiles_grow(tf, want);
	return 0;
}

/*
 * Add @file to the set unless it is there; the caller's reference on it
 * passes to the set (or is dropped if the file was there already).
 */
static void sep_tfiles_take(struct sep_tfiles *tf, struct file *file)
{
	struct file **slot;

	if (tf->error)
		goto drop;
	if (tf->slots) {
		slot = sep_tfiles_slot(tf->slots, tf->bits, file);
		if (*slot)
			goto drop;
	}
	tf->error = sep_tfiles_reserve(tf, 1);
	if (tf->error)
		goto drop;
	*sep_tfiles_slot(tf->slots, tf->bits, file) = file;
	tf->files[tf->n++] = file;
	return;
drop:
	fput(file);
}

/* Add @file, pinned by the caller, unless it is there. */
static void sep_tfiles_add(struct sep_tfiles *tf, struct file *file)
{
	get_file(file);
	sep_tfiles_take(tf, file);
}

/*
 * Unpin every file and free the set.  Context: process, after the ADD
 * dropped its mutexes.
 */
static void sep_tfiles_release(struct sep_tfiles *tf)
{
	unsigned int i;

	for (i = 0; i < tf->n; i++) {
		fput(tf->files[i]);
		cond_resched();
	}
	kvfree(tf->files);
	kvfree(tf->slots);
	memset(tf, 0, sizeof(*tf));
}

/* How deep below @ep do instances nest; reaching the target is a loop. */
static int sep_loop_check_proc(struct sep_instance *ep, int depth,
			       struct sep_tfiles *tf)
{
	struct sep_instance *child;
	struct sep_item *item;
	struct rb_node *rbp;
	struct file *file;
	int result = 0;

	lockdep_assert_held(&sep_nested_mutex);

	if (ep->gen == sep_loop_gen)
		return ep->loop_check_depth;

	mutex_lock_nested(&ep->mtx, depth + 1);
	WRITE_ONCE(ep->gen, sep_loop_gen);
	/* An optimisation only: on failure the set grows as it fills. */
	sep_tfiles_reserve(tf, ep->nitems);
	for (rbp = rb_first_cached(&ep->rbr); rbp; rbp = rb_next(rbp)) {
		item = rb_entry(rbp, struct sep_item, rbn);
		/* Pinned: a file in its final fput is skipped, as gone. */
		file = sep_item_fget(item);
		if (!file)
			continue;
		if (!sep_is_shadow_file(file)) {
			sep_tfiles_take(tf, file);	/* takes our pin */
			cond_resched();
			continue;
		}
		child = file->private_data;
		if (child == sep_inserting_into || depth > SEP_MAX_NESTS)
			result = SEP_MAX_NESTS + 1;
		else
			result = max(result,
				     sep_loop_check_proc(child, depth + 1, tf) + 1);
		fput(file);
		if (result > SEP_MAX_NESTS)
			break;
		cond_resched();	/* under mutexes only: may sleep */
	}
	ep->loop_check_depth = result;
	mutex_unlock(&ep->mtx);
	return result;
}

struct sep_up_ctx {
	int depth;
	int result;
};

static int sep_upwards_depth(struct sep_instance *ep, int depth);

static void sep_upwards_one(struct sep_item *item, void *data)
{
	struct sep_up_ctx *c = data;

	c->result = max(c->result,
			sep_upwards_depth(item->ep, c->depth + 1) + 1);
}

/* How many instances (transitively) watch @ep, at most. */
static int sep_upwards_depth(struct sep_instance *ep, int depth)
{
	struct sep_up_ctx c = { .depth = depth, .result = 0 };

	lockdep_assert_held(&sep_nested_mutex);

	if (ep->gen == sep_loop_gen)
		return ep->loop_check_depth;
	if (depth <= SEP_MAX_NESTS + 1)
		sep_instance_watchers_walk(ep, sep_upwards_one, &c);
	else
		c.result = SEP_MAX_NESTS + 1;
	WRITE_ONCE(ep->gen, sep_loop_gen);
	ep->loop_check_depth = c.result;
	return c.result;
}

/* ELOOP check for adding instance @to into @ep. */
static int sep_loop_check(struct sep_instance *ep, struct sep_instance *to,
			  struct sep_tfiles *tf)
{
	int down, up;

	lockdep_assert_held(&sep_nested_mutex);

	sep_inserting_into = ep;
	down = sep_loop_check_proc(to, 0, tf);
	if (down > SEP_MAX_NESTS)
		return -ELOOP;
	up = sep_upwards_depth(ep, 0);
	return down + 1 + up > SEP_MAX_NESTS ? -ELOOP : 0;
}

/*
 * The wakeup-path check counts, for each listed file, the paths up to a
 * root instance by length, against sep_path_limits[].  What lies above an
 * instance is the same for every file below it, so each instance's counts
 * are computed once per check and depth (memoised in the instance under
 * the check's sep_path_gen) and summed per file: a nested ADD of an
 * instance holding n files costs O(n), not n walks up.  A sum is capped
 * at its limit + 1; any sum over its limit, or a watched instance deeper
 * than SEP_MAX_NESTS, fails, as a walk counting one path at a time would.
 * Protected by sep_nested_mutex, like sep_path_gen.
 */
struct sep_path_ctx {
	int depth;
	int error;
	int count[SEP_MAX_NESTS + 1];
};

/* @sum += @add, capped; -1 if a length goes over its limit. */
static int sep_path_add(int *sum, const int *add)
{
	int i, error = 0;

	for (i = 0; i <= SEP_MAX_NESTS; i++) {
		sum[i] = min(sum[i] + add[i], sep_path_limits[i] + 1);
		if (sum[i] > sep_path_limits[i])
			error = -1;
	}
	return error;
}

static void sep_path_one(struct sep_item *item, void *data);

/*
 * The wakeup paths up from @ep, which an item at @depth - 1 watches: their
 * counts by length go to @ep->path_count.  Returns -1 if they are too many
 * or too long.
 */
static int sep_reverse_path_ep(struct sep_instance *ep, int depth)
{
	struct sep_path_ctx c = { .depth = depth };

	lockdep_assert_held(&sep_nested_mutex);

	if (ep->path_gen == sep_path_gen && ep->path_depth == depth)
		return ep->path_error;
	if (!sep_instance_has_watchers(ep)) {
		/* A root: one wakeup path of this length. */
		if (depth > 1)
			c.count[depth - 1] = 1;
	} else if (depth > SEP_MAX_NESTS) {
		c.error = -1;
	} else {
		sep_instance_watchers_walk(ep, sep_path_one, &c);
	}
	memcpy(ep->path_count, c.count, sizeof(c.count));
	ep->path_error = c.error;
	ep->path_depth = depth;
	ep->path_gen = sep_path_gen;
	return c.error;
}

/* One watcher of what @data describes: add the paths up from it. */
static void sep_path_one(struct sep_item *item, void *data)
{
	struct sep_path_ctx *c = data;
	struct sep_instance *up = item->ep;

	if (c->error)
		return;
	c->error = sep_reverse_path_ep(up, c->depth + 1);
	if (!c->error)
		c->error = sep_path_add(c->count, up->path_count);
}

/* Top level: the paths up from @file, pinned by the ADD that checks it. */
static int sep_reverse_path_proc(struct file *file)
{
	struct sep_path_ctx c = { .depth = 0 };

	sep_watchers_walk(file, sep_path_one, &c);
	return c.error;
}

/*
 * Too many wakeup paths through any of the listed files?  Each file is
 * checked on its own, in the order listed (the order does not matter).
 * Context: under sep_nested_mutex and the instance mutex; may sleep
 * between files (each walk up is an RCU section of its own).
 */
static int sep_reverse_path_check(struct sep_tfiles *tf)
{
	unsigned int i;

	lockdep_assert_held(&sep_nested_mutex);

	sep_path_gen++;
	for (i = 0; i < tf->n; i++) {
		if (sep_reverse_path_proc(tf->files[i]))
			return -EINVAL;
		cond_resched();
	}
	return 0;
}

/**
 * sep_nest_being_checked() - is @ep part of the nesting check running now?
 * @ep: an instance
 *
 * Lockless: the generations are written with WRITE_ONCE() under
 * sep_nested_mutex.  An ADD to an instance the running check has visited
 * must wait for it (as the kernel's "ep->gen == loop_check_gen" test).
 *
 * Return: true if @ep was visited by the current check.
 */
bool sep_nest_being_checked(struct sep_instance *ep)
{
	return READ_ONCE(ep->gen) == READ_ONCE(sep_loop_gen);
}

/**
 * sep_nest_begin() - start the full check of an ADD (sep_nested_mutex)
 * @ep:    the instance being added to (its mutex not held)
 * @tfile: the target file, pinned by the caller
 * @tf:    an empty set of files, filled by the checks
 *
 * Takes sep_nested_mutex and opens a new check generation; if the target
 * is an instance, checks that adding it makes no loop and no chain deeper
 * than SEP_MAX_NESTS.  Call sep_nest_end() afterwards, whatever this
 * returns.
 *
 * Context: process; may sleep.  Takes the instance mutexes below @tfile.
 * Return: 0 or -ELOOP.
 */
int sep_nest_begin(struct sep_instance *ep, struct file *tfile,
		   struct sep_tfiles *tf)
{
	mutex_lock(&sep_nested_mutex);
	WRITE_ONCE(sep_loop_gen, sep_loop_gen + 1);
	if (!sep_is_shadow_file(tfile))
		return 0;
	return sep_loop_check(ep, tfile->private_data, tf);
}

/**
 * sep_nest_end() - close the check sep_nest_begin() started
 * @tf: its set of files, unpinned and freed here
 *
 * Context: process; caller holds sep_nested_mutex, and no instance mutex.
 */
void sep_nest_end(struct sep_tfiles *tf)
{
	lockdep_assert_held(&sep_nested_mutex);

	WRITE_ONCE(sep_loop_gen, sep_loop_gen + 1);
	mutex_unlock(&sep_nested_mutex);
	sep_tfiles_release(tf);
}

/**
 * sep_nest_check_paths() - the wakeup-path check of a checked ADD
 * @tf:      the set of sep_nest_begin()
 * @tfile:   the target, now registered
 * @is_epoll: @tfile is a real epoll or an instance (not a path end)
 *
 * Context: process; caller holds sep_nested_mutex and the instance's
 * mutex.
 * Return: 0, -ENOMEM if the set could not grow, or -EINVAL if @tfile (or a
 * file met below it) would have too many wakeup paths.
 */
int sep_nest_check_paths(struct sep_tfiles *tf, struct file *tfile,
			 bool is_epoll)
{
	lockdep_assert_held(&sep_nested_mutex);

	if (!is_epoll)
		sep_tfiles_add(tf, tfile);
	if (tf->error)
		return tf->error;
	return sep_reverse_path_check(tf);
}
