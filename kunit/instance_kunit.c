// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: the instance layer with real files.
 *
 * Suites shadow_epoll_ctl, shadow_epoll_lifetime and shadow_epoll_nesting
 * drive instance.c, nest.c and fileindex.c the way the ioctl layer does, on real
 * pollable files: a tiny anon-inode file type whose poll mask the test sets
 * and whose wait queue it wakes (a kernel-side "source"), and instance files
 * made with sep_instance_getfile().  Expected results come from
 * docs/epoll-semantics.md §2.6, §4.2, §6 and §7.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/eventpoll.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <kunit/test.h>

#include "../module/fileindex.h"
#include "../module/instance.h"
#include "../module/object.h"
#include "../module/readylist.h"

#define SEPI_MAX_FILES	8
#define SEPI_MAX_OUT	16

struct sepi_src {
	wait_queue_head_t wq;
	__poll_t mask;
};

static __poll_t sepi_src_poll(struct file *file, poll_table *pt)
{
	struct sepi_src *src = file->private_data;

	poll_wait(file, &src->wq, pt);
	return READ_ONCE(src->mask);
}

static const struct file_operations sepi_src_fops = {
	.owner	= THIS_MODULE,
	.poll	= sepi_src_poll,
};

/**
 * struct sepi_fix - per-test world
 * @src:    source state, one per file
 * @file:   watched files (test reference)
 * @ep:     instance under test
 * @epfile: its file
 * @out:    events copied by the last wait
 * @nout:   copies in the last wait
 * @fault:  slot whose copy fails, or -1
 * @saved_active: sep_kprobe_active before the test
 */
struct sepi_fix {
	struct sepi_src src[SEPI_MAX_FILES];
	struct file *file[SEPI_MAX_FILES];
	struct sep_instance *ep;
	struct file *epfile;
	struct epoll_event out[SEPI_MAX_OUT];
	int nout;
	int fault;
	bool saved_active;
};

static struct file *sepi_new_instance(struct kunit *test)
{
	struct sep_instance *ep = sep_instance_alloc();
	struct file *file;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ep);
	file = sep_instance_getfile(ep, 0);
	if (IS_ERR(file))
		sep_instance_put(ep);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	return file;
}

static int sepi_init(struct kunit *test)
{
	struct sepi_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	for (i = 0; i < SEPI_MAX_FILES; i++) {
		init_waitqueue_head(&f->src[i].wq);
		f->file[i] = anon_inode_getfile("[sepi]", &sepi_src_fops,
						&f->src[i], O_RDWR);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->file[i]);
	}
	f->epfile = sepi_new_instance(test);
	f->ep = f->epfile->private_data;
	f->fault = -1;
	test->priv = f;
	return 0;
}

static void sepi_exit(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	int i;

	/* The instance first: it may reference the files. */
	__fput_sync(f->epfile);
	for (i = 0; i < SEPI_MAX_FILES; i++)
		if (f->file[i])
			__fput_sync(f->file[i]);
}

/* Set file i's mask and wake its waiters with @key. */
static void sepi_raise(struct sepi_fix *f, int i, __poll_t mask, __poll_t key)
{
	WRITE_ONCE(f->src[i].mask, mask);
	wake_up_poll(&f->src[i].wq, key);
}

static int sepi_ctl(struct sepi_fix *f, int op, int i, __poll_t events)
{
	struct epoll_event ev = { .events = events, .data = 0x100 + i };

	return sep_ctl(f->ep, f->epfile, op, f->file[i], 10 + i, &ev);
}

static int sepi_copy(void *ctx, int idx, __poll_t revents, u64 data)
{
	struct sepi_fix *f = ctx;

	if (idx == f->fault || idx >= SEPI_MAX_OUT)
		return -EFAULT;
	f->out[idx].events = revents;
	f->out[idx].data = data;
	f->nout = idx + 1;
	return 0;
}

/* A non-blocking wait; returns the result, events in f->out. */
static int sepi_wait(struct sepi_fix *f, int max)
{
	struct timespec64 now = { 0, 0 };

	f->nout = 0;
	return sep_wait(f->ep, sepi_copy, f, max, &now);
}

