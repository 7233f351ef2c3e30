// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: copy-out faults (EFAULT at every slot, partial
 * `events` writes, NULL buffers) and events arriving while a scan is paused
 * in copy_to_user by userfaultfd (epoll-semantics §2.5 (f) and (g)).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>

#include "sep_harness.h"
#include "sep_test.h"

#define PAGE 4096

FIXTURE(efault) {
	struct sep_duo d;
	bool inited;
	char *area[2];		/* per side: RW page, then PROT_NONE page */
};

FIXTURE_VARIANT(efault) {
	int mode;
	int type;
};

FIXTURE_VARIANT_ADD(efault, lt_eventfd) { .mode = MODE_LT, .type = SEP_EVENTFD };
FIXTURE_VARIANT_ADD(efault, et_eventfd) { .mode = MODE_ET, .type = SEP_EVENTFD };
FIXTURE_VARIANT_ADD(efault, oneshot_eventfd) { .mode = MODE_ONESHOT, .type = SEP_EVENTFD };
FIXTURE_VARIANT_ADD(efault, mix_eventfd) { .mode = MODE_MIX, .type = SEP_EVENTFD };
FIXTURE_VARIANT_ADD(efault, lt_pipe) { .mode = MODE_LT, .type = SEP_PIPE };
FIXTURE_VARIANT_ADD(efault, et_sock) { .mode = MODE_ET, .type = SEP_SOCK };

FIXTURE_SETUP(efault)
{
	int s;

	self->inited = false;
	for (s = 0; s < 2; s++) {
		self->area[s] = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->area[s]);
		ASSERT_EQ(0, mprotect(self->area[s] + PAGE, PAGE, PROT_NONE));
	}
}

FIXTURE_TEARDOWN(efault)
{
	if (self->inited)
		sep_duo_fini(&self->d);
	munmap(self->area[0], 2 * PAGE);
	munmap(self->area[1], 2 * PAGE);
}

/*
 * One wait with a buffer whose first `room` bytes are writable and the rest
 * is PROT_NONE; compare ret/errno and the writable bytes.
 */
static int fault_wait(FIXTURE_DATA(efault) *self, int room, int max,
		      struct sep_call *rec)
{
	int r[2], e[2], s;
	char what[64];

	for (s = 0; s < 2; s++) {
		struct sep_side *side = &self->d.s[s];
		char *buf = self->area[s] + PAGE - room;

		memset(self->area[s], 0xa5, PAGE);
		errno = 0;
		r[s] = side->b->wait(side->ep, (struct epoll_event *)buf, max, 0);
		e[s] = errno;
	}
	self->d.calls++;
	if (rec) {
		rec->ret = r[0];
		rec->err = e[0];
	}
	snprintf(what, sizeof(what), "faulting wait(room %d, max %d)", room, max);
	if (sep_cmp_result(what, r[0], e[0], r[1], e[1]) ||
	    sep_cmp_bytes(what, self->area[0] + PAGE - room,
			  self->area[1] + PAGE - room, room)) {
		self->d.diffs++;
		return -1;
	}
	return 0;
}

