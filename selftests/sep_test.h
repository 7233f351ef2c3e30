/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the differential *_test.c programs (harness based).
 * Include after kselftest_harness.h.
 */
#ifndef SEP_TEST_H
#define SEP_TEST_H

#include <string.h>

#include "sep_lib.h"

enum sep_mode { MODE_LT, MODE_ET, MODE_ONESHOT, MODE_MIX };

/* The registration mask of item i for a mode (MIX as epoll-semantics §2.5 (d)). */
static inline uint32_t sep_mode_events(int mode, int i)
{
	static const uint32_t mix[5] = {
		EPOLLIN, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT,
		EPOLLIN, EPOLLIN | EPOLLET,
	};

	switch (mode) {
	case MODE_LT: return EPOLLIN;
	case MODE_ET: return EPOLLIN | EPOLLET;
	case MODE_ONESHOT: return EPOLLIN | EPOLLONESHOT;
	default: return mix[i % 5];
	}
}

/*
 * Assert a spec result on the in-tree side: the data order of a call
 * ("A B C", "" for none).  This validates the test itself; the shadow is
 * compared with the in-tree side separately.
 */
#define EXPECT_REAL_ORDER(rec, want) do {				\
	char __b[1024];							\
	sep_fmt_order(__b, sizeof(__b), (rec)->data, (rec)->n);		\
	EXPECT_STREQ(want, __b);					\
} while (0)

/* Set up a duo of n items of a type, optionally signalled, added in order. */
static inline int sep_duo_setup(struct sep_duo *d, int n, int type, int mode,
				bool signal_first)
{
	int i;

	if (sep_duo_init(d, n, type))
		return -1;
	for (i = 0; i < n; i++) {
		if (signal_first && sep_duo_signal(d, i))
			return -1;
		if (sep_duo_ctl(d, EPOLL_CTL_ADD, i, sep_mode_events(mode, i)))
			return -1;
	}
	return 0;
}

/*
 * SEP_QUICK=1 (the debug-kernel layer) skips the tests whose point is size
 * or timing: KASAN and lockdep under TCG make them take minutes there, and
 * they run whole in the kselftest layer of every test kernel.
 */
static inline bool sep_quick(void)
{
	const char *q = getenv("SEP_QUICK");

	return q && *q && strcmp(q, "0");
}

#endif /* SEP_TEST_H */