struct sepi_walk {
	u64 data[SEPI_MAX_OUT];
	u32 events[SEPI_MAX_OUT];
	int n;
};

static void sepi_walk_fn(void *ctx, const struct sep_item *item, u32 flags)
{
	struct sepi_walk *w = ctx;

	if (w->n < SEPI_MAX_OUT)
		w->data[w->n] = item->data;
	w->n++;
}

static int sepi_ready(struct sepi_fix *f, struct sepi_walk *w)
{
	u32 dflags;

	memset(w, 0, sizeof(*w));
	sep_ready_walk(f->ep, sepi_walk_fn, w, ULONG_MAX, &dflags);
	return w->n;
}

static void sepi_interest_fn(void *ctx, const struct sep_item *item,
			     struct file *file, u32 flags)
{
	struct sepi_walk *w = ctx;

	if (w->n < SEPI_MAX_OUT) {
		w->data[w->n] = item->data;
		w->events[w->n] = (__force u32)item->events;
	}
	w->n++;
}

static int sepi_interest(struct kunit *test, struct sepi_fix *f,
			 struct sepi_walk *w)
{
	memset(w, 0, sizeof(*w));
	KUNIT_EXPECT_EQ(test, sep_interest_walk(f->ep, sepi_interest_fn, w), 0);
	return w->n;
}

#define SEPI_DATA(i)	(0x100ULL + (i))

/* ---- shadow_epoll_ctl ------------------------------------------------ */

static void ctl_add_ready_file_is_queued(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	f->src[0].mask = EPOLLIN;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 1);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(0));
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 1);
	KUNIT_EXPECT_EQ(test, (u32)f->out[0].events, (__force u32)EPOLLIN);
}

static void ctl_add_idle_file_is_not_queued(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 0);
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 0);
	/* A wakeup queues it at the tail; the wait then reports it. */
	sepi_raise(f, 0, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 1);
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 1);
}

static void ctl_add_stores_err_hup(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLET), 0);
	KUNIT_ASSERT_EQ(test, sepi_interest(test, f, &w), 1);
	/* fdinfo shows 80000019 for IN|ET. */
	KUNIT_EXPECT_EQ(test, w.events[0], 0x80000019U);
}

static void ctl_add_twice_is_eexist(struct kunit *test)
{
	struct sepi_fix *f = test->priv;

	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), -EEXIST);
}

static void ctl_del_and_mod_missing_are_enoent(struct kunit *test)
{
	struct sepi_fix *f = test->priv;

	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_DEL, 0, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_MOD, 0, EPOLLIN), -ENOENT);
}

static void ctl_bad_op_is_einval_after_lookup(struct kunit *test)
{
	struct sepi_fix *f = test->priv;

	KUNIT_EXPECT_EQ(test, sepi_ctl(f, 42, 0, EPOLLIN), -EINVAL);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, 42, 0, EPOLLIN), -EINVAL);
}

static void ctl_mod_of_exclusive_is_einval(struct kunit *test)
{
	struct sepi_fix *f = test->priv;

	KUNIT_ASSERT_EQ(test,
			sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLEXCLUSIVE), 0);
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_MOD, 0, EPOLLIN), -EINVAL);
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_DEL, 0, 0), 0);
}

static void ctl_mod_rearms_oneshot_at_tail(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	f->src[0].mask = EPOLLIN;
	f->src[1].mask = EPOLLIN;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN | EPOLLONESHOT), 0);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 1, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, sepi_wait(f, 1), 1);
	KUNIT_EXPECT_EQ(test, f->out[0].data, SEPI_DATA(0));
	/* Disarmed: a new event is ignored. */
	sepi_raise(f, 0, EPOLLIN, EPOLLIN);
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 1);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
	KUNIT_ASSERT_EQ(test, sepi_interest(test, f, &w), 2);
	/* MOD re-arms and, being ready, appends at the tail. */
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLONESHOT), 0);
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 2);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
	KUNIT_EXPECT_EQ(test, w.data[1], SEPI_DATA(0));
}

