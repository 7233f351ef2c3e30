// SPDX-License-Identifier: GPL-2.0-only
/*
 * sep_stress: concurrent stress of one shadow epoll instance with an exact
 * conservation check.
 *
 *   sep_stress [-t SEC] [-w WAITERS] [-p PRODUCERS] [-c CHAOS] [-s SEED] [-k] [-v]
 *   sep_stress -X SEC     (shadow <-> in-tree epoll cycle, see cycle_test())
 *
 * -k runs the same load against in-tree epoll (sources still come from
 * /dev/shadow_epoll when it exists), to validate the test itself.
 *
 * Conservation groups, all on the shared instance:
 *   G1  eventfds, EPOLLIN|EPOLLET|EPOLLONESHOT.  Producers write(1).  The
 *       waiter that receives the event owns the fd until it re-arms it: it
 *       read()s the accumulated count (must be > 0: nobody else can read it
 *       while the item is disarmed) and re-arms with EPOLL_CTL_MOD, which
 *       re-polls the file, so a write racing with the read is never lost.
 *   G2  eventfds, EPOLLIN|EPOLLET.  Any waiter may get an edge; it reads
 *       (EAGAIN allowed: another waiter drained the counter first).
 *   G3  synthetic sources, EPOLLIN|EPOLLET|EPOLLONESHOT.  A producer bumps a
 *       user counter, then ORs EPOLLIN into the source's mask (waking with
 *       key 0 or EPOLLIN).  The receiving waiter clears EPOLLIN (no wake-up),
 *       takes the counter with an atomic exchange and re-arms with MOD.
 *       Events with a zero counter are possible (benign race), losses not.
 * In G1 and G3 a waiter owns the item from the event until its re-arm: it
 * sets the item's owner flag on receipt and clears it just before the MOD.
 * Finding the flag already set is a ONESHOT item delivered twice (a read
 * or exchange cannot see that: a later write may have refilled the count).
 * After the run the producers stop, waiters drain until every group's sum
 * of reads equals its sum of writes (or no progress for 5 s), and every
 * counter must be zero: anything left is a lost wake-up.
 *
 * Chaos on the same instance, concurrently: threads that add/mod/del their
 * own eventfds, pipes and sources with random masks (LT, ET, ONESHOT,
 * EXCLUSIVE), close them while registered, dup/dup2 them, signal them,
 * retire a source's wait queue (POLLFREE); a poller that poll()s the
 * instance and dumps its ready list / interest set / fdinfo; a nester that
 * puts the instance inside other instances and other instances inside it,
 * and closes them while nested.  Every errno is checked against the set the
 * call may legitimately return.
 *
 * Output: "stress: <ops> ops, <events> events, <lost> lost"; exit 0 only
 * if nothing was lost and no call failed unexpectedly.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#include "sep_rel.h"

#define NG1	16
#define NG2	8
#define NG3	8
#define NSLOT	16
#define MAXW	16

#define KIND_G1		1ULL
#define KIND_G2		2ULL
#define KIND_G3		3ULL
#define KIND_CHAOS	4ULL
#define KIND_NEST	5ULL
#define DATA(kind, idx)	(((kind) << 56) | 0x00a5a5a500000000ULL | (idx))
#define DATA_KIND(d)	((d) >> 56)
#define DATA_MAGIC_OK(d) (((d) & 0x00ffffff00000000ULL) == 0x00a5a5a500000000ULL)

static struct rel_ep B;
static int ep;			/* the shared instance */
static bool have_src;
static int g1[NG1], g2[NG2], g3[NG3];
static _Atomic uint64_t g1_w[NG1], g1_r[NG1], g2_w[NG2], g2_r[NG2];
static _Atomic uint64_t g3_w[NG3], g3_r[NG3], g3_pend[NG3];
static atomic_bool g1_owned[NG1], g3_owned[NG3];
static _Atomic uint64_t ops, events, g2_empty, g3_zero, nest_events;
static _Atomic int errors;
static atomic_bool stop_chaos, stop_prod, stop_all;
static int verbose;

