// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_epoll KUnit: the argument rules of the ioctl decoders (ioctl.c),
 * on kernel copies of the uapi structs: @size, unknown flags, reserved
 * fields and out-of-range operations, as the uapi header documents them.
 */
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/eventpoll.h>
#include <linux/fcntl.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include <kunit/test.h>

#include "../module/ioctl.h"

static void ioctl_size_rule(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sep_check_size(0, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, sep_check_size(7, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, sep_check_size(8, 8), 0);
	KUNIT_EXPECT_EQ(test, sep_check_size(64, 8), 0);
	KUNIT_EXPECT_EQ(test, sep_check_size(PAGE_SIZE, 8), 0);
	KUNIT_EXPECT_EQ(test, sep_check_size(PAGE_SIZE + 1, 8), -E2BIG);
	KUNIT_EXPECT_EQ(test, sep_check_size(U32_MAX, 8), -E2BIG);
}

static void ioctl_create_flags(struct kunit *test)
{
	struct shadow_epoll_create_args a = { .size = sizeof(a) };

	KUNIT_EXPECT_EQ(test, sep_check_create(&a), 0);
	a.flags = EPOLL_CLOEXEC;
	KUNIT_EXPECT_EQ(test, sep_check_create(&a), 0);
	a.flags = EPOLL_CLOEXEC | 1;
	KUNIT_EXPECT_EQ(test, sep_check_create(&a), -EINVAL);
	a.flags = O_NONBLOCK;
	KUNIT_EXPECT_EQ(test, sep_check_create(&a), -EINVAL);
}

static void ioctl_wait_flags_and_reserved(struct kunit *test)
{
	struct shadow_epoll_wait_args a = { .size = sizeof(a) };

	KUNIT_EXPECT_EQ(test, sep_check_wait(&a), 0);
	a.flags = SHADOW_EPOLL_WAIT_TIMESPEC;
	KUNIT_EXPECT_EQ(test, sep_check_wait(&a), 0);
	a.flags = SHADOW_EPOLL_WAIT_TIMESPEC << 1;
	KUNIT_EXPECT_EQ(test, sep_check_wait(&a), -EINVAL);
	a.flags = 0;
	a.__reserved = 1;
	KUNIT_EXPECT_EQ(test, sep_check_wait(&a), -EINVAL);
	/* The epoll_pwait2() rules are not the decoder's: left to the call. */
	a.__reserved = 0;
	a.maxevents = -1;
	a.timeout_ms = -5;
	a.sigsetsize = 3;
	KUNIT_EXPECT_EQ(test, sep_check_wait(&a), 0);
}

static void ioctl_dump_flags_are_output_only(struct kunit *test)
{
	struct shadow_epoll_dump_args a = { .size = sizeof(a), .count = 5 };

	KUNIT_EXPECT_EQ(test, sep_check_dump(&a), 0);
	a.flags = SHADOW_EPOLL_DUMP_SCANNING;
	KUNIT_EXPECT_EQ(test, sep_check_dump(&a), -EINVAL);
}

static void ioctl_source_flags_and_reserved(struct kunit *test)
{
	struct shadow_epoll_source_args a = { .size = sizeof(a), .mask = ~0U };

	KUNIT_EXPECT_EQ(test, sep_check_source(&a), 0);
	a.flags = O_CLOEXEC;
	KUNIT_EXPECT_EQ(test, sep_check_source(&a), 0);
	a.flags = O_NONBLOCK;
	KUNIT_EXPECT_EQ(test, sep_check_source(&a), -EINVAL);
	a.flags = 0;
	a.__reserved = 1;
	KUNIT_EXPECT_EQ(test, sep_check_source(&a), -EINVAL);
}

static void ioctl_source_change_ops(struct kunit *test)
{
	struct shadow_epoll_source_change c = { .size = sizeof(c) };
	u32 op;

	for (op = SHADOW_EPOLL_SRC_SET; op <= SHADOW_EPOLL_SRC_POLLFREE; op++) {
		c.op = op;
		KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), 0);
	}
	c.op = SHADOW_EPOLL_SRC_POLLFREE + 1;
	KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), -EINVAL);
	c.op = U32_MAX;
	KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), -EINVAL);
}

static void ioctl_source_change_flags(struct kunit *test)
{
	struct shadow_epoll_source_change c = { .size = sizeof(c) };

	c.flags = SHADOW_EPOLL_SRC_FLAGS;
	KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), 0);
	c.flags = SHADOW_EPOLL_SRC_SYNC << 1;
	KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), -EINVAL);
	c.flags = 0;
	c.__reserved = 1;
	KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), -EINVAL);
	/* Any mask and key: they need not relate. */
	c.__reserved = 0;
	c.mask = ~0U;
	c.key = ~0U;
	KUNIT_EXPECT_EQ(test, sep_check_source_change(&c), 0);
}

static void ioctl_source_trigger(struct kunit *test)
{
	struct shadow_epoll_source_trigger t = { .size = sizeof(t) };

	KUNIT_EXPECT_EQ(test, sep_check_source_trigger(&t), 0);
	/* The change's own size is ignored. */
	t.change.size = 12345;
	KUNIT_EXPECT_EQ(test, sep_check_source_trigger(&t), 0);
	t.__reserved = 1;
	KUNIT_EXPECT_EQ(test, sep_check_source_trigger(&t), -EINVAL);
	/* A bad change is refused even when disarming (count 0). */
	t.__reserved = 0;
	t.count = 0;
	t.change.op = SHADOW_EPOLL_SRC_POLLFREE + 1;
	KUNIT_EXPECT_EQ(test, sep_check_source_trigger(&t), -EINVAL);
	t.change.op = 0;
	t.change.__reserved = 1;
	KUNIT_EXPECT_EQ(test, sep_check_source_trigger(&t), -EINVAL);
}

static void ioctl_adopt_flags_and_log_fd(struct kunit *test)
{
	struct shadow_epoll_adopt_args a = { .size = sizeof(a), .log_fd = -1 };

	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), 0);
	/* The fds themselves are adopt.c's to check, when it takes them. */
	a.cgroup_fd = -1;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), 0);
	a.flags = SHADOW_EPOLL_ADOPT_LOG << 1;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), -EINVAL);
	a.flags = O_CLOEXEC;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), -EINVAL);
	/* A log fd only with the flag that asks for it. */
	a.flags = 0;
	a.log_fd = 2;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), -EINVAL);
	a.log_fd = 0;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), -EINVAL);
	a.flags = SHADOW_EPOLL_ADOPT_LOG;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), 0);
	a.log_fd = -1;
	KUNIT_EXPECT_EQ(test, sep_check_adopt(&a), 0);
}

static struct kunit_case ioctl_test_cases[] = {
	KUNIT_CASE(ioctl_size_rule),
	KUNIT_CASE(ioctl_create_flags),
	KUNIT_CASE(ioctl_wait_flags_and_reserved),
	KUNIT_CASE(ioctl_dump_flags_are_output_only),
	KUNIT_CASE(ioctl_source_flags_and_reserved),
	KUNIT_CASE(ioctl_source_change_ops),
	KUNIT_CASE(ioctl_source_change_flags),
	KUNIT_CASE(ioctl_source_trigger),
	KUNIT_CASE(ioctl_adopt_flags_and_log_fd),
	{}
};

static struct kunit_suite ioctl_test_suite = {
	.name = "shadow_epoll_ioctl",
	.test_cases = ioctl_test_cases,
};

kunit_test_suite(ioctl_test_suite);