static void ctl_mod_keeps_queued_position(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;
	int i;

	for (i = 0; i < 3; i++) {
		f->src[i].mask = EPOLLIN;
		KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, i, EPOLLIN), 0);
	}
	/* MOD never moves or removes a queued item, even when not ready. */
	f->src[0].mask = 0;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_MOD, 0, EPOLLOUT), 0);
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 3);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(0));
	/* The next scan drops it (re-polls to 0) without counting it. */
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 1), 1);
	KUNIT_EXPECT_EQ(test, f->out[0].data, SEPI_DATA(1));
}

static void ctl_del_unqueues(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	f->src[0].mask = EPOLLIN;
	f->src[1].mask = EPOLLIN;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 1, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_DEL, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 1);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
	/* Unhooked: a wakeup of the removed file queues nothing. */
	sepi_raise(f, 0, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 1);
}

/* A file that hooks two wait queues (as a tty does, or a pipe opened O_RDWR). */
struct sepi_src2 {
	wait_queue_head_t wq[2];
	__poll_t mask;
};

static __poll_t sepi_src2_poll(struct file *file, poll_table *pt)
{
	struct sepi_src2 *src = file->private_data;

	poll_wait(file, &src->wq[0], pt);
	poll_wait(file, &src->wq[1], pt);
	return READ_ONCE(src->mask);
}

static const struct file_operations sepi_src2_fops = {
	.owner	= THIS_MODULE,
	.poll	= sepi_src2_poll,
};

struct sepi_hooks {
	int nwait;
	int nlisted;
	bool embedded;
};

static void sepi_hooks_fn(void *ctx, const struct sep_item *item,
			  struct file *file, u32 flags)
{
	struct sepi_hooks *h = ctx;
	const struct sep_pwq *pwq;

	h->nwait = item->nwait;
	for (pwq = item->pwqlist; pwq; pwq = pwq->next) {
		h->nlisted++;
		if (pwq == &item->pwq0)
			h->embedded = true;
	}
}

/* The first hook is the item's own; the second is allocated; DEL drops both. */
static void ctl_two_queue_file_hooks_both(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct epoll_event ev = { .events = EPOLLIN, .data = 7 };
	struct sepi_hooks h = { };
	struct sepi_src2 *src;
	struct file *file;
	int q;

	src = kunit_kzalloc(test, sizeof(*src), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, src);
	init_waitqueue_head(&src->wq[0]);
	init_waitqueue_head(&src->wq[1]);
	file = anon_inode_getfile("[sepi2]", &sepi_src2_fops, src, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);

	KUNIT_ASSERT_EQ(test, sep_ctl(f->ep, f->epfile, EPOLL_CTL_ADD, file, 30,
				      &ev), 0);
	KUNIT_EXPECT_EQ(test, sep_interest_walk(f->ep, sepi_hooks_fn, &h), 0);
	KUNIT_EXPECT_EQ(test, h.nwait, 2);
	KUNIT_EXPECT_EQ(test, h.nlisted, 2);
	KUNIT_EXPECT_TRUE(test, h.embedded);
	/* A wakeup on either queue queues the item. */
	for (q = 0; q < 2; q++) {
		WRITE_ONCE(src->mask, EPOLLIN);
		wake_up_poll(&src->wq[q], EPOLLIN);
		KUNIT_EXPECT_EQ_MSG(test, sepi_wait(f, 4), 1, "queue %d", q);
		KUNIT_EXPECT_EQ(test, f->out[0].data, 7ULL);
		WRITE_ONCE(src->mask, 0);
		KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 0);
	}
	KUNIT_EXPECT_EQ(test, sep_ctl(f->ep, f->epfile, EPOLL_CTL_DEL, file, 30,
				      &ev), 0);
	/* Both entries are off their queues (nothing else waits on them). */
	KUNIT_EXPECT_TRUE(test, list_empty(&src->wq[0].head));
	KUNIT_EXPECT_TRUE(test, list_empty(&src->wq[1].head));
	__fput_sync(file);
}