#define G1_EV (EPOLLIN | EPOLLET | EPOLLONESHOT)
#define G2_EV (EPOLLIN | EPOLLET)
#define G3_EV (EPOLLIN | EPOLLET | EPOLLONESHOT)

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rel_vreport(atomic_fetch_add(&errors, 1), "stress", fmt, ap);
	va_end(ap);
}

#define CHECK(call, what, ...) do {					\
	static const int ok_[] = { __VA_ARGS__, 0 };			\
	atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);	\
	if ((call) < 0 && !rel_err_in(errno, ok_))				\
		fail("%s: unexpected errno %d (%s) at line %d", what,	\
		     errno, strerror(errno), __LINE__);			\
} while (0)

/* ---------------------------------------------------------------- producers */

struct targ {
	int id;
	uint64_t seed;
};

static void *producer(void *p)
{
	struct targ *t = p;
	uint64_t s = t->seed;
	uint64_t one = 1;

	while (!atomic_load(&stop_prod)) {
		uint32_t g = rel_below(&s, have_src ? 3 : 2), i;

		if (g == 0) {
			i = rel_below(&s, NG1);
			atomic_fetch_add(&g1_w[i], 1);
			if (write(g1[i], &one, 8) != 8) {
				fail("G1 write: %s", strerror(errno));
				atomic_fetch_sub(&g1_w[i], 1);
			}
		} else if (g == 1) {
			i = rel_below(&s, NG2);
			atomic_fetch_add(&g2_w[i], 1);
			if (write(g2[i], &one, 8) != 8) {
				fail("G2 write: %s", strerror(errno));
				atomic_fetch_sub(&g2_w[i], 1);
			}
		} else {
			uint32_t key = rel_below(&s, 2) ? 0 : EPOLLIN | EPOLLRDNORM;
			uint32_t fl = rel_below(&s, 2) ? SHADOW_EPOLL_SRC_SYNC : 0;

			i = rel_below(&s, NG3);
			atomic_fetch_add(&g3_w[i], 1);
			atomic_fetch_add(&g3_pend[i], 1);
			if (shep_source_change(g3[i], SHADOW_EPOLL_SRC_OR, EPOLLIN,
					   key, fl) < 0)
				fail("G3 SRC_OR: %s", strerror(errno));
		}
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
		if (rel_below(&s, 64) == 0)
			sched_yield();
	}
	return NULL;
}

/* ------------------------------------------------------------------ waiters */

static void handle(struct epoll_event *e)
{
	uint64_t d = e->data.u64, kind = DATA_KIND(d), v;
	uint32_t i = (uint32_t)d;
	ssize_t r;

	if (!DATA_MAGIC_OK(d) || kind < KIND_G1 || kind > KIND_NEST) {
		fail("event with garbage data %#llx events %#x",
		     (unsigned long long)d, e->events);
		return;
	}
	switch (kind) {
	case KIND_G1:
		if (i >= NG1 || !(e->events & EPOLLIN)) {
			fail("G1 bad event %#x idx %u", e->events, i);
			return;
		}
		if (atomic_exchange(&g1_owned[i], true))
			fail("G1[%u]: oneshot event delivered while another waiter owns the item",
			     i);
		r = read(g1[i], &v, 8);
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
		if (r == 8)
			atomic_fetch_add(&g1_r[i], v);
		else
			fail("G1[%u]: oneshot event but read gave %zd (%s): spurious or doubled delivery",
			     i, r, strerror(errno));
		atomic_store(&g1_owned[i], false);
		CHECK(rel_ctl(&B, ep, EPOLL_CTL_MOD, g1[i], G1_EV,
			      DATA(KIND_G1, i)), "G1 re-arm MOD", -1);
		break;
	case KIND_G2:
		if (i >= NG2 || !(e->events & EPOLLIN)) {
			fail("G2 bad event %#x idx %u", e->events, i);
			return;
		}
		r = read(g2[i], &v, 8);
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
		if (r == 8)
			atomic_fetch_add(&g2_r[i], v);
		else if (errno == EAGAIN)
			atomic_fetch_add(&g2_empty, 1);
		else
			fail("G2 read: %s", strerror(errno));
		break;
	case KIND_G3:
		if (i >= NG3 || !(e->events & EPOLLIN)) {
			fail("G3 bad event %#x idx %u", e->events, i);
			return;
		}
		if (atomic_exchange(&g3_owned[i], true))
			fail("G3[%u]: oneshot event delivered while another waiter owns the item",
			     i);
		CHECK(shep_source_change(g3[i], SHADOW_EPOLL_SRC_CLEAR, EPOLLIN, 0,
				     SHADOW_EPOLL_SRC_NOWAKE), "G3 SRC_CLEAR", -1);
		v = atomic_exchange(&g3_pend[i], 0);
		if (v)
			atomic_fetch_add(&g3_r[i], v);
		else
			atomic_fetch_add(&g3_zero, 1);
		atomic_store(&g3_owned[i], false);
		CHECK(rel_ctl(&B, ep, EPOLL_CTL_MOD, g3[i], G3_EV,
			      DATA(KIND_G3, i)), "G3 re-arm MOD", -1);
		break;
	case KIND_NEST:
		atomic_fetch_add(&nest_events, 1);
		break;
	}
}