/* The buffer runs into a PROT_NONE page at slot k (k = 0: first slot). */
TEST_F(efault, fault_at_each_slot)
{
	int k;

	for (k = 0; k <= 5; k++) {
		struct sep_call rec;

		ASSERT_EQ(0, sep_duo_setup(&self->d, 5, variant->type,
					   variant->mode, true));
		self->inited = true;
		EXPECT_EQ(0, fault_wait(self, k * SEP_EVENT_SIZE, 6, &rec))
			TH_LOG("slot %d", k);
		if (k == 0) {
			EXPECT_EQ(-1, rec.ret);
			EXPECT_EQ(EFAULT, rec.err);
		} else {
			EXPECT_EQ(k, rec.ret);
		}
		/* The failed item keeps its place (and ONESHOT its arming). */
		EXPECT_EQ(0, sep_duo_wait(&self->d, 6, 0, &rec)) TH_LOG("slot %d", k);
		if (variant->mode == MODE_LT && k == 1)
			EXPECT_REAL_ORDER(&rec, "B C D E A");
		if (variant->mode == MODE_ONESHOT && k < 5)
			EXPECT_EQ(5 - k, rec.ret);
		EXPECT_EQ(0, sep_duo_order(&self->d, NULL)) TH_LOG("slot %d", k);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/* The fault hits the data field: events of slot k already written. */
TEST_F(efault, data_straddles_boundary)
{
	int k;

	for (k = 0; k <= 4; k++) {
		struct sep_call rec;

		ASSERT_EQ(0, sep_duo_setup(&self->d, 5, variant->type,
					   variant->mode, true));
		self->inited = true;
		EXPECT_EQ(0, fault_wait(self, k * SEP_EVENT_SIZE + 4, 6, &rec))
			TH_LOG("slot %d", k);
		if (k == 0) {
			uint32_t ev;

			EXPECT_EQ(EFAULT, rec.err);
			memcpy(&ev, self->area[0] + PAGE - 4, 4);
			/* Partial write: events of the failed slot are there. */
			EXPECT_EQ((uint32_t)EPOLLIN, ev);
		}
		EXPECT_EQ(0, sep_duo_wait(&self->d, 6, 0, &rec));
		EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/* Maxevents smaller than the writable room: no fault at all. */
TEST_F(efault, fault_beyond_maxevents)
{
	struct sep_call rec;

	ASSERT_EQ(0, sep_duo_setup(&self->d, 5, variant->type, variant->mode,
				   true));
	self->inited = true;
	EXPECT_EQ(0, fault_wait(self, 2 * SEP_EVENT_SIZE, 2, &rec));
	EXPECT_EQ(2, rec.ret);
	EXPECT_EQ(0, fault_wait(self, 2 * SEP_EVENT_SIZE, 3, &rec));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
	EXPECT_EQ(0, self->d.diffs);
}

/* A NULL buffer is fine while nothing is ready, EFAULT once something is. */
TEST_F(efault, null_buffer)
{
	int r[2], e[2], s;

	ASSERT_EQ(0, sep_duo_setup(&self->d, 3, variant->type, variant->mode,
				   false));
	self->inited = true;
	for (s = 0; s < 2; s++) {
		errno = 0;
		r[s] = self->d.s[s].b->wait(self->d.s[s].ep, NULL, 4, 0);
		e[s] = errno;
	}
	EXPECT_EQ(0, r[0]);
	EXPECT_EQ(0, sep_cmp_result("NULL buf, idle", r[0], e[0], r[1], e[1]));
	sep_duo_signal(&self->d, 1);
	sep_duo_signal(&self->d, 0);
	for (s = 0; s < 2; s++) {
		errno = 0;
		r[s] = self->d.s[s].b->wait(self->d.s[s].ep, NULL, 4, 0);
		e[s] = errno;
	}
	EXPECT_EQ(-1, r[0]);
	EXPECT_EQ(EFAULT, e[0]);
	EXPECT_EQ(0, sep_cmp_result("NULL buf, ready", r[0], e[0], r[1], e[1]));
	EXPECT_EQ(0, sep_duo_order(&self->d, NULL));
}

/* ------------------------------------------------------------------ */
/* userfaultfd: pause the copy of slot 1, fire events, release. */

/* The READY dump while paused: leftovers, overflow arrivals, re-queues. */
static int predict_paused(int mode, int n, int max, const int *sig, int nsig,
			  uint64_t *out)
{
	bool listed[SEP_MAX_SRC] = { false };
	int k = 0, i;
	bool a_lt = !(sep_mode_events(mode, 0) & (EPOLLET | EPOLLONESHOT));
	bool a_disarmed = sep_mode_events(mode, 0) & EPOLLONESHOT;

	(void)max;
	/* Slot 0 (A) delivered, B in flight, C.. still on the scan list. */
	listed[1] = true;
	for (i = 2; i < n; i++) {
		out[k++] = sep_data(i);
		listed[i] = true;
	}
	if (a_lt)
		listed[0] = true;
	for (i = 0; i < nsig; i++) {
		if (listed[sig[i]] || (sig[i] == 0 && a_disarmed))
			continue;
		listed[sig[i]] = true;
		out[k++] = sep_data(sig[i]);
	}
	if (a_lt)
		out[k++] = sep_data(0);
	return k;
}

static void uffd_scenario(struct __test_metadata *_metadata,
			  FIXTURE_DATA(efault) *self,
			  const FIXTURE_VARIANT(efault) *variant, int max,
			  const int *sig, int nsig, const char *want_ret,
			  const char *want_order)
{
	struct sep_uffd_result res[2];
	struct sep_call rec;
	uint64_t pred[16];
	char b0[256], b1[256];
	int s, i, npred;

	/* A..E ready; F, G (5, 6) registered, idle. */
	ASSERT_EQ(0, sep_duo_init(&self->d, 7, variant->type));
	self->inited = true;
	for (i = 0; i < 7; i++) {
		if (i < 5)
			sep_duo_signal(&self->d, i);
		ASSERT_EQ(0, sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i,
					 sep_mode_events(variant->mode, i)));
	}
	for (s = 0; s < 2; s++) {
		int rc = sep_uffd_wait(&self->d.s[s], max, sig, nsig, &res[s]);

		if (rc == -1)
			SKIP(return, "userfaultfd unavailable: %s", strerror(errno));
		ASSERT_EQ(0, rc);
	}
	EXPECT_EQ(0, sep_cmp_result("paused wait", res[0].ret, res[0].err,
				    res[1].ret, res[1].err));
	EXPECT_EQ(0, sep_cmp_bytes("paused wait", res[0].ev, res[1].ev,
				   sizeof(res[0].ev)));
	if (want_ret) {
		uint64_t data[8];

		for (i = 0; i < res[0].ret && i < 8; i++)
			data[i] = res[0].ev[i].data.u64;
		EXPECT_STREQ(want_ret, sep_fmt_order(b0, sizeof(b0), data,
						     res[0].ret));
	}
	if (res[1].dump_n >= 0) {
		npred = predict_paused(variant->mode, 5, max, sig, nsig, pred);
		EXPECT_NE(0, (int)(res[1].dump_flags & SHADOW_EPOLL_DUMP_SCANNING));
		EXPECT_EQ(npred, res[1].dump_n);
		EXPECT_STREQ(sep_fmt_order(b0, sizeof(b0), pred, npred),
			     sep_fmt_order(b1, sizeof(b1), res[1].dump,
					   res[1].dump_n));
	}
	EXPECT_EQ(0, sep_duo_order(&self->d, &rec));
	if (want_order)
		EXPECT_REAL_ORDER(&rec, want_order);
	EXPECT_EQ(0, self->d.diffs);
}

/* Spec (g): F G signalled (new), then C (pending), then A (re-queued). */
TEST_F(efault, uffd_scan_max3)
{
	static const int sig[] = { 5, 6, 2, 0 };
	bool lt = variant->mode == MODE_LT;

	uffd_scenario(_metadata, self, variant, 3, sig, 4, lt ? "A B C" : NULL,
		      lt ? "D E F G A B C" : NULL);
}

TEST_F(efault, uffd_scan_max5)
{
	static const int sig[] = { 5, 6, 2, 0 };
	bool lt = variant->mode == MODE_LT;

	uffd_scenario(_metadata, self, variant, 5, sig, 4,
		      lt ? "A B C D E" : NULL, lt ? "F G A B C D E" : NULL);
}

/* Spec (g) ET variant: F (new), A (delivered), D (pending). */
TEST_F(efault, uffd_scan_et_pattern)
{
	static const int sig[] = { 5, 0, 3 };
	bool et = variant->mode == MODE_ET;

	uffd_scenario(_metadata, self, variant, 3, sig, 3, et ? "A B C" : NULL,
		      et ? "D E F A" : NULL);
}

/* ET duplicate quirk: an item signalled while pending is reported twice. */
TEST_F(efault, uffd_scan_pending_twice)
{
	static const int sig[] = { 2, 4 };
	const char *order = NULL;

	if (variant->mode == MODE_ET)
		order = "D E C";
	else if (variant->mode == MODE_LT)
		order = "D E A B C";
	uffd_scenario(_metadata, self, variant, 3, sig, 2, NULL, order);
}

SEP_REQUIRE_SHADOW_MAIN