static void ctl_max_user_watches_is_enospc(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	long saved = max_user_watches;
	int i;

	/* Other instances of this uid may exist: count from here. */
	max_user_watches = 0;
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), -ENOSPC);
	max_user_watches = LONG_MAX;
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, i, EPOLLIN), 0);
	max_user_watches = 0;
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 3, EPOLLIN), -ENOSPC);
	/* DEL gives a watch back. */
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_DEL, 0, 0), 0);
	max_user_watches = saved;
}

static void ctl_efault_keeps_item_first(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;
	int i;

	for (i = 0; i < 3; i++) {
		f->src[i].mask = EPOLLIN;
		KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, i, EPOLLIN), 0);
	}
	/* Slot 1 faults: one event returned, B back at the head. */
	f->fault = 1;
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 3), 1);
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 3);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
	KUNIT_EXPECT_EQ(test, w.data[1], SEPI_DATA(2));
	KUNIT_EXPECT_EQ(test, w.data[2], SEPI_DATA(0));
	/* Slot 0 faults: -EFAULT and the order is unchanged. */
	f->fault = 0;
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 3), -EFAULT);
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 3);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
}

static void ctl_exclusive_wakeup_key_rules(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;
	__poll_t mode = EPOLLIN | EPOLLET | EPOLLEXCLUSIVE;

	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, mode), 0);
	/* No waiter: the item is still queued by a matching wakeup. */
	sepi_raise(f, 0, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 1);
	/* Delivered (ET: not re-queued); a key without IN is filtered. */
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 1);
	sepi_raise(f, 0, EPOLLIN, EPOLLOUT);
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 0);
}

static struct kunit_case sepi_ctl_cases[] = {
	KUNIT_CASE(ctl_add_ready_file_is_queued),
	KUNIT_CASE(ctl_add_idle_file_is_not_queued),
	KUNIT_CASE(ctl_add_stores_err_hup),
	KUNIT_CASE(ctl_add_twice_is_eexist),
	KUNIT_CASE(ctl_del_and_mod_missing_are_enoent),
	KUNIT_CASE(ctl_bad_op_is_einval_after_lookup),
	KUNIT_CASE(ctl_mod_of_exclusive_is_einval),
	KUNIT_CASE(ctl_mod_rearms_oneshot_at_tail),
	KUNIT_CASE(ctl_mod_keeps_queued_position),
	KUNIT_CASE(ctl_del_unqueues),
	KUNIT_CASE(ctl_two_queue_file_hooks_both),
	KUNIT_CASE(ctl_max_user_watches_is_enospc),
	KUNIT_CASE(ctl_efault_keeps_item_first),
	KUNIT_CASE(ctl_exclusive_wakeup_key_rules),
	{}
};

static struct kunit_suite sepi_ctl_suite = {
	.name = "shadow_epoll_ctl",
	.init = sepi_init,
	.exit = sepi_exit,
	.test_cases = sepi_ctl_cases,
};

/* ---- shadow_epoll_lifetime ------------------------------------------ */

/*
 * The __fput hook: with the index enabled, calling the handler by hand is
 * exactly what the kprobe does at the final fput (UML has no kprobes).
 */
static int sepi_lifetime_init(struct kunit *test)
{
	struct sepi_fix *f;
	int ret = sepi_init(test);

	f = test->priv;
	f->saved_active = sep_kprobe_active;
	sep_kprobe_active = true;
	return ret;
}

static void sepi_lifetime_exit(struct kunit *test)
{
	struct sepi_fix *f = test->priv;

	sepi_exit(test);
	sep_kprobe_active = f->saved_active;
}