static void *waiter(void *p)
{
	struct targ *t = p;
	uint64_t s = t->seed;
	struct epoll_event evs[4];

	while (!atomic_load(&stop_all)) {
		int max = 1 + rel_below(&s, 4), n, k;

		n = rel_wait(&B, ep, evs, max, 20);
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
		if (n < 0) {
			if (errno != EINTR)
				fail("wait: %s", strerror(errno));
			continue;
		}
		if (n > max) {
			fail("wait returned %d > maxevents %d", n, max);
			continue;
		}
		atomic_fetch_add(&events, n);
		for (k = 0; k < n; k++)
			handle(&evs[k]);
	}
	return NULL;
}

/* -------------------------------------------------------------------- chaos */

enum { OBJ_NONE, OBJ_EFD, OBJ_PIPE_R, OBJ_PIPE_W, OBJ_SRC, OBJ_SOCK };

struct slot {
	int fd;
	int type;
};

static int new_obj(uint64_t *s, struct slot *sl, struct slot *peer)
{
	int pfd[2], t = 1 + rel_below(s, have_src ? 5 : 4);

	if (t == OBJ_SRC && !have_src)
		t = OBJ_EFD;
	switch (t) {
	case OBJ_EFD:
		sl->fd = eventfd(rel_below(s, 2), EFD_NONBLOCK | EFD_CLOEXEC);
		break;
	case OBJ_PIPE_R:
	case OBJ_PIPE_W:
		if (pipe2(pfd, O_NONBLOCK | O_CLOEXEC) < 0) {
			sl->fd = -1;
			break;
		}
		sl->fd = pfd[t == OBJ_PIPE_R ? 0 : 1];
		/* the other end goes to the peer slot (closed first) */
		if (peer->fd >= 0)
			close(peer->fd);
		peer->fd = pfd[t == OBJ_PIPE_R ? 1 : 0];
		peer->type = t == OBJ_PIPE_R ? OBJ_PIPE_W : OBJ_PIPE_R;
		break;
	case OBJ_SRC:
		sl->fd = shep_source(O_CLOEXEC, rel_below(s, 2) ? EPOLLIN : 0);
		break;
	case OBJ_SOCK:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       0, pfd) < 0) {
			sl->fd = -1;
			break;
		}
		sl->fd = pfd[0];
		if (peer->fd >= 0)
			close(peer->fd);
		peer->fd = pfd[1];
		peer->type = OBJ_SOCK;
		break;
	}
	atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
	if (sl->fd < 0) {
		fail("chaos: creating object type %d: %s", t, strerror(errno));
		sl->type = OBJ_NONE;
		return -1;
	}
	sl->type = t;
	return 0;
}

