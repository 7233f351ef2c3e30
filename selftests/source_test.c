// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests with synthetic sources (SHADOW_EPOLL_IOC_SOURCE): the
 * wakeup callback's mask filter (epoll-semantics §3), every poll bit as source mask
 * against every kind of interest mask, wakeup keys (0, inside, outside the
 * interest), and events raised in the middle of a scan by triggers, which
 * fill the overflow list in a known order.  Each side watches its own
 * sources; every change and trigger is applied to both.  Expected values
 * are whatever in-tree epoll does in the same run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>

#include "sep_harness.h"

#include "sep_test.h"

#define OR	SHADOW_EPOLL_SRC_OR
#define SET	SHADOW_EPOLL_SRC_SET
#define CLEAR	SHADOW_EPOLL_SRC_CLEAR

static const uint32_t all_bits = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLERR |
				 EPOLLHUP | EPOLLRDHUP | EPOLLRDNORM |
				 EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |
				 EPOLLMSG;

static const uint32_t bit_list[] = {
	EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLERR, EPOLLHUP, EPOLLRDHUP,
	EPOLLRDNORM, EPOLLRDBAND, EPOLLWRNORM, EPOLLWRBAND, EPOLLMSG,
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NBITS	((int)ARRAY_SIZE(bit_list))

static const uint32_t mode_list[] = { 0, EPOLLET, EPOLLONESHOT };

#define NMODES	3

/* A fixed-seed generator for the random combinations (xorshift64). */
static uint64_t prng_state;

static uint32_t prng(uint32_t n)
{
	prng_state ^= prng_state << 13;
	prng_state ^= prng_state >> 7;
	prng_state ^= prng_state << 17;
	return n ? (uint32_t)(prng_state % n) : 0;
}

static uint32_t prng_mask(void)
{
	uint32_t m = 0;
	int i;

	for (i = 0; i < NBITS; i++)
		if (prng(4) == 0)
			m |= bit_list[i];
	return m;
}

/*
 * One watched source: the mask it has at ADD, the interest, the mode, then
 * one change after ADD.  The calls: ADD, wait, change, wait, wait, MOD to
 * the same mask (re-arms ONESHOT), wait, then the ready order.
 */
struct scen {
	uint32_t before;
	uint32_t interest;
	uint32_t mode;
	uint32_t op, mask, key, flags;
};

static int run_scen(const struct scen *sc, struct sep_call *rec)
{
	uint32_t ev = sc->interest | sc->mode;
	struct sep_duo d;
	int diffs;

	if (sep_duo_init_sources(&d, 1, &sc->before)) {
		sep_duo_fini(&d);
		return -1;
	}
	sep_duo_ctl(&d, EPOLL_CTL_ADD, 0, ev);
	sep_duo_wait(&d, 2, 0, NULL);
	sep_duo_src_change(&d, 0, sc->op, sc->mask, sc->key, sc->flags);
	sep_duo_wait(&d, 2, 0, rec);
	sep_duo_wait(&d, 2, 0, NULL);
	sep_duo_ctl(&d, EPOLL_CTL_MOD, 0, ev);
	sep_duo_wait(&d, 2, 0, NULL);
	sep_duo_order(&d, NULL);
	diffs = d.diffs;
	sep_duo_fini(&d);
	return diffs;
}

#define CHECK_SCEN(sc, rec)						\
	EXPECT_EQ(0, run_scen(sc, rec))					\
		TH_LOG("mode %#x before %#x interest %#x op %u mask %#x key %#x flags %#x", \
		       (sc)->mode, (sc)->before, (sc)->interest, (sc)->op, \
		       (sc)->mask, (sc)->key, (sc)->flags)

static bool have_sources(void)
{
	int fd = shep_source(O_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* ------------------------------------------------------------------ */
/* One poll bit at a time. */

FIXTURE(bit) {
	int unused;
};

FIXTURE_VARIANT(bit) {
	uint32_t bit;
};

#define BIT_VARIANT(name, b)						\
	FIXTURE_VARIANT_ADD(bit, name) { .bit = b }

BIT_VARIANT(in, EPOLLIN);
BIT_VARIANT(out, EPOLLOUT);
BIT_VARIANT(pri, EPOLLPRI);
BIT_VARIANT(err, EPOLLERR);
BIT_VARIANT(hup, EPOLLHUP);
BIT_VARIANT(rdhup, EPOLLRDHUP);
BIT_VARIANT(rdnorm, EPOLLRDNORM);
BIT_VARIANT(rdband, EPOLLRDBAND);
BIT_VARIANT(wrnorm, EPOLLWRNORM);
BIT_VARIANT(wrband, EPOLLWRBAND);
BIT_VARIANT(msg, EPOLLMSG);

FIXTURE_SETUP(bit)
{
	if (!have_sources())
		SKIP(return, "no synthetic sources (%s)", SHADOW_EPOLL_DEVICE);
}

FIXTURE_TEARDOWN(bit)
{
}

/* Source mask = interest = the bit: set before ADD, or after with keys. */
TEST_F(bit, alone)
{
	uint32_t b = variant->bit;
	const uint32_t keys[] = { 0, b, b | EPOLLIN };
	struct sep_call rec;
	int m, k;

	for (m = 0; m < NMODES; m++) {
		struct scen sc = { b, b, mode_list[m], OR, 0, 0, 0 };

		CHECK_SCEN(&sc, &rec);
		for (k = 0; k < 3; k++) {
			sc = (struct scen){ 0, b, mode_list[m], OR, b, keys[k], 0 };
			CHECK_SCEN(&sc, &rec);
			/* epoll-semantics §3: a key inside the interest always queues. */
			EXPECT_EQ(1, rec.n);
			if (rec.n == 1)
				EXPECT_EQ(b, rec.events[0]);
		}
	}
}

/* Source mask = the bit, interest = the other bits (all, or each one). */
TEST_F(bit, other_bits)
{
	uint32_t b = variant->bit, auto_bits = EPOLLERR | EPOLLHUP;
	struct sep_call rec;
	int m, j;

	for (m = 0; m < NMODES; m++) {
		struct scen sc = { 0, all_bits & ~b, mode_list[m], OR, b, 0, 0 };

		CHECK_SCEN(&sc, &rec);
		EXPECT_EQ((b & auto_bits) ? 1 : 0, rec.n);
		sc.key = b;
		CHECK_SCEN(&sc, &rec);
		for (j = 0; j < NBITS; j++) {
			if (bit_list[j] == b)
				continue;
			sc = (struct scen){ b, bit_list[j], mode_list[m], OR, b,
					    j & 1 ? b : 0, 0 };
			CHECK_SCEN(&sc, &rec);
		}
	}
}

/* Interest = every bit: the bit comes through, whatever the key. */
TEST_F(bit, all_bits)
{
	uint32_t b = variant->bit;
	const uint32_t keys[] = { 0, b, all_bits, EPOLLIN | EPOLLOUT };
	struct sep_call rec;
	int m, k;

	for (m = 0; m < NMODES; m++) {
		struct scen sc = { b, all_bits, mode_list[m], SET, b, b, 0 };

		CHECK_SCEN(&sc, &rec);
		for (k = 0; k < 4; k++) {
			sc = (struct scen){ 0, all_bits, mode_list[m], SET, b,
					    keys[k], 0 };
			CHECK_SCEN(&sc, &rec);
			EXPECT_EQ(1, rec.n);
		}
	}
}

/* Interest 0: only the automatic EPOLLERR | EPOLLHUP are reported. */
TEST_F(bit, zero_interest)
{
	uint32_t b = variant->bit, auto_bits = EPOLLERR | EPOLLHUP;
	const uint32_t keys[] = { 0, b, EPOLLHUP, EPOLLIN };
	struct sep_call rec;
	int m, k;

	for (m = 0; m < NMODES; m++) {
		struct scen sc = { b, 0, mode_list[m], OR, 0, 0, 0 };

		CHECK_SCEN(&sc, &rec);
		for (k = 0; k < 4; k++) {
			sc = (struct scen){ 0, 0, mode_list[m], SET, b | EPOLLIN,
					    keys[k], 0 };
			CHECK_SCEN(&sc, &rec);
			/* Queued only if the key is 0 or meets ERR|HUP. */
			EXPECT_EQ((b & auto_bits) &&
				  (!keys[k] || (keys[k] & auto_bits)) ? 1 : 0,
				  rec.n) TH_LOG("key %#x", keys[k]);
			if (rec.n == 1)
				EXPECT_EQ(b, rec.events[0]);
		}
	}
}

/* Wakeup key filter: every single-bit key, 0, and mixed keys. */
TEST_F(bit, key_filter)
{
	uint32_t b = variant->bit;
	struct sep_call rec;
	int m, k;

	for (m = 0; m < NMODES; m++) {
		for (k = 0; k <= NBITS + 1; k++) {
			uint32_t key = k < NBITS ? bit_list[k] :
				       k == NBITS ? 0 : all_bits & ~b;
			struct scen sc = { 0, b, mode_list[m], OR, b, key, 0 };

			CHECK_SCEN(&sc, &rec);
			/*
			 * epoll-semantics §3: queued if the key is 0 or meets the interest
			 * (which always holds ERR|HUP).
			 */
			EXPECT_EQ(!key || (key & (b | EPOLLERR | EPOLLHUP)) ? 1 : 0,
				  rec.n) TH_LOG("key %#x", key);
		}
	}
}

/* OR then CLEAR: a queued LT item leaves on the re-poll, ET is dropped. */
TEST_F(bit, set_then_clear)
{
	uint32_t b = variant->bit;
	struct sep_duo d;
	int m;

	for (m = 0; m < NMODES; m++) {
		ASSERT_EQ(0, sep_duo_init_sources(&d, 3, NULL));
		sep_duo_ctl(&d, EPOLL_CTL_ADD, 0, b | mode_list[m]);
		sep_duo_ctl(&d, EPOLL_CTL_ADD, 1, b | EPOLLIN | mode_list[m]);
		sep_duo_ctl(&d, EPOLL_CTL_ADD, 2, all_bits | mode_list[m]);
		sep_duo_src_change(&d, 0, OR, b, 0, 0);
		sep_duo_src_change(&d, 1, OR, b | EPOLLIN, b, 0);
		sep_duo_src_change(&d, 2, OR, b, b, 0);
		sep_duo_wait(&d, 1, 0, NULL);
		sep_duo_src_change(&d, 0, CLEAR, b, 0, 0);
		sep_duo_src_change(&d, 1, CLEAR, b, b, 0);
		sep_duo_wait(&d, 3, 0, NULL);
		sep_duo_src_change(&d, 2, CLEAR, b,
				   0, SHADOW_EPOLL_SRC_NOWAKE);
		sep_duo_wait(&d, 3, 0, NULL);
		sep_duo_src_change(&d, 0, SET, b, b, 0);
		sep_duo_wait(&d, 3, 0, NULL);
		sep_duo_order(&d, NULL);
		EXPECT_EQ(0, d.diffs) TH_LOG("mode %#x", mode_list[m]);
		sep_duo_fini(&d);
	}
}

/* ------------------------------------------------------------------ */
/* Per registration mode: combinations, keys, triggers. */

FIXTURE(src) {
	struct sep_duo d;
	bool inited;
};

FIXTURE_VARIANT(src) {
	uint32_t mode;
};

FIXTURE_VARIANT_ADD(src, lt) { .mode = 0 };
FIXTURE_VARIANT_ADD(src, et) { .mode = EPOLLET };
FIXTURE_VARIANT_ADD(src, oneshot) { .mode = EPOLLONESHOT };

FIXTURE_SETUP(src)
{
	self->inited = false;
	if (!have_sources())
		SKIP(return, "no synthetic sources (%s)", SHADOW_EPOLL_DEVICE);
}

FIXTURE_TEARDOWN(src)
{
	if (self->inited)
		sep_duo_fini(&self->d);
}

static int dsetup(FIXTURE_DATA(src) *self, int n, const uint32_t *mask)
{
	self->inited = true;
	return sep_duo_init_sources(&self->d, n, mask);
}

/* Drain every wait, then disarm the triggers and compare the ready order. */
static int finish(struct sep_duo *d, int max, int calls)
{
	int c;

	for (c = 0; c < calls; c++)
		sep_duo_wait(d, max, 0, NULL);
	sep_duo_src_disarm(d);
	sep_duo_order(d, NULL);
	return d->diffs;
}

/* Every pair of bits as source mask, against four kinds of interest. */
TEST_F(src, pairs)
{
	uint32_t pm[64], im[64];
	int round, i, j, n;

	for (round = 0; round < 4; round++) {
		n = 0;
		for (i = 0; i < NBITS; i++)
			for (j = i + 1; j < NBITS; j++) {
				uint32_t bi = bit_list[i], bj = bit_list[j];
				const uint32_t in[4] = {
					bi, bj, bi | bj, all_bits & ~(bi | bj),
				};

				pm[n] = bi | bj;
				im[n] = in[(round + n) % 4];
				n++;
			}
		ASSERT_EQ(0, dsetup(self, n, NULL));
		for (i = 0; i < n; i++)
			sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i,
				    im[i] | variant->mode);
		/* Raise in a scrambled order with keys of all kinds. */
		for (i = 0; i < n; i++) {
			int k = (i * 7 + round) % n;
			const uint32_t keys[4] = { 0, pm[k], im[k], pm[k] & ~im[k] };

			sep_duo_src_change(&self->d, k, SET, pm[k],
					   keys[(i + round) % 4], 0);
			if (i % 9 == 8)
				sep_duo_wait(&self->d, 3, 0, NULL);
		}
		EXPECT_EQ(0, finish(&self->d, 7, 8)) TH_LOG("round %d", round);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/* Random source masks, interests, keys and ops (fixed seed). */
TEST_F(src, random_combos)
{
	uint32_t im[16];
	int round, step, i;

	prng_state = 0x5eed0000c0ffeeull + variant->mode;
	for (round = 0; round < 12; round++) {
		ASSERT_EQ(0, dsetup(self, 16, NULL));
		for (i = 0; i < 16; i++) {
			im[i] = prng_mask();
			sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i,
				    im[i] | variant->mode);
		}
		for (step = 0; step < 40; step++) {
			uint32_t mask = prng_mask(), key;
			uint32_t op = prng(3);

			i = (int)prng(16);
			switch (prng(4)) {
			case 0:
				key = 0;
				break;
			case 1:
				key = mask;
				break;
			case 2:
				key = im[i];
				break;
			default:
				key = prng_mask();
			}
			sep_duo_src_change(&self->d, i, op, mask, key, 0);
			if (prng(3) == 0)
				sep_duo_wait(&self->d, 1 + (int)prng(6), 0, NULL);
			if (prng(12) == 0)
				sep_duo_ctl(&self->d, EPOLL_CTL_MOD, i,
					    im[i] | variant->mode);
		}
		EXPECT_EQ(0, finish(&self->d, 4, 6)) TH_LOG("round %d", round);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/* Interest IN|OUT: keys inside, partly inside, outside, 0, automatic. */
TEST_F(src, key_intersection)
{
	static const uint32_t keys[] = {
		0, EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLPRI,
		EPOLLPRI | EPOLLIN, EPOLLHUP, EPOLLERR, EPOLLRDNORM, EPOLLMSG,
		EPOLLRDHUP | EPOLLWRBAND,
	};
	const int n = (int)ARRAY_SIZE(keys);
	struct sep_call rec;
	int i;

	ASSERT_EQ(0, dsetup(self, n, NULL));
	for (i = 0; i < n; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i,
			    EPOLLIN | EPOLLOUT | variant->mode);
	for (i = 0; i < n; i++)
		sep_duo_src_change(&self->d, i, SET, EPOLLIN | EPOLLPRI, keys[i], 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 16, 0, &rec));
	/* Keys PRI, RDNORM, MSG and RDHUP|WRBAND miss the interest. */
	EXPECT_REAL_ORDER(&rec, "A B C D F G H");
	EXPECT_EQ(0, finish(&self->d, 3, 4));
}

/* NOWAKE changes: nothing queued; a queued item's re-poll sees the mask. */
TEST_F(src, nowake)
{
	uint32_t m[3] = { 0, EPOLLIN, 0 };

	ASSERT_EQ(0, dsetup(self, 3, m));
	sep_duo_ctl(&self->d, EPOLL_CTL_ADD, 0, EPOLLIN | variant->mode);
	sep_duo_ctl(&self->d, EPOLL_CTL_ADD, 1, EPOLLIN | EPOLLOUT | variant->mode);
	sep_duo_ctl(&self->d, EPOLL_CTL_ADD, 2, EPOLLIN | variant->mode);
	sep_duo_src_change(&self->d, 0, OR, EPOLLIN, EPOLLIN,
			   SHADOW_EPOLL_SRC_NOWAKE);
	sep_duo_src_change(&self->d, 1, OR, EPOLLOUT, 0, SHADOW_EPOLL_SRC_NOWAKE);
	sep_duo_src_change(&self->d, 2, OR, EPOLLIN, EPOLLIN,
			   SHADOW_EPOLL_SRC_SYNC);
	sep_duo_wait(&self->d, 4, 0, NULL);
	sep_duo_src_change(&self->d, 1, CLEAR, EPOLLIN | EPOLLOUT, 0,
			   SHADOW_EPOLL_SRC_NOWAKE);
	sep_duo_wait(&self->d, 4, 0, NULL);
	/* MOD re-polls and finds the NOWAKE change. */
	sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 0, EPOLLIN | variant->mode);
	EXPECT_EQ(0, finish(&self->d, 4, 3));
}

/* POLLFREE: processed as EPOLLHUP, then the queue is retired. */
TEST_F(src, pollfree)
{
	uint32_t m[3] = { EPOLLIN, 0, EPOLLOUT };
	int i;

	ASSERT_EQ(0, dsetup(self, 3, m));
	for (i = 0; i < 3; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	sep_duo_wait(&self->d, 4, 0, NULL);
	sep_duo_src_change(&self->d, 1, SHADOW_EPOLL_SRC_POLLFREE, EPOLLIN,
			   EPOLLIN, 0);
	sep_duo_src_change(&self->d, 2, SHADOW_EPOLL_SRC_POLLFREE, 0, 0, 0);
	sep_duo_wait(&self->d, 4, 0, NULL);
	/* No callback any more from the retired queues. */
	sep_duo_src_change(&self->d, 2, SET, EPOLLIN, EPOLLIN, 0);
	sep_duo_src_change(&self->d, 0, SET, EPOLLIN, EPOLLIN, 0);
	sep_duo_wait(&self->d, 4, 0, NULL);
	sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 2, EPOLLIN | variant->mode);
	EXPECT_EQ(0, finish(&self->d, 4, 3));
}

/*
 * Raise chain: A's re-poll raises B, B's raises C, C's D, D's E.  With
 * maxevents 1 each scan adds one overflow arrival behind the leftovers.
 */
TEST_F(src, raise_chain)
{
	int max;

	for (max = 1; max <= 3; max++) {
		uint32_t m[5] = { EPOLLIN };
		int i;

		ASSERT_EQ(0, dsetup(self, 5, m));
		for (i = 0; i < 5; i++)
			sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i,
				    EPOLLIN | variant->mode);
		for (i = 0; i < 4; i++)
			sep_duo_src_trigger(&self->d, i, i + 1, 1, OR, EPOLLIN,
					    EPOLLIN, 0);
		EXPECT_EQ(0, finish(&self->d, max, 7)) TH_LOG("max %d", max);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/*
 * Overflow order: six ready items each raise a different idle item during
 * one scan (in reverse index order), so the overflow list holds several
 * arrivals; its drain order decides the next calls and the ready list.
 */
TEST_F(src, overflow_order)
{
	int max;

	for (max = 2; max <= 7; max++) {
		uint32_t m[12] = { EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN,
				   EPOLLIN };
		struct sep_call rec;
		int i;

		ASSERT_EQ(0, dsetup(self, 12, m));
		for (i = 0; i < 12; i++)
			sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i,
				    EPOLLIN | variant->mode);
		for (i = 0; i < 6; i++)
			sep_duo_src_trigger(&self->d, i, 11 - i, 1, OR, EPOLLIN,
					    i & 1 ? 0 : EPOLLIN, 0);
		EXPECT_EQ(0, sep_duo_wait(&self->d, max, 0, &rec));
		if (max == 6 && !variant->mode)
			EXPECT_REAL_ORDER(&rec, "A B C D E F");
		EXPECT_EQ(0, sep_duo_wait(&self->d, max, 0, &rec));
		if (max == 6 && !variant->mode)
			EXPECT_REAL_ORDER(&rec, "L K J I H G");
		EXPECT_EQ(0, finish(&self->d, max, 3)) TH_LOG("max %d", max);
		sep_duo_fini(&self->d);
		self->inited = false;
	}
}

/*
 * Arrivals for items that are still linked (leftovers, LT re-queues) keep
 * their place; arrivals for delivered ET/ONESHOT items are re-queued.
 */
TEST_F(src, overflow_linked_targets)
{
	uint32_t m[6] = { EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN, 0 };
	int i;

	ASSERT_EQ(0, dsetup(self, 6, m));
	for (i = 0; i < 6; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	/* B raises A (delivered), C raises E (leftover), D raises F (idle). */
	sep_duo_src_trigger(&self->d, 1, 0, 1, OR, EPOLLIN, EPOLLIN, 0);
	sep_duo_src_trigger(&self->d, 2, 4, 2, OR, EPOLLIN, 0, 0);
	sep_duo_src_trigger(&self->d, 3, 5, 1, OR, EPOLLIN, EPOLLIN, 0);
	sep_duo_wait(&self->d, 4, 0, NULL);
	sep_duo_src_trigger(&self->d, 4, 2, 1, OR, EPOLLIN | EPOLLOUT, 0, 0);
	EXPECT_EQ(0, finish(&self->d, 2, 5));
}

/* A source raising itself while pending: the ET duplicate quirk (§2.5 g). */
TEST_F(src, self_trigger)
{
	uint32_t m[4] = { EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN };
	int i;

	ASSERT_EQ(0, dsetup(self, 4, m));
	for (i = 0; i < 4; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	sep_duo_src_trigger(&self->d, 2, 2, 2, OR, EPOLLIN, EPOLLIN, 0);
	sep_duo_src_trigger(&self->d, 0, 0, 1, OR, EPOLLIN, 0, 0);
	EXPECT_EQ(0, finish(&self->d, 3, 4));
}

/* A re-poll clears a pending item: its re-poll is 0, it is not counted. */
TEST_F(src, trigger_clear_pending)
{
	uint32_t m[5] = { EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN, EPOLLIN };
	struct sep_call rec;
	int i;

	ASSERT_EQ(0, dsetup(self, 5, m));
	for (i = 0; i < 5; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	sep_duo_src_trigger(&self->d, 0, 1, 1, CLEAR, EPOLLIN, 0, 0);
	sep_duo_src_trigger(&self->d, 2, 3, 1, SET, EPOLLOUT, EPOLLOUT, 0);
	EXPECT_EQ(0, sep_duo_wait(&self->d, 2, 0, &rec));
	EXPECT_REAL_ORDER(&rec, "A C");
	EXPECT_EQ(0, finish(&self->d, 2, 4));
}

/* MOD re-polls (fires a trigger); ADD's first poll registers (does not). */
TEST_F(src, trigger_mod_repoll)
{
	uint32_t m[4] = { 0, 0, EPOLLIN, 0 };
	int i;

	ASSERT_EQ(0, dsetup(self, 4, m));
	sep_duo_src_trigger(&self->d, 2, 3, 2, OR, EPOLLIN, EPOLLIN, 0);
	sep_duo_src_trigger(&self->d, 0, 1, 3, OR, EPOLLIN, 0, 0);
	for (i = 0; i < 4; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	sep_duo_wait(&self->d, 1, 0, NULL);
	sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 0, EPOLLIN | EPOLLOUT | variant->mode);
	sep_duo_wait(&self->d, 1, 0, NULL);
	sep_duo_ctl(&self->d, EPOLL_CTL_MOD, 0, EPOLLIN | variant->mode);
	EXPECT_EQ(0, finish(&self->d, 1, 6));
}

/* poll(2) on the instance scans too: triggers fire, stale items pruned. */
TEST_F(src, trigger_instance_poll)
{
	uint32_t m[5] = { EPOLLIN, 0, EPOLLIN, 0, 0 };
	short rev[2];
	int i, s, r[2], e[2];

	ASSERT_EQ(0, dsetup(self, 5, m));
	for (i = 0; i < 5; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	sep_duo_src_change(&self->d, 0, CLEAR, EPOLLIN, 0,
			   SHADOW_EPOLL_SRC_NOWAKE);
	sep_duo_src_trigger(&self->d, 0, 3, 1, OR, EPOLLIN, EPOLLIN, 0);
	sep_duo_src_trigger(&self->d, 2, 4, 1, OR, EPOLLIN, 0, 0);
	for (i = 0; i < 2; i++) {
		for (s = 0; s < 2; s++) {
			struct pollfd p = { .fd = self->d.s[s].ep, .events = POLLIN };

			errno = 0;
			r[s] = poll(&p, 1, 0);
			e[s] = errno;
			rev[s] = p.revents;
		}
		EXPECT_EQ(0, sep_cmp_result("poll(instance)", r[0], e[0], r[1], e[1]));
		EXPECT_EQ(rev[0], rev[1]);
	}
	EXPECT_EQ(0, finish(&self->d, 2, 4));
}

/*
 * Nested: the sources sit in an inner instance watched by the outer one;
 * the outer scan polls the inner, whose scan re-polls and fires triggers.
 */
TEST_F(src, trigger_nested)
{
	uint32_t m[4] = { EPOLLIN, 0, 0, 0 };
	struct sep_duo outer;
	int i, s, r[2], e[2];

	ASSERT_EQ(0, dsetup(self, 4, m));
	ASSERT_EQ(0, sep_duo_init(&outer, 0, SEP_EVENTFD));
	for (i = 0; i < 4; i++)
		sep_duo_ctl(&self->d, EPOLL_CTL_ADD, i, EPOLLIN | variant->mode);
	for (i = 0; i < 3; i++)
		sep_duo_src_trigger(&self->d, i, i + 1, 1, OR, EPOLLIN, EPOLLIN, 0);
	for (s = 0; s < 2; s++) {
		struct epoll_event ev = {
			.events = EPOLLIN | variant->mode,
			.data.u64 = sep_data(9),
		};

		errno = 0;
		r[s] = outer.s[s].b->ctl(outer.s[s].ep, EPOLL_CTL_ADD,
					 self->d.s[s].ep, &ev);
		e[s] = errno;
		/* Let the duo helpers see the inner instance as item 0. */
		outer.s[s].src[0].rfd = self->d.s[s].ep;
	}
	EXPECT_EQ(0, sep_cmp_result("ADD inner", r[0], e[0], r[1], e[1]));
	for (i = 0; i < 3; i++) {
		sep_duo_wait(&outer, 2, 0, NULL);
		sep_duo_wait(&self->d, 1, 0, NULL);
	}
	sep_duo_ctl(&outer, EPOLL_CTL_MOD, 0, EPOLLIN | variant->mode);
	sep_duo_wait(&outer, 2, 0, NULL);
	for (s = 0; s < 2; s++)
		outer.s[s].src[0].rfd = -1;
	EXPECT_EQ(0, outer.diffs);
	sep_duo_fini(&outer);
	EXPECT_EQ(0, finish(&self->d, 2, 4));
}

SEP_REQUIRE_SHADOW_MAIN