static void lifetime_release_removes_item(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	f->src[0].mask = EPOLLIN;
	f->src[1].mask = EPOLLIN;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 1, EPOLLIN), 0);
	KUNIT_ASSERT_TRUE(test, sep_file_is_watched(f->file[0]));

	sep_file_released(f->file[0]);
	KUNIT_EXPECT_FALSE(test, sep_file_is_watched(f->file[0]));
	/* Still listed, marked dying, until the next operation reaps it. */
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 2);
	KUNIT_EXPECT_EQ(test, sepi_interest(test, f, &w), 1);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
	KUNIT_EXPECT_EQ(test, sepi_ready(f, &w), 1);
	/* Unhooked: a later wakeup queues nothing; no event is generated. */
	sepi_raise(f, 0, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 1);
	KUNIT_EXPECT_EQ(test, f->out[0].data, SEPI_DATA(1));
}

static void lifetime_dying_item_skipped_by_scan(struct kunit *test)
{
	struct sepi_fix *f = test->priv;

	f->src[0].mask = EPOLLIN;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	sep_file_released(f->file[0]);
	/* The wait reaps first: nothing is delivered for a dead file. */
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 0);
	/* Re-adding the same file works (a fresh registration). */
	KUNIT_EXPECT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 1);
}

static void lifetime_dup_key_is_independent(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct epoll_event ev = { .events = EPOLLIN, .data = 7 };
	struct sepi_walk w;

	f->src[0].mask = EPOLLIN;
	/* Same file, two fd numbers: two registrations. */
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, sep_ctl(f->ep, f->epfile, EPOLL_CTL_ADD,
				      f->file[0], 99, &ev), 0);
	KUNIT_EXPECT_EQ(test, sepi_interest(test, f, &w), 2);
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 2);
	/* DEL needs the same (file, fd) key. */
	ev.events = 0;
	KUNIT_EXPECT_EQ(test, sep_ctl(f->ep, f->epfile, EPOLL_CTL_DEL,
				      f->file[0], 98, &ev), -ENOENT);
	KUNIT_EXPECT_EQ(test, sep_ctl(f->ep, f->epfile, EPOLL_CTL_DEL,
				      f->file[0], 99, &ev), 0);
	KUNIT_EXPECT_EQ(test, sepi_interest(test, f, &w), 1);
}

static struct kunit_case sepi_lifetime_cases[] = {
	KUNIT_CASE(lifetime_release_removes_item),
	KUNIT_CASE(lifetime_dying_item_skipped_by_scan),
	KUNIT_CASE(lifetime_dup_key_is_independent),
	{}
};

static struct kunit_suite sepi_lifetime_suite = {
	.name = "shadow_epoll_lifetime",
	.init = sepi_lifetime_init,
	.exit = sepi_lifetime_exit,
	.test_cases = sepi_lifetime_cases,
};

/* ---- shadow_epoll_nesting -------------------------------------------- */

/* Add instance file @child into instance file @parent. */
static int sepi_nest(struct file *parent, struct file *child)
{
	struct epoll_event ev = { .events = EPOLLIN, .data = 1 };

	return sep_ctl(parent->private_data, parent, EPOLL_CTL_ADD, child, 3,
		       &ev);
}

static void nesting_cycle_is_eloop(struct kunit *test)
{
	struct file *a = sepi_new_instance(test), *b = sepi_new_instance(test);

	KUNIT_EXPECT_EQ(test, sepi_nest(a, b), 0);
	KUNIT_EXPECT_EQ(test, sepi_nest(b, a), -ELOOP);
	__fput_sync(a);
	__fput_sync(b);
}

static void nesting_depth_limit_is_five_instances(struct kunit *test)
{
	struct file *ch[7];
	int i;

	for (i = 0; i < 7; i++)
		ch[i] = sepi_new_instance(test);
	/* Top-down: four links fit (five instances), the fifth is ELOOP. */
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, sepi_nest(ch[i], ch[i + 1]), 0,
				    "link %d", i);
	KUNIT_EXPECT_EQ(test, sepi_nest(ch[4], ch[5]), -ELOOP);
	/* Bottom-up too: adding a parent above the top of five. */
	KUNIT_EXPECT_EQ(test, sepi_nest(ch[6], ch[0]), -ELOOP);
	for (i = 0; i < 7; i++)
		__fput_sync(ch[i]);
}