static const uint32_t chaos_masks[] = {
	EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLET,
	EPOLLOUT | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLET | EPOLLONESHOT,
	EPOLLIN | EPOLLEXCLUSIVE, EPOLLIN | EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET,
	EPOLLIN | EPOLLRDHUP, EPOLLPRI, 0, EPOLLHUP | EPOLLERR,
};

static void *chaos(void *p)
{
	struct targ *t = p;
	uint64_t s = t->seed;
	struct slot sl[NSLOT];
	uint64_t v = 1;
	char buf[256];
	int i;

	for (i = 0; i < NSLOT; i++)
		sl[i].fd = -1, sl[i].type = OBJ_NONE;

	while (!atomic_load(&stop_chaos)) {
		uint32_t a = rel_below(&s, NSLOT), b = rel_below(&s, NSLOT);
		struct slot *x = &sl[a], *y = &sl[b];
		uint32_t m = chaos_masks[rel_below(&s, sizeof(chaos_masks) / sizeof(chaos_masks[0]))];
		uint64_t data = DATA(KIND_CHAOS, rel_below(&s, 1u << 20));

		if (x->fd < 0) {
			new_obj(&s, x, a != b ? y : &sl[(a + 1) % NSLOT]);
			continue;
		}
		switch (rel_below(&s, 12)) {
		case 0: case 1: case 2:
			CHECK(rel_ctl(&B, ep, EPOLL_CTL_ADD, x->fd, m, data),
			      "chaos ADD", EEXIST);
			break;
		case 3: case 4:
			CHECK(rel_ctl(&B, ep, EPOLL_CTL_MOD, x->fd, m & ~EPOLLEXCLUSIVE,
				      data), "chaos MOD", ENOENT, EINVAL);
			break;
		case 5:
			CHECK(rel_ctl(&B, ep, EPOLL_CTL_DEL, x->fd, 0, 0),
			      "chaos DEL", ENOENT);
			break;
		case 6:	/* close while (maybe) registered, re-create */
			CHECK(close(x->fd), "chaos close", -1);
			x->fd = -1;
			x->type = OBJ_NONE;
			break;
		case 7:	/* dup: same file, another fd number */
			if (y->fd >= 0 && a != b)
				CHECK(close(y->fd), "chaos close", -1);
			if (a != b) {
				y->fd = fcntl(x->fd, F_DUPFD_CLOEXEC, 0);
				y->type = x->type;
				CHECK(y->fd, "chaos dup", -1);
			}
			break;
		case 8:	/* dup2 x's file onto y's number (y's file may die) */
			if (y->fd >= 0 && a != b) {
				CHECK(dup3(x->fd, y->fd, O_CLOEXEC), "chaos dup3", -1);
				y->type = x->type;
			}
			break;
		case 9: case 10:	/* signal it */
			switch (x->type) {
			case OBJ_EFD:
				if (rel_below(&s, 2))
					CHECK(write(x->fd, &v, 8), "chaos efd write", EAGAIN);
				else
					CHECK(read(x->fd, &v, 8), "chaos efd read", EAGAIN);
				v = 1;
				break;
			case OBJ_PIPE_W:
			case OBJ_SOCK:
				CHECK(write(x->fd, buf, 1 + rel_below(&s, sizeof(buf))),
				      "chaos write", EAGAIN, EPIPE, ECONNRESET);
				if (x->type == OBJ_PIPE_W)
					break;
				/* fallthrough */
			case OBJ_PIPE_R:
				CHECK(read(x->fd, buf, sizeof(buf)), "chaos read",
				      EAGAIN, ECONNRESET);
				break;
			case OBJ_SRC: {
				uint32_t op = rel_below(&s, 16) ? rel_below(&s, 3)
								: SHADOW_EPOLL_SRC_POLLFREE;

				CHECK(shep_source_change(x->fd, op,
						     chaos_masks[rel_below(&s, 13)],
						     rel_below(&s, 2) ? 0 : (uint32_t)rel_rand(&s),
						     rel_below(&s, 4)),
				      "chaos SRC_SET", -1);
				break;
			}
			}
			break;
		case 11:	/* trigger: when x is re-polled, change y (own source) */
			if (x->type == OBJ_SRC && y->type == OBJ_SRC) {
				uint32_t count = rel_below(&s, 4);
				uint32_t op = rel_below(&s, 3);
				uint32_t fl = rel_below(&s, 2);

				CHECK(shep_source_trigger(x->fd, y->fd, count, op,
							  EPOLLIN | EPOLLOUT, 0, fl),
				      "chaos SRC_TRIGGER", -1);
			}
			break;
		}
	}
	for (i = 0; i < NSLOT; i++)
		if (sl[i].fd >= 0)
			close(sl[i].fd);
	return NULL;
}