static int sepi_nrefs(struct sep_instance *ep)
{
	struct sep_item *item;
	int n = 0;

	hlist_for_each_entry(item, &ep->refs, wnode)
		n++;
	return n;
}

/* The list of an instance's watchers (ADD's fast check, nesting walks). */
static void nesting_watcher_list_follows_links(struct kunit *test)
{
	struct file *a = sepi_new_instance(test), *b = sepi_new_instance(test);
	struct file *c = sepi_new_instance(test);
	struct sep_instance *bep = b->private_data;
	struct epoll_event ev = { };

	KUNIT_EXPECT_FALSE(test, sep_instance_watched(bep));
	KUNIT_ASSERT_EQ(test, sepi_nest(a, b), 0);
	KUNIT_EXPECT_TRUE(test, sep_instance_watched(bep));
	KUNIT_EXPECT_FALSE(test, sep_instance_watched(a->private_data));
	KUNIT_ASSERT_EQ(test, sepi_nest(c, b), 0);
	KUNIT_EXPECT_EQ(test, sepi_nrefs(bep), 2);
	KUNIT_EXPECT_EQ(test, sep_ctl(a->private_data, a, EPOLL_CTL_DEL, b, 3,
				      &ev), 0);
	KUNIT_EXPECT_EQ(test, sepi_nrefs(bep), 1);
	/* Releasing the watching instance drops its registrations. */
	__fput_sync(c);
	KUNIT_EXPECT_FALSE(test, sep_instance_watched(bep));
	__fput_sync(a);
	__fput_sync(b);
}

static void nesting_inner_ready_makes_outer_ready(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct file *outer = sepi_new_instance(test);
	struct sep_instance *oep = outer->private_data;

	KUNIT_ASSERT_EQ(test, sepi_nest(outer, f->epfile), 0);
	KUNIT_EXPECT_EQ(test, (__force u32)sep_instance_poll(oep, NULL, 0), 0U);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	/* The inner's callback wakes the outer's hook with EPOLLIN. */
	sepi_raise(f, 0, EPOLLIN, EPOLLIN);
	KUNIT_EXPECT_EQ(test, (__force u32)sep_instance_poll(oep, NULL, 0),
			(__force u32)(EPOLLIN | EPOLLRDNORM));
	/* Polling the inner does not consume it. */
	KUNIT_EXPECT_EQ(test, sepi_wait(f, 4), 1);
	__fput_sync(outer);
}

static void nesting_poll_prunes_stale_items(struct kunit *test)
{
	struct sepi_fix *f = test->priv;
	struct sepi_walk w;

	f->src[0].mask = EPOLLIN;
	f->src[1].mask = EPOLLIN;
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 0, EPOLLIN), 0);
	KUNIT_ASSERT_EQ(test, sepi_ctl(f, EPOLL_CTL_ADD, 1, EPOLLIN), 0);
	f->src[0].mask = 0;
	KUNIT_EXPECT_EQ(test, (__force u32)sep_instance_poll(f->ep, NULL, 0),
			(__force u32)(EPOLLIN | EPOLLRDNORM));
	KUNIT_ASSERT_EQ(test, sepi_ready(f, &w), 1);
	KUNIT_EXPECT_EQ(test, w.data[0], SEPI_DATA(1));
}

static struct kunit_case sepi_nesting_cases[] = {
	KUNIT_CASE(nesting_cycle_is_eloop),
	KUNIT_CASE(nesting_depth_limit_is_five_instances),
	KUNIT_CASE(nesting_watcher_list_follows_links),
	KUNIT_CASE(nesting_inner_ready_makes_outer_ready),
	KUNIT_CASE(nesting_poll_prunes_stale_items),
	{}
};

static struct kunit_suite sepi_nesting_suite = {
	.name = "shadow_epoll_nesting",
	.init = sepi_init,
	.exit = sepi_exit,
	.test_cases = sepi_nesting_cases,
};

kunit_test_suites(&sepi_ctl_suite, &sepi_lifetime_suite, &sepi_nesting_suite);