/* ------------------------------------------------------------------- poller */

static void *poller(void *p)
{
	struct targ *t = p;
	uint64_t s = t->seed;
	struct shadow_epoll_ready_entry re[8];
	struct shadow_epoll_interest_entry ie[8];
	char path[64], buf[4096];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	while (!atomic_load(&stop_chaos)) {
		struct pollfd pf = { .fd = ep, .events = POLLIN };
		unsigned int cap = rel_below(&s, 9), fl;
		int r;

		switch (rel_below(&s, 4)) {
		case 0:
			r = poll(&pf, 1, rel_below(&s, 3));
			CHECK(r, "poll instance", EINTR);
			if (r > 0 && (pf.revents & ~(POLLIN | POLLRDNORM)))
				fail("poll instance revents %#x", pf.revents);
			break;
		case 1:
			if (B.kernel)
				break;
			CHECK(r = shep_ready(ep, re, cap, &fl), "READY", -1);
			if (r >= 0 && (fl & ~SHADOW_EPOLL_DUMP_SCANNING))
				fail("READY dump flags %#x", fl);
			break;
		case 2:
			if (B.kernel)
				break;
			CHECK(shep_interest(ep, ie, cap), "INTEREST", -1);
			break;
		case 3:
			fd = open(path, O_RDONLY | O_CLOEXEC);
			CHECK(fd, "open fdinfo", -1);
			if (fd >= 0) {
				while ((r = read(fd, buf, sizeof(buf))) > 0)
					;
				CHECK(r, "read fdinfo", -1);
				close(fd);
			}
			break;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------- nester */

static void *nester(void *p)
{
	struct targ *t = p;
	uint64_t s = t->seed;
	struct epoll_event evs[4];
	uint64_t one = 1;

	while (!atomic_load(&stop_chaos)) {
		int outer = rel_create(&B), inner = rel_create(&B);
		int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), r;

		CHECK(outer, "nest create", -1);
		CHECK(inner, "nest create", -1);
		CHECK(efd, "nest eventfd", -1);
		if (outer < 0 || inner < 0 || efd < 0)
			goto out;
		/* ep inside outer: outer's waits poll ep (and its items) */
		r = rel_ctl(&B, outer, EPOLL_CTL_ADD, ep, EPOLLIN |
			    (rel_below(&s, 2) ? EPOLLET : 0), DATA(KIND_NEST, 0));
		CHECK(r, "nest ADD ep->outer", -1);
		/* the cycle must be refused */
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
		if (r == 0 &&
		    rel_ctl(&B, ep, EPOLL_CTL_ADD, outer, EPOLLIN, DATA(KIND_NEST, 1)) == 0)
			fail("nest: ADD outer->ep accepted a cycle");
		else if (r == 0 && errno != ELOOP)
			fail("nest: cycle ADD gave errno %d (%s), not ELOOP", errno,
			     strerror(errno));
		/* inner inside ep, an eventfd inside inner */
		CHECK(rel_ctl(&B, inner, EPOLL_CTL_ADD, efd, EPOLLIN, 7), "nest ADD efd", -1);
		CHECK(rel_ctl(&B, ep, EPOLL_CTL_ADD, inner, EPOLLIN |
			      (rel_below(&s, 2) ? EPOLLONESHOT : 0), DATA(KIND_NEST, 2)),
		      "nest ADD inner->ep", -1);
		CHECK(write(efd, &one, 8), "nest write", -1);
		CHECK(rel_wait(&B, outer, evs, 1 + rel_below(&s, 4), rel_below(&s, 2)),
		      "nest wait outer", EINTR);
		if (rel_below(&s, 2))
			CHECK(rel_ctl(&B, ep, EPOLL_CTL_DEL, inner, 0, 0), "nest DEL", -1);
out:
		/* closes while nested: the __fput path removes the registrations */
		if (rel_below(&s, 2)) {
			if (inner >= 0)
				close(inner);
			if (outer >= 0)
				close(outer);
		} else {
			if (outer >= 0)
				close(outer);
			if (inner >= 0)
				close(inner);
		}
		if (efd >= 0)
			close(efd);
		usleep(rel_below(&s, 2000));
	}
	return NULL;
}

/* ------------------------------------------------- cross-implementation cycle */

/*
 * -X: a cycle through a real epoll (shadow S watches real epoll R, R watches
 * S; the module cannot refuse it, see README "Known differences") with a
 * ready eventfd in each, and two threads scanning it from both ends:
 * epoll_wait(R) holds R's mutex and polls S; the shadow wait on S holds S's
 * mutex and polls R.  Fails if either side stops making progress (a
 * deadlock leaves both threads in uninterruptible sleep: the process cannot
 * exit, the VM's hung-task detector reports it).
 */
static _Atomic uint64_t x_prog[2];

static void *x_real(void *p)
{
	int r = *(int *)p;
	struct epoll_event ev[2];

	while (!atomic_load(&stop_all)) {
		epoll_wait(r, ev, 2, 0);
		atomic_fetch_add(&x_prog[0], 1);
	}
	return NULL;
}

static void *x_shadow(void *p)
{
	int sh = *(int *)p;
	struct epoll_event ev[2];

	while (!atomic_load(&stop_all)) {
		rel_wait(&B, sh, ev, 2, 0);
		atomic_fetch_add(&x_prog[1], 1);
	}
	return NULL;
}

static int cycle_test(int secs)
{
	int r = epoll_create1(EPOLL_CLOEXEC), sh = ep;
	int e1 = eventfd(1, EFD_CLOEXEC), e2 = eventfd(1, EFD_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t t1, t2;
	uint64_t last[2] = { 0, 0 };
	double t0 = shep_now_s(), tp = shep_now_s();

	if (r < 0 || e1 < 0 || e2 < 0 ||
	    rel_ctl(&B, sh, EPOLL_CTL_ADD, r, EPOLLIN, 1) ||
	    rel_ctl(&B, sh, EPOLL_CTL_ADD, e2, EPOLLIN, 2) ||
	    epoll_ctl(r, EPOLL_CTL_ADD, sh, &ev) ||
	    epoll_ctl(r, EPOLL_CTL_ADD, e1, &ev)) {
		perror("stress: cycle setup");
		return 1;
	}
	printf("stress: cycle shadow <-> in-tree epoll, %d s\n", secs);
	pthread_create(&t1, NULL, x_real, &r);
	pthread_create(&t2, NULL, x_shadow, &sh);
	while (shep_now_s() - t0 < secs) {
		uint64_t a = atomic_load(&x_prog[0]), b = atomic_load(&x_prog[1]);

		if (a != last[0] && b != last[1]) {
			last[0] = a, last[1] = b;
			tp = shep_now_s();
		} else if (shep_now_s() - tp > 10) {
			printf("stress: FAIL: cycle: no progress for 10 s (real %llu, shadow %llu scans): deadlock\n",
			       (unsigned long long)a, (unsigned long long)b);
			fflush(NULL);
			_exit(1);
		}
		usleep(100000);
	}
	atomic_store(&stop_all, true);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("stress: cycle: %llu real scans, %llu shadow scans, no deadlock\n",
	       (unsigned long long)x_prog[0], (unsigned long long)x_prog[1]);
	return 0;
}

/* --------------------------------------------------------------------- main */

static uint64_t sum(_Atomic uint64_t *a, int n)
{
	uint64_t t = 0;

	while (n--)
		t += atomic_load(&a[n]);
	return t;
}

static void usage(void)
{
	fprintf(stderr, "usage: sep_stress [-t sec] [-w waiters] [-p producers] "
		"[-c chaos] [-s seed] [-k] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int secs = 10, nw = 4, np = 3, nc = 2, opt, i, cycle = 0;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
	pthread_t th[64];
	struct targ ta[64];
	int nth = 0, first_waiter, first_prod;
	uint64_t w, r, last, lost = 0, v;
	double t0, tend, tprog;

	while ((opt = getopt(argc, argv, "t:w:p:c:s:kvX:")) != -1) {
		switch (opt) {
		case 'X': cycle = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'w': nw = atoi(optarg); break;
		case 'p': np = atoi(optarg); break;
		case 'c': nc = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'k': B.kernel = true; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (nw < 1 || nw > MAXW || np < 1 || np > 16 || nc < 0 || nc > 16 || secs < 0)
		usage();
	if (!seed)
		seed = 1;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	have_src = shep_gateway() >= 0;
	if (!B.kernel && !have_src) {
		printf("stress: SKIP: %s: %s\n", shep_device_path(), strerror(errno));
		return 4;
	}
	ep = rel_create(&B);
	if (ep < 0) {
		perror("stress: instance");
		return 1;
	}
	if (cycle && !B.kernel)
		return cycle_test(cycle);
	printf("stress: %s, %d s, %d waiters, %d producers, %d chaos, seed %#llx%s\n",
	       B.kernel ? "in-tree epoll" : "shadow_epoll", secs, nw, np, nc,
	       (unsigned long long)seed, have_src ? "" : ", no sources");

	for (i = 0; i < NG1; i++) {
		g1[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (g1[i] < 0 || rel_ctl(&B, ep, EPOLL_CTL_ADD, g1[i], G1_EV, DATA(KIND_G1, i))) {
			perror("stress: G1 setup");
			return 1;
		}
	}
	for (i = 0; i < NG2; i++) {
		g2[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (g2[i] < 0 || rel_ctl(&B, ep, EPOLL_CTL_ADD, g2[i], G2_EV, DATA(KIND_G2, i))) {
			perror("stress: G2 setup");
			return 1;
		}
	}
	for (i = 0; have_src && i < NG3; i++) {
		g3[i] = shep_source(O_CLOEXEC, 0);
		if (g3[i] < 0 || rel_ctl(&B, ep, EPOLL_CTL_ADD, g3[i], G3_EV, DATA(KIND_G3, i))) {
			perror("stress: G3 setup");
			return 1;
		}
	}

#define SPAWN(fn) do {							\
		ta[nth].id = nth;					\
		ta[nth].seed = seed + 0x9E3779B97F4A7C15ULL * (nth + 1);	\
		if (pthread_create(&th[nth], NULL, fn, &ta[nth])) {	\
			perror("pthread_create");			\
			return 1;					\
		}							\
		nth++;							\
	} while (0)

	first_waiter = nth;
	for (i = 0; i < nw; i++)
		SPAWN(waiter);
	first_prod = nth;
	for (i = 0; i < np; i++)
		SPAWN(producer);
	for (i = 0; i < nc; i++)
		SPAWN(chaos);
	if (nc) {
		SPAWN(poller);
		SPAWN(nester);
	}

	t0 = shep_now_s();
	while (shep_now_s() - t0 < secs && atomic_load(&errors) == 0) {
		usleep(100000);
		if (verbose)
			fprintf(stderr, "stress: %.1fs ops %llu events %llu\n", shep_now_s() - t0,
				(unsigned long long)atomic_load(&ops),
				(unsigned long long)atomic_load(&events));
	}
	tend = shep_now_s();

	/* stop the load, keep the waiters draining */
	atomic_store(&stop_prod, true);
	atomic_store(&stop_chaos, true);
	for (i = first_prod; i < nth; i++)
		pthread_join(th[i], NULL);
	w = sum(g1_w, NG1) + sum(g2_w, NG2) + sum(g3_w, NG3);
	last = ~0ULL;
	tprog = shep_now_s();
	for (;;) {
		r = sum(g1_r, NG1) + sum(g2_r, NG2) + sum(g3_r, NG3);
		if (r >= w)
			break;
		if (r != last) {
			last = r;
			tprog = shep_now_s();
		} else if (shep_now_s() - tprog > 5.0) {
			break;
		}
		usleep(10000);
	}
	atomic_store(&stop_all, true);
	for (i = first_waiter; i < first_prod; i++)
		pthread_join(th[i], NULL);

	/* conservation, per fd */
	for (i = 0; i < NG1; i++) {
		uint64_t gw_ = atomic_load(&g1_w[i]), gr = atomic_load(&g1_r[i]);

		if (read(g1[i], &v, 8) == 8) {
			fail("G1[%d]: %llu increment(s) still pending, never delivered",
			     i, (unsigned long long)v);
		}
		if (gw_ != gr) {
			fail("G1[%d]: wrote %llu, read %llu", i, (unsigned long long)gw_,
			     (unsigned long long)gr);
			lost += gw_ > gr ? gw_ - gr : 0;
		}
	}
	for (i = 0; i < NG2; i++) {
		uint64_t gw_ = atomic_load(&g2_w[i]), gr = atomic_load(&g2_r[i]);

		if (read(g2[i], &v, 8) == 8)
			fail("G2[%d]: %llu increment(s) still pending, never delivered",
			     i, (unsigned long long)v);
		if (gw_ != gr) {
			fail("G2[%d]: wrote %llu, read %llu", i, (unsigned long long)gw_,
			     (unsigned long long)gr);
			lost += gw_ > gr ? gw_ - gr : 0;
		}
	}
	for (i = 0; have_src && i < NG3; i++) {
		uint64_t gw_ = atomic_load(&g3_w[i]), gr = atomic_load(&g3_r[i]);

		if (atomic_load(&g3_pend[i]))
			fail("G3[%d]: %llu increment(s) still pending, never delivered",
			     i, (unsigned long long)atomic_load(&g3_pend[i]));
		if (gw_ != gr) {
			fail("G3[%d]: wrote %llu, read %llu", i, (unsigned long long)gw_,
			     (unsigned long long)gr);
			lost += gw_ > gr ? gw_ - gr : 0;
		}
	}
	if (lost && !B.kernel) {
		struct shadow_epoll_ready_entry re[64];
		unsigned int fl;
		int n = shep_ready(ep, re, 64, &fl);

		if (n >= 0) {
			fprintf(stderr, "stress: ready list now: %d item(s), flags %#x\n",
				n, fl);
			for (i = 0; i < n && i < 64; i++)
				fprintf(stderr, "  fd %d events %#x data %#llx flags %#x\n",
					re[i].fd, re[i].events,
					(unsigned long long)re[i].data, re[i].flags);
		}
	}

	printf("stress: G1 oneshot+ET %llu, G2 ET %llu (%llu empty edges), G3 sources %llu (%llu zero-count), nested events %llu, %.0f ops/s\n",
	       (unsigned long long)sum(g1_w, NG1), (unsigned long long)sum(g2_w, NG2),
	       (unsigned long long)atomic_load(&g2_empty),
	       (unsigned long long)sum(g3_w, NG3), (unsigned long long)atomic_load(&g3_zero),
	       (unsigned long long)atomic_load(&nest_events),
	       atomic_load(&ops) / (tend - t0 > 0 ? tend - t0 : 1));
	printf("stress: %llu ops, %llu events, %llu lost\n",
	       (unsigned long long)atomic_load(&ops),
	       (unsigned long long)atomic_load(&events), (unsigned long long)lost);
	if (atomic_load(&errors)) {
		printf("stress: FAILED: %d error(s)\n", atomic_load(&errors));
		return 1;
	}
	return lost ? 1 : 0;
}
